"""Fixtures every test folder may use; every test (and every command it runs) keeps its
check-strategy cache in a scratch folder of its own worker (the suite runs under pytest-xdist:
see docs/DEVELOPMENT.md, "Tests under xdist")."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Every hypothesis test runs without a deadline and without the too-slow health check: a
# loaded machine (xdist workers, other sessions) makes any per-example time limit a flake.
settings.register_profile("trade", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("trade")


@pytest.fixture(autouse=True, scope="session")
def _scratch_check_cache(tmp_path_factory):
    os.environ["TRADE_CACHE_DIR"] = str(tmp_path_factory.mktemp("trade-cache"))



@dataclass
class AlertReceiver:
    """A loopback HTTP endpoint that records every POST (path, JSON body). ``fail_first``
    answers that many requests with ``fail_status`` before accepting."""

    server: ThreadingHTTPServer
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    attempts: int = 0
    fail_first: int = 0
    fail_status: int = 500
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def wait_for(self, predicate, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Until ``predicate(received)`` holds (a generous deadline, never a fixed sleep)."""
        with self.changed:
            if not self.changed.wait_for(lambda: predicate(self.received), timeout):
                raise AssertionError(f"the receiver never saw what was expected; got {self.received}")
            return list(self.received)


@pytest.fixture
def alert_receiver() -> Iterator[AlertReceiver]:
    holder: dict[str, AlertReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["r"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.changed:
                receiver.attempts += 1
                failing = receiver.attempts <= receiver.fail_first
                if not failing:
                    receiver.received.append(json.loads(body))
                    receiver.paths.append(self.path)
                receiver.changed.notify_all()
            self.send_response(receiver.fail_status if failing else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = receiver = AlertReceiver(server)
    # a short poll: shutdown() waits for the loop's next look (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
