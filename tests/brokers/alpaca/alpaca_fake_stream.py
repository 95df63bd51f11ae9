"""A loopback trade-updates websocket speaking Alpaca's protocol, able to drop and refuse."""

from __future__ import annotations

import json
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class FakeStream:
    def __init__(self) -> None:
        self.accepting = True
        self.listening = threading.Event()
        self._conn: ServerConnection | None = None
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/stream"

    def _handle(self, conn: ServerConnection) -> None:
        json.loads(conn.recv())  # authenticate
        if not self.accepting:
            conn.send(json.dumps({"stream": "authorization",
                                  "data": {"status": "unauthorized", "action": "authenticate"}}))
            conn.close()
            return
        conn.send(json.dumps({"stream": "authorization",
                              "data": {"status": "authorized", "action": "authenticate"}}))
        json.loads(conn.recv())  # listen
        conn.send(json.dumps({"stream": "listening", "data": {"streams": ["trade_updates"]}}))
        self._conn = conn
        self.listening.set()
        try:
            for _ in conn:
                pass
        except ConnectionClosed:
            pass

    def push(self, data: dict[str, Any]) -> None:
        assert self._conn is not None
        self._conn.send(json.dumps({"stream": "trade_updates", "data": data}))

    def drop(self) -> None:
        """Close the live connection and refuse new ones until :meth:`allow`."""
        self.accepting = False
        self.listening.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def allow(self) -> None:
        self.accepting = True

    def __enter__(self) -> FakeStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
