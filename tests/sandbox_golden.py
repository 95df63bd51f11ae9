"""Golden pins of the sandbox's Alpaca JSON: drive a sandbox over HTTP, record every answer's text
as sent, and compare it byte for byte with a golden file (ids, random uuid4s, numbered in order
of appearance). ``GOLDEN_WRITE=1`` rewrites the golden file: only for an intended change of the
wire shape."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from market_once import embedded_sandbox

from brokers.sandbox import SandboxServer

HEADERS = {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "secret"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalised(text: str) -> str:
    """``text`` with each distinct uuid replaced by ``<uuid N>``, N in order of appearance."""
    seen: dict[str, str] = {}
    return UUID.sub(lambda m: seen.setdefault(m.group(0), f"<uuid {len(seen)}>"), text)


class Life:
    """Drives one sandbox over HTTP and records every answer's text, as sent (and every
    trade-update message in ``messages``)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server, self.lines = server, []
        self.messages: list[dict[str, Any]] = []
        server.run(lambda ex: ex.listeners.append(self.messages.append))

    def call(self, label: str, method: str, path: str, **kw: Any) -> requests.Response:
        r = requests.request(method, self.server.base_url + path, headers=HEADERS, timeout=60, **kw)
        self.lines.append(f"{label} {r.status_code} {r.text}")
        return r

    def post(self, label: str, body: dict[str, Any]) -> str:
        r = self.call(label, "POST", "/v2/orders", json=body)
        assert r.status_code == 200, r.text
        return r.json()["id"]

    def advance(self, to: str) -> None:
        self.server.advance(to)
        self.lines.append(f"advance {to}")


@contextlib.contextmanager
def sandbox_life(tmp_path: Path, start: str = "2016-08-12") -> Iterator[Life]:
    """A fresh sandbox on the shipped data from ``start``, driven by a :class:`Life`."""
    with embedded_sandbox(state=tmp_path / "state.sqlite", port=0, start=start) as server:
        yield Life(server)


def assert_golden(lines: list[str], golden: Path) -> None:
    """``lines`` (normalised) equal the golden file line for line (or rewrite it: ``GOLDEN_WRITE``)."""
    text = normalised("\n".join(lines) + "\n")
    if os.environ.get("GOLDEN_WRITE"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    want = golden.read_text().splitlines()
    for k, (got, line) in enumerate(zip(text.splitlines(), want, strict=False)):
        assert got == line, f"line {k + 1} differs"
    assert len(text.splitlines()) == len(want)
