"""The background server (sandbox, dashboard) stops cleanly while connections keep arriving.

A browser opens connections of its own accord (preconnects, keep-alive); a client may connect as
the server stops. Two races used to leave a socket open or stall the stop: Python 3.11 fails to
build the transport of a connection accepted just before the listener closes (its socket then
leaks, a ResourceWarning that failed an unrelated test when the garbage was collected), and
aiohttp waits out its one-minute grace for a handler that started after its close-idle sweep.
"""

from __future__ import annotations

import gc
import socket
import threading
import warnings

from aiohttp import web

from framework.serving import BackgroundServer

ROUNDS = 10  # each race showed in about half the rounds before the fix
CLIENTS = 2
CONNECTIONS = 20  # open before the stop begins; more keep arriving during it
WAIT_SECONDS = 120  # a bound for a broken server, not a speed requirement
CONNECT_TURN_SECONDS = 0.05  # how long a client waits on one connect before it looks at `done` again


async def _hello(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


class Clients:
    """Threads that open keep-alive connections with one request each until told to stop."""

    def __init__(self, port: int) -> None:
        self.port, self.sockets, self.lock = port, [], threading.Lock()
        self.enough, self.done = threading.Event(), threading.Event()
        self.threads = [threading.Thread(target=self._connect) for _ in range(CLIENTS)]

    def _connect(self) -> None:
        while not self.done.is_set():
            try:
                conn = socket.create_connection(("127.0.0.1", self.port), timeout=CONNECT_TURN_SECONDS)
            except TimeoutError:
                continue  # a full backlog drops the SYN: ask again (or stop) instead of the kernel's 1 s retry
            except OSError:
                return  # the listener is gone
            conn.settimeout(60)
            with self.lock:
                self.sockets.append(conn)
                if len(self.sockets) >= CONNECTIONS:
                    self.enough.set()
            try:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            except OSError:
                return  # closed by the stopping server

    def __enter__(self) -> Clients:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        for t in self.threads:
            t.join()
        for conn in self.sockets:
            conn.close()


def test_a_server_stopped_while_connections_arrive_leaves_no_socket_open() -> None:
    gc.collect()  # earlier tests' garbage is not this test's
    unclosed: list[str] = []
    for _ in range(ROUNDS):
        app = web.Application()
        app.router.add_get("/", _hello)
        server = BackgroundServer(app, "127.0.0.1", 0, "test server")
        server.start()
        port = server.port
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", ResourceWarning)
            with Clients(port) as clients:
                assert clients.enough.wait(WAIT_SECONDS), "the clients could not connect"
                server.stop()  # raises if the shutdown stalls past its bound
                assert not server.running
            gc.collect()
        unclosed += [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)
                     and ("unclosed transport" in str(w.message) or f"'127.0.0.1', {port})" in str(w.message))]
    assert unclosed == [], f"{len(unclosed)} server socket(s) left open, e.g. {unclosed[0]}"
