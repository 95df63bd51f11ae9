"""A small client for the sandbox's control routes (clock, faults): not part of Alpaca's API."""

from __future__ import annotations

from typing import Any

import requests

from framework.errors import InputError


class SandboxControl:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def _post(self, path: str, payload: Any) -> dict[str, Any]:
        try:
            response = requests.post(f"{self.base_url}{path}", json=payload, timeout=self.timeout)
        except requests.ConnectionError:
            raise InputError(f"no sandbox answering at {self.base_url} (start one with `trade sandbox`)") from None
        if response.status_code >= 400:
            raise InputError(f"sandbox refused: {response.json().get('message', response.text)}")
        return response.json()

    def advance(self, to: str = "next_session", sessions: int = 1) -> dict[str, Any]:
        return self._post("/_sandbox/clock/advance", {"to": to, "sessions": sessions})

    def faults(self, faults: list[dict[str, Any]]) -> dict[str, Any]:
        return self._post("/_sandbox/faults", faults)
