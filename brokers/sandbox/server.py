"""Run the sandbox: in the foreground (`trade sandbox`) or in a background thread (tests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from brokers.sandbox import intraday
from brokers.sandbox.app import CLOSING, REQUESTS, Logged, drop_streams, make_app
from brokers.sandbox.budget import RequestBudgets
from brokers.sandbox.exchange import Exchange, start_index
from brokers.sandbox.faults import Fault, FaultBook, FaultKind
from brokers.sandbox.state import StateStore
from framework.config import Settings, load_settings
from framework.data import MarketData, load_configured
from framework.errors import InputError
from framework.venue import venue_from_config

T = TypeVar("T")


def build_exchange(
    settings: Settings, market: MarketData, store: StateStore, *, start: str | None, cash: float, seed: int
) -> Exchange:
    exchange = Exchange(
        market,
        venue_from_config(settings.venue),
        start=start_index(market, start),
        cash=cash,
        volume_cap=settings.backtest.volume_cap,
        faults=FaultBook(seed),
    )
    saved = store.load()
    if saved is not None:
        if saved.get("fingerprint") != market.fingerprint:
            raise InputError(f"{store.path}: sandbox state was made with other data (use --reset)")
        exchange.load_state(saved)
    store.save(exchange.to_state())
    return exchange


class SandboxServer:
    """``with SandboxServer(state=..., port=0) as sb:`` serves on ``sb.base_url``."""

    def __init__(
        self,
        settings: Settings | None = None,
        market: MarketData | None = None,
        *,
        state: str | Path | None = None,
        host: str | None = None,
        port: int | None = None,
        start: str | None = None,
        cash: float | None = None,
        reset: bool = False,
        seed: int = 0,
        wall_clock: float | None = None,
        rate_limit: int | None = None,
        rate_limit_window: float | None = None,
    ) -> None:
        self.settings = settings or load_settings(validate_strategy=False)
        cfg = self.settings.sandbox
        self.market = market or load_configured(self.settings.data)
        self.store = StateStore(state or cfg.state, reset=reset)
        try:
            self.exchange = build_exchange(
                self.settings,
                self.market,
                self.store,
                start=start or cfg.start,
                cash=cash if cash is not None else cfg.cash,
                seed=seed,
            )
        except BaseException:
            self.store.close()  # the state file's lock goes with it
            raise
        self.budgets = RequestBudgets(
            rate_limit or cfg.rate_limit, rate_limit_window or cfg.rate_limit_window_seconds
        )
        self.app = make_app(self.exchange, self.store, self.budgets)
        intraday.install(self.app)
        self.host, self._port = host or cfg.host, cfg.port if port is None else port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.wall_clock = wall_clock  # seconds of wall time per simulated session (None: manual)
        if wall_clock:  # the market moves by itself, inside each session too
            self.exchange.intraday = intraday.IntradayPath()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def data_url(self) -> str:
        return self.base_url

    @property
    def requests(self) -> list[Logged]:
        """Every /v2 request served so far, oldest first (method, path, query; never headers)."""
        return list(self.app[REQUESTS])

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.port}/stream"

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            raise
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self.wall_clock:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(self.wall_clock))

    async def _tick(self, seconds: float) -> None:
        """Optional wall-time clock: one simulated session every ``seconds``, open then close."""
        while True:
            await asyncio.sleep(seconds / 2)
            try:
                self.exchange.advance("open" if self.exchange.phase == "pre_open" else "close")
            except Exception:
                return
            if self.exchange.is_open and self.exchange.intraday is not None:
                self.exchange.intraday.opened(seconds / 2)
            self.store.save(self.exchange.to_state())

    async def _stop(self) -> None:
        self.app[CLOSING].set()  # held (slow) answers end now
        if self._ticker is not None:
            self._ticker.cancel()
        await drop_streams(self.app)
        if self._runner is not None:
            await self._runner.cleanup()

    def start(self) -> SandboxServer:
        """Serve in a background thread. A port already taken is an :class:`InputError` (one
        line, exit 2 from the CLI), never a hang."""
        ready = threading.Event()
        failed: list[OSError] = []
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._start())  # type: ignore[union-attr]
            except OSError as e:
                failed.append(e)
                return
            finally:
                ready.set()
            self._loop.run_forever()  # type: ignore[union-attr]

        self._thread = threading.Thread(target=run, name="sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(60):
            raise RuntimeError("sandbox did not start within 60 s")
        if failed:
            self._thread.join(timeout=30)
            self._loop.close()
            self._loop = None
            self.store.close()
            raise InputError(f"sandbox cannot listen on {self.host}:{self._port}: "
                             f"{failed[0].strerror or failed[0]} (another sandbox? --port 0 picks a free port)")
        return self

    def _call(self, coro: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(timeout=30)
        self._loop.close()
        self._loop = None
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control, from the test's (or the CLI's) thread -------------------------------------

    def advance(self, to: str = "next_session", sessions: int = 1) -> dict[str, Any]:
        async def step() -> dict[str, Any]:
            for _ in range(sessions):
                clock = self.exchange.advance(to)
            self.store.save(self.exchange.to_state())
            return clock

        return self._call(step())

    def run(self, work: Callable[[Exchange], T]) -> T:
        """Run ``work`` on the server's own thread (the exchange is not thread-safe), then save:
        set up many orders at once in tests without a request each."""

        async def step() -> T:
            result = work(self.exchange)
            self.store.save(self.exchange.to_state())
            return result

        return self._call(step())

    def set_faults(self, faults: list[dict[str, Any] | Fault]) -> None:
        parsed = [f if isinstance(f, Fault) else Fault.parse(f) for f in faults]

        async def arm() -> None:
            self.exchange.faults.set([f for f in parsed if f.kind is not FaultKind.DROP_STREAM])
            if any(f.kind is FaultKind.DROP_STREAM for f in parsed):
                await drop_streams(self.app)

        self._call(arm())

    def serve_forever(self) -> None:
        """Foreground: run until interrupted."""
        web.run_app(self.app, host=self.host, port=self._port, print=None, access_log=None)
