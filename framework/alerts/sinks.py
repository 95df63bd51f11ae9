"""Where alerts go: a webhook (a JSON POST, plain or in Slack's shape) or a JSON-lines file.

A sink's :meth:`send` raises :class:`SinkError` on failure and nothing else; its message never
holds the URL (which may be the credential): only the HTTP status or the kind of failure.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Literal, Protocol

from framework.alerts.alert import Alert, Severity
from framework.redaction import SECRETS, redact_url

ICONS = {Severity.INFO: ":information_source:", Severity.WARNING: ":warning:", Severity.CRITICAL: ":rotating_light:"}


class SinkError(Exception):
    """One delivery failed (worth another try later)."""


class Sink(Protocol):
    name: str  # safe to print

    def send(self, alert: Alert) -> None: ...


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack's incoming-webhook shape: ``text`` (the notification) plus a details block."""
    doc, title = alert.to_json(), SECRETS.scrub(alert.title)  # secrets masked, like every sink's
    lines = [f"{ICONS[alert.severity]} *{title}*", f"when: {doc['time_venue']}"]
    lines += [f"{key}: {value}" for key, value in doc["details"].items()]
    return {"text": title, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}


class WebhookSink:
    def __init__(self, url: str, format: Literal["json", "slack"] = "json", timeout: float = 5.0) -> None:
        self._url, self.format, self.timeout = url, format, timeout
        self.name = f"webhook {redact_url(url)}"

    def payload(self, alert: Alert) -> dict[str, Any]:
        return slack_payload(alert) if self.format == "slack" else alert.to_json()

    def send(self, alert: Alert) -> None:
        body = json.dumps(self.payload(alert)).encode()
        request = urllib.request.Request(self._url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "trade-alerts"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as e:
            raise SinkError(f"HTTP {e.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise SinkError(type(reason).__name__ if not isinstance(reason, str) else "connection failed") from None


class LogFileSink:
    """Appends each alert as one JSON line (the file is opened per alert: rotation-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file {path}"
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        line = json.dumps(alert.to_json(), ensure_ascii=False)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
        except OSError as e:
            raise SinkError(f"cannot write: {e.strerror}") from None


__all__ = ["LogFileSink", "Sink", "SinkError", "WebhookSink", "slack_payload"]
