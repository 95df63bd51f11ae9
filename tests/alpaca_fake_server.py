"""A hand-written loopback fake of the few Alpaca order routes, with scripted faults.

Only for the adapter's own error handling (retry off, timeouts, look-up by client id);
end-to-end behaviour is tested against the project's sandbox.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from alpaca_payloads import order_json


class FakeAlpaca:
    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}  # client id -> order json
        self.faults: deque[str] = deque()  # "429", "500", "lost" applied to the next POST
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.release = threading.Event()
        self.lost_arrived = threading.Event()  # set when a "lost" answer is being held back
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return None

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                fake.requests.append(("POST", self.path, dict(self.headers)))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fault = fake.faults.popleft() if fake.faults else ""
                if fault == "429":
                    return self._send(429, {"code": 42910000, "message": "rate limit exceeded"},
                                      {"Retry-After": "0"})
                if fault == "500":
                    return self._send(500, {"code": 50010000, "message": "internal error"})
                coid = body["client_order_id"]
                with fake.lock:
                    if coid in fake.orders:
                        return self._send(422, {"code": 40010001,
                                                "message": "client_order_id must be unique"})
                    fake.orders[coid] = order_json(
                        id=str(uuid.uuid4()), client_order_id=coid, symbol=body["symbol"],
                        side=body["side"], qty=str(body["qty"]), type=body["type"],
                        order_type=body["type"], time_in_force=body["time_in_force"])
                if fault == "lost":
                    fake.lost_arrived.set()
                    fake.release.wait(30)  # accepted, but the answer never arrives in time
                    return None
                return self._send(200, fake.orders[coid])

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, dict(self.headers)))
                url = urlparse(self.path)
                if url.path == "/v2/orders:by_client_order_id":
                    coid = parse_qs(url.query)["client_order_id"][0]
                    if coid in fake.orders:
                        return self._send(200, fake.orders[coid])
                    return self._send(404, {"code": 40410000, "message": "order not found"})
                if url.path in fake.routes:
                    return self._send(200, fake.routes[url.path](parse_qs(url.query)))
                return self._send(404, {"code": 40410000, "message": "not found"})

            def do_DELETE(self) -> None:
                fake.requests.append(("DELETE", self.path, dict(self.headers)))
                url = urlparse(self.path)
                if url.path == "/v2/orders":
                    return self._send(207, fake.cancel_all())
                if url.path == "/v2/positions":
                    return self._send(207, fake.close_all())
                return self._send(404, {"code": 40410000, "message": "not found"})

        self.positions: list[dict[str, Any]] = []
        self.routes: dict[str, Any] = {"/v2/orders": self._list_orders,
                                       "/v2/positions": lambda q: self.positions}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # a short poll: shutdown() waits for the loop's next look (0.5 s by default, at every test's end)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def _list_orders(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        status = query.get("status", ["open"])[0]
        done = {"filled", "canceled", "expired", "replaced", "rejected"}
        return [o for o in self.orders.values()
                if status == "all" or (o["status"] in done) == (status == "closed")]

    def cancel_all(self) -> list[dict[str, Any]]:
        out = []
        for order in self._list_orders({"status": ["open"]}):
            order["status"] = "canceled"
            out.append({"id": order["id"], "status": 200})
        return out

    def close_all(self) -> list[dict[str, Any]]:
        out = []
        for p in self.positions:
            side = "sell" if p["side"] == "long" else "buy"
            closing = order_json(id=str(uuid.uuid4()), client_order_id=str(uuid.uuid4()),
                                 symbol=p["symbol"], side=side, qty=p["qty"])
            self.orders[closing["client_order_id"]] = closing
            out.append({"symbol": p["symbol"], "status": 200, "body": closing})
        self.positions = []
        return out

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def posts(self) -> int:
        return sum(1 for method, _, _ in self.requests if method == "POST")

    def __enter__(self) -> FakeAlpaca:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
