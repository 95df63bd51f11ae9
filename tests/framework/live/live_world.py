"""The simulated world of the live path: one loopback sandbox (the venue, with its own state),
one paper account (config, journal file, keys), and the hands that act on them — the paper
runner (`trade paper --once` in this process, or a runner killed at a named point), the
operator (the CLI commands and the dashboard's buttons), a person at the venue (orders placed
and cancelled by hand), the venue's clock and its faults, the loss watch.

Everything the judge (:mod:`live_judge`) reads comes from the sandbox's state and the journal's
SQLite file; nothing from the engine's memory.
"""

from __future__ import annotations

import contextlib
import io
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests
from cli_invoke import run_trade
from market_once import embedded

from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.request import OrderRequest
from brokers.sandbox.wire import order_json
from framework.config import load_settings
from framework.config.settings import Settings
from framework.data import MarketData, session_time
from framework.journal import Journal
from framework.live.cycle_outcome import CycleAlerts, run_once
from framework.live.runner import PaperRunner
from framework.live.watch import LossWatch

TRADED = ["AAPL", "MSFT", "XOM", "JPM"]
FOREIGN = "KO"  # in the venue's market, never in our universe: only a person trades it
FIRST, LAST, START = "2019-02-01", "2019-12-31", "2019-04-01"
KEY, SECRET = "AKLIVESIM000000001", "LIVESIMSECRET00001"
TOKEN = "live-sim-dashboard-token-3c9e1f"
HALT_BOUND_SECONDS = 60.0  # an operator's halt completes within this while a cycle is held mid-flight


class Killed(BaseException):
    """The process dies here: nothing in the code under test may catch it (like SIGKILL)."""


def seeded_market(rng: random.Random) -> MarketData:
    """The embedded bars of the traded symbols and one foreign symbol, with a few seeded splits
    (raw prices divided from the ex-date on, volume multiplied) and dividends."""
    market = embedded().select([*TRADED, FOREIGN]).between(FIRST, LAST)
    frames = {f: getattr(market, f).copy() for f in ("open", "high", "low", "close", "volume")}
    splits = pd.DataFrame(np.nan, index=market.dates, columns=market.symbols)
    dividends = splits.copy()
    start = int(market.dates.get_indexer([pd.Timestamp(START)], method="bfill")[0])
    for _ in range(rng.randint(0, 2)):
        day, symbol = rng.randrange(start + 2, start + 40), rng.choice(TRADED)
        ratio = rng.choice([2.0, 3.0, 0.5])
        for f in ("open", "high", "low", "close"):
            frames[f].iloc[day:, frames[f].columns.get_loc(symbol)] /= ratio
        frames["volume"].iloc[day:, frames["volume"].columns.get_loc(symbol)] *= ratio
        splits.iloc[day, splits.columns.get_loc(symbol)] = ratio
    for _ in range(rng.randint(0, 3)):
        day, symbol = rng.randrange(start + 2, start + 40), rng.choice(TRADED)
        dividends.iloc[day, dividends.columns.get_loc(symbol)] = round(rng.uniform(0.1, 1.5), 2)
    return replace(MarketData(**frames, sectors=market.sectors, source="live-sim",
                              fingerprint=f"live-sim-{rng.random():.12f}"),
                   splits=splits, dividends=dividends)


def config_text(tmp: Path, rng: random.Random, *, stops: str | None = None, stream: bool | None = None) -> str:
    """The account's configuration: stops always (fixed, trailing or both), limit/GTC orders and the
    trade-updates stream on some seeds (``stops``/``stream`` given: those, whatever the seed)."""
    order_type = rng.choice(["market", "market", "limit"])
    tif = rng.choice(["day", "gtc"]) if order_type == "limit" else "day"
    strategy_seed = rng.randrange(1000)
    drawn_stops = rng.choice(["stop_loss: 0.05", "trailing_stop: 0.08", "stop_loss: 0.05, trailing_stop: 0.1"])
    drawn_stream = rng.choice([True, False])
    stops = drawn_stops if stops is None else stops
    stream = drawn_stream if stream is None else stream
    return (
        f"strategy:\n  name: live_sim_plugin:ChurnSignals\n  params: {{seed: {strategy_seed}}}\n"
        "signals:\n  rebalance_every: 1\n"
        f"risk: {{{stops}, daily_loss_limit: 0.02, max_position_weight: 0.3, max_sector_exposure: 1.0,"
        " watch_interval_seconds: 1.0}\n"
        f"orders:\n  type: {order_type}\n  time_in_force: {tif}\n  request_timeout_seconds: 2.0\n"
        "  max_retries: 2\n  backoff_initial_seconds: 0.01\n  backoff_max_seconds: 0.05\n"
        "  rate_limit_per_minute: 100000\n"  # one process runs every seed's cycles: no client-side pacing
        f"data:\n  symbols: [{', '.join(TRADED)}]\n"
        f"paper:\n  journal: {tmp / 'journal.sqlite'}\n  ack_deadline_seconds: 5\n  history_bars: 30\n"
        "  poll_interval_seconds: 0.2\n  cycle_deadline_seconds: 120\n"
        f"  alpaca:\n    stream: {str(stream).lower()}\n    read_deadline_seconds: 10.0\n"
        "    data_rate_limit_per_minute: 100000\n"
    )


@dataclass
class Post:
    """One order submission that reached the venue's book-keeping (past the request faults)."""

    client_order_id: str
    existed: bool  # the venue already had an order with this client id
    step: int


@dataclass
class World:
    tmp: Path
    seed: int
    sandbox: SandboxServer
    config: Path
    settings: Settings
    env: dict[str, str]
    posts: list[Post] = field(default_factory=list)
    person_ids: set[str] = field(default_factory=set)
    person_canceled: set[str] = field(default_factory=set)  # our orders a person cancelled
    step: int = 0
    printed: str = ""
    in_flight: list[str] = field(default_factory=list)
    _person_seq: int = 0
    _dashboard: Any = None

    # -- the venue ----------------------------------------------------------------------

    def venue(self) -> dict[str, Any]:
        """A copy of the venue's state, read on the sandbox's own thread."""

        def snap(ex: Any) -> dict[str, Any]:
            return {"orders": {k: order_json(v) for k, v in ex.orders.items()},  # as the venue sends them
                    "positions": {s: {"qty": p.qty, "cost": p.cost} for s, p in ex.positions.items()},
                    "cash": ex.ledger.cash, "session": ex.session, "phase": ex.phase,
                    "day": ex.day, "equity": ex.equity(),
                    "closes": {s: ex.last_close(s) for s in ex.market.symbols}, "marks": marks(ex),
                    "splits": applied_splits(ex)}

        def applied_splits(ex: Any) -> list[tuple[str, str, float]]:
            """(symbol, ex-date, ratio) of every split the venue has applied to its positions."""
            splits = ex.market.splits.stack().dropna()
            done = [(s, day.date().isoformat(), float(r)) for (day, s), r in splits.items()
                    if day < ex.day or (day == ex.day and ex.phase == "open")]
            return sorted(done, key=lambda x: x[1])

        def marks(ex: Any) -> dict[str, float]:
            """The judge's marks: each symbol's last close in the shares held now. At an ex-date's
            open the venue has split the positions but its last close is the day before's, in
            the old shares (found by seed 210: 296 JPM split 2:1 at the open, valued 592 x the
            pre-split close, read 47% of equity against a 30% cap while it was 31%); restated by
            the split going ex today, as the bars of the next close will show it."""
            out = {s: ex.last_close(s) for s in ex.market.symbols}
            splits = ex.market.splits
            if ex.phase == "open" and ex.day in splits.index:
                for s, ratio in splits.loc[ex.day].dropna().items():
                    out[s] /= float(ratio)
            return out

        return self.sandbox.run(snap)

    def advance(self, to: str) -> bool:
        """The venue's clock moved on; False when the data has no more sessions."""
        state = self.venue()
        if state["session"] >= len(self.sandbox.exchange.dates) - 2:
            return False
        self.sandbox.advance(to)
        return True

    def faults(self, faults: list[dict[str, Any]]) -> None:
        self.sandbox.set_faults(faults)

    def clear_faults(self) -> None:
        self.sandbox.set_faults([])

    # -- the paper runner ---------------------------------------------------------------

    def cli(self, *argv: str) -> int:
        """`trade ARGV` in this process: its exit code (what it prints kept in ``self.printed``)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = run_trade([*argv, "--config", str(self.config)], self.env)
        self.printed = out.getvalue()
        return code

    def cycle(self) -> int:
        """`trade paper --once` in this process: its exit code."""
        return self.cli("paper", "--once")

    @contextlib.contextmanager
    def runner(self) -> Iterator[PaperRunner]:
        """A fresh process's connection and runner on the same journal, as the rehearsal builds
        them (no trade-updates stream: polling; the CLI's cycles use the config's stream)."""
        conn = connect(self.settings, self.env, stream=False)
        try:
            conn.broker.start()
            runner = PaperRunner(self.settings, conn.broker, conn.bars, echo=lambda _line: None)
            try:
                yield runner
            finally:
                runner.close()  # what the operating system does for a dead process: handles released
        finally:
            conn.close()

    def killed_cycle(self, point: str, nth: int) -> str:
        """A cycle whose process dies at the ``nth`` call of ``point``: ``submit`` (intent
        journaled, nothing sent), ``ack`` (sent and accepted, the answer never read),
        ``reconcile`` (positions being read), ``sync`` (orders being read). Returns what
        happened: "killed", "completed" (the point was never reached) or "failed"."""
        with self.runner() as runner:
            broker = runner.live_broker
            method = {"submit": "submit_order", "ack": "submit_order", "reconcile": "get_positions",
                      "sync": "get_orders", "cancel": "cancel_order"}[point]
            real = getattr(broker, method)
            calls = [0]

            def dying(*args: Any, **kwargs: Any) -> Any:
                calls[0] += 1
                if calls[0] == nth and point != "ack":
                    raise Killed(point)
                answer = real(*args, **kwargs)
                if calls[0] == nth:
                    raise Killed(point)
                return answer

            setattr(broker, method, dying)
            try:
                run_once(runner, CycleAlerts(None, self.settings.paper.account))
            except Killed:
                return "killed"
            except Exception:
                return "failed"
            return "completed"

    def cycle_held(self, point: str, during: Callable[[], Any]) -> tuple[str, Any, bool]:
        """A cycle held at the first call of ``point`` (a broker read or a submission) while
        ``during`` runs on this thread; the cycle then goes on. Returns (the cycle's outcome,
        what ``during`` returned, whether the cycle reached the point)."""
        reached, release = threading.Event(), threading.Event()
        outcome: list[str] = []
        in_flight = self.in_flight = []  # the submission held mid-request: the halt cannot recall it

        def work() -> None:
            try:
                with self.runner() as runner:
                    broker = runner.live_broker
                    method = {"submit": "submit_order", "reconcile": "get_positions", "sync": "get_orders"}[point]
                    real = getattr(broker, method)

                    def held(*args: Any, **kwargs: Any) -> Any:
                        if not reached.is_set():
                            in_flight.extend(getattr(a, "client_order_id", "") for a in args)
                            reached.set()
                            release.wait(HALT_BOUND_SECONDS * 2)
                        return real(*args, **kwargs)

                    setattr(broker, method, held)
                    run_once(runner, CycleAlerts(None, self.settings.paper.account))
                    outcome.append("completed")
            except Exception as e:
                outcome.append(f"failed: {type(e).__name__}: {e}")
            finally:
                reached.set()

        thread = threading.Thread(target=work, name="live-sim-cycle", daemon=True)
        thread.start()
        reached.wait(HALT_BOUND_SECONDS * 2)
        was_reached = bool(thread.is_alive())
        try:
            result = during()
        finally:
            release.set()
            thread.join(HALT_BOUND_SECONDS * 4)
        if thread.is_alive():
            raise AssertionError("a held cycle never finished")
        return outcome[0] if outcome else "unknown", result, was_reached

    def watch_tick(self) -> bool:
        """One tick of the loss watch as `trade watch` runs it (the journal's halt, then the
        venue's risk-adding orders cancelled); True when it halted."""
        from framework.live import actions

        with self.runner() as runner:
            def halt(session: Any) -> None:
                runner.journal.set_halt(True, "loss watch", runner.clock.now(), "session",
                                        session_time(pd.Timestamp(session)))
                actions.cancel_risk_adding(runner.live_broker)

            watch = LossWatch(self.settings, runner.live_broker, runner.journal, runner.run_id, halt=halt,
                              now=runner.clock.now)
            clock = runner.live_broker.get_clock()
            return watch.tick(clock.next_close.date()).halted

    # -- the operator -------------------------------------------------------------------

    def dashboard(self) -> Any:
        """The live dashboard over this account (started once, on the first button press)."""
        if self._dashboard is None:
            from analyzers.dashboard.app import Dashboard, DashboardServer, DashboardSettings
            from analyzers.dashboard.reader import JournalReader
            from framework.live.dashboard_source import LiveAccount
            from framework.live.runner import universe

            conn = connect(self.settings, self.env, stream=False)
            path = Path(self.settings.paper.journal)
            Journal(path).close()
            live = LiveAccount(self.settings, conn, path)
            board = Dashboard(JournalReader(path), settings=DashboardSettings.of(self.settings),
                              sectors=universe(self.settings)[1].to_dict(), venue=live.venue, live=live,
                              token=TOKEN)
            self._dashboard = (DashboardServer(board, port=0).start(), board, conn)
        return self._dashboard[0]

    def press(self, action: str) -> int:
        """A dashboard button (halt, resume, flatten): the HTTP status."""
        server = self.dashboard()
        answer = requests.post(f"{server.url}/api/{action}", headers={"Authorization": f"Bearer {TOKEN}"},
                               json={"confirm": "flatten"} if action == "flatten" else {}, timeout=120)
        return answer.status_code

    # -- a person at the venue ----------------------------------------------------------

    def person(self, body: dict[str, Any]) -> str | None:
        """An order placed by hand at the venue (Alpaca's UI): its client id, or None if refused."""
        self._person_seq += 1
        cid = f"person-{self.seed}-{self._person_seq}"

        def place(ex: Any) -> str | None:
            from brokers.sandbox.wire import SandboxError

            try:
                ex.submit(OrderRequest.parse({**body, "client_order_id": cid}))
            except SandboxError:
                return None
            return cid

        placed = self.sandbox.run(place)
        if placed:
            self.person_ids.add(placed)
        return placed

    def person_cancels(self, order_id: str, client_order_id: str) -> None:
        def cancel(ex: Any) -> None:
            from brokers.sandbox.wire import SandboxError

            with contextlib.suppress(SandboxError):
                ex.cancel(order_id)

        self.sandbox.run(cancel)
        self.person_canceled.add(client_order_id)

    def close(self) -> None:
        if self._dashboard is not None:
            server, board, conn = self._dashboard
            server.stop()
            board.reader.close()
            conn.close()
            self._dashboard = None
        self.sandbox.stop()


def _log_posts(world: World) -> None:
    """Every submission that reaches the venue's book-keeping, with whether its client id was
    already there (instrumentation of the simulated venue, not of the code under test)."""
    exchange = world.sandbox.exchange
    real = exchange.submit

    def logged(request: OrderRequest, *, replacing: str | None = None) -> SandboxOrder:
        cid = request.client_order_id or ""
        if cid and replacing is None:
            world.posts.append(Post(cid, exchange.orders.knows(cid), world.step))
        return real(request, replacing=replacing)

    exchange.submit = logged  # type: ignore[method-assign]


def open_world(tmp: Path, seed: int, *, stops: str | None = None, stream: bool | None = None) -> World:
    """The seed's world (``stops``, ``stream``: these instead of the seed's draw, for a test that
    must keep its scenario whatever the draws become)."""
    rng = random.Random(seed)
    market = seeded_market(rng)
    config = tmp / "paper.yaml"
    config.write_text(config_text(tmp, rng, stops=stops, stream=stream))
    settings = load_settings([config])
    sandbox = SandboxServer(settings, market, state=tmp / "sandbox.sqlite", port=0, start=START, seed=seed,
                            rate_limit=1_000_000).start()
    env = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": sandbox.base_url,
           "APCA_API_DATA_URL": sandbox.base_url, "APCA_API_STREAM_URL": sandbox.stream_url}
    world = World(tmp, seed, sandbox, config, settings, env)
    _log_posts(world)
    return world


def journal_halted(world: World) -> bool:
    journal = Journal(world.settings.paper.journal)
    try:
        return journal.halt_state().halted
    finally:
        journal.close()


__all__ = ["FOREIGN", "TRADED", "Decimal", "Killed", "World", "journal_halted", "open_world"]
