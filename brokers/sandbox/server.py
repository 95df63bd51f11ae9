"""Run the sandbox: in the foreground (`trade sandbox`) or in a background thread (tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from brokers.sandbox import intraday, intraday_route
from brokers.sandbox.app import CLOSING, REQUESTS, Logged, drop_streams, make_app
from brokers.sandbox.budget import RequestBudgets
from brokers.sandbox.exchange import Exchange, start_index
from brokers.sandbox.faults import Fault, FaultBook, FaultKind
from brokers.sandbox.state import StateStore
from framework.config import Settings, load_settings
from framework.data import MarketData, load_configured
from framework.errors import InputError
from framework.serving import BackgroundServer
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
        intraday_route.install(self.app)
        self.host, self._port = host or cfg.host, cfg.port if port is None else port
        self._server = BackgroundServer(self.app, self.host, self._port, "sandbox")
        self._ticker: asyncio.Task[None] | None = None
        self.wall_clock = wall_clock  # seconds of wall time per simulated session (None: manual)
        if wall_clock:  # the market moves by itself, inside each session too
            self.exchange.intraday = intraday.IntradayPath()

    @property
    def port(self) -> int:
        """The port bound (0 before the start)."""
        return self._server.port

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

    async def _started(self) -> None:
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

    def start(self) -> SandboxServer:
        """Serve in a background thread. A port already taken is an :class:`InputError` (one
        line, exit 2 from the CLI), never a hang."""
        try:
            self._server.start(self._started)
        except OSError as e:
            self.store.close()
            raise InputError(f"sandbox cannot listen on {self.host}:{self._port}: "
                             f"{e.strerror or e} (another sandbox? --port 0 picks a free port)") from None
        return self

    def _call(self, coro: Any) -> Any:
        return self._server.call(coro)

    def stop(self) -> None:
        if not self._server.running:
            return
        self._server.stop(self._stop)
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
