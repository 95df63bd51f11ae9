"""An aiohttp application served from a background thread: the sandbox and the dashboard.

Both are driven from ordinary (blocking) code — a test, a CLI command — so each runs its own
event loop on a daemon thread. Starting returns once the socket is bound, or raises the
``OSError`` binding raised (a port in use), with the thread and the loop already gone: a caller
turns it into its one-line error, never a hang.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

START_SECONDS = 60  # generous: a loaded machine is slow to start a thread, never this slow
STOP_SECONDS = 60  # as generous, for the loop's last turns once the connections are closed
ACCEPT_TURNS = 3  # loop turns from a connection accepted to its handler waiting (see _shut_down)
CLOSE_TURN_SECONDS = 0.05  # how often a shutting-down server asks its connections to close again


class BackgroundServer:
    """``app`` on ``host:port`` (0: a free port, then :attr:`port` is the one bound)."""

    def __init__(self, app: web.Application, host: str, port: int, name: str) -> None:
        self.app, self.host, self.requested_port, self.name = app, host, port, name
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    async def _bind(self, then: Callable[[], Coroutine[Any, Any, None]] | None) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)  # nothing of a request is logged
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            raise
        self._listener = site._server  # type: ignore[assignment]
        assert self._listener is not None
        self.port = self._listener.sockets[0].getsockname()[1]
        if then is not None:
            await then()

    def start(self, then: Callable[[], Coroutine[Any, Any, None]] | None = None) -> None:
        """Bind and serve; ``then`` runs on the loop once bound (tasks the server keeps)."""
        ready, failed = threading.Event(), []
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind(then))
            except OSError as e:
                failed.append(e)
                return
            finally:
                ready.set()
            loop.run_forever()
            _finish(loop)

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(START_SECONDS):
            raise RuntimeError(f"the {self.name} did not start within {START_SECONDS} s")
        if failed:
            self._thread.join(timeout=30)
            loop.close()
            self._loop = None
            raise failed[0]

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        """Run ``coro`` on the server's loop from another thread; its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=timeout)

    def stop(self, closing: Callable[[], Coroutine[Any, Any, None]] | None = None) -> None:
        """``closing`` (the server's own clean-up) on the loop, every connection closed, the loop ended."""
        if self._loop is None:
            return
        if closing is not None:
            self.call(closing())
        if self._runner is not None:
            assert self._listener is not None
            self.call(_shut_down(self._runner, self._listener))
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(STOP_SECONDS)  # the loop's last turns: every task left is cancelled
        if self._thread.is_alive():
            raise RuntimeError(f"the {self.name} did not stop within {STOP_SECONDS} s")
        self._loop = None


async def _shut_down(runner: web.AppRunner, listener: asyncio.Server) -> None:
    """aiohttp's graceful shutdown, made to finish promptly and to leave no socket open.

    Two races are closed first. Python 3.11 leaks the socket of a connection accepted just before
    the listener closes (its transport is built after, and building it fails). And aiohttp closes
    the idle connections it knows once, up front: a handler that had not started by then waits
    for a request that never comes, and the shutdown waits out its grace period (a minute) for
    it. So accepting stops first, without closing the listener, and the loop turns until every
    connection already accepted has its transport (one turn), its handler (two) and that
    handler waiting for a request (three). aiohttp's shutdown then sees them all.
    """
    loop = asyncio.get_running_loop()
    for sock in listener.sockets:
        loop.remove_reader(sock.fileno())  # no new connection is accepted
    for _ in range(ACCEPT_TURNS):
        await asyncio.sleep(0)
    server = runner.server
    cleanup = asyncio.ensure_future(runner.cleanup())
    while server is not None and not cleanup.done():  # in case a later Python needs more turns
        for handler in server.connections:
            handler.close()  # idle: closed now; busy: closed once its response is sent
        await asyncio.wait({cleanup}, timeout=CLOSE_TURN_SECONDS)
    await cleanup
    for handler in server.connections if server is not None else ():
        handler.force_close()
    await asyncio.sleep(0)  # the transports' close reaches their sockets


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does before closing a loop: no task left pending, no generator open."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


__all__ = ["BackgroundServer"]
