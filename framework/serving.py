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


class BackgroundServer:
    """``app`` on ``host:port`` (0: a free port, then :attr:`port` is the one bound)."""

    def __init__(self, app: web.Application, host: str, port: int, name: str) -> None:
        self.app, self.host, self.requested_port, self.name = app, host, port, name
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
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
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
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
        """``closing`` (the server's own clean-up) on the loop, the runner cleaned up, the loop ended."""
        if self._loop is None:
            return
        if closing is not None:
            self.call(closing())
        if self._runner is not None:
            self.call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(timeout=30)
        self._loop.close()
        self._loop = None


__all__ = ["BackgroundServer"]
