"""`trade paper`: one cycle per session, before the open, on the same engine as the backtest.

A cycle for session D runs in named phases, each safe to repeat after a crash:

1. **sync orders** — every order the journal knows is looked up at the broker, orders the broker
   has and the journal does not (placed by a crashed run, or by `trade flatten`) are adopted, and
   their fills delivered: nothing is lost, nothing counted twice.
2. **resolve pending** — journaled intents the broker never received: an intent decided for an
   earlier session is withdrawn (stale, in session terms on the venue's clock); while halted, one
   that adds risk is withdrawn; the rest are sent. Each withdrawal is journaled.
3. **corporate actions** — the splits (and paid dividends) the venue applied to our holdings
   since the last cycle, read from the bars (split-adjusted against raw), applied to our books
   once and journaled: a split rescales a holding and its trailing high as in the backtest.
4. **reconcile** — the broker's positions and cash against our books; a difference is reported
   once, adopted, and journaled so it is not reported again.
5. **trade** — bars ≤ D−1 → signals (row D−1) → ``ExecutionEngine.on_bar`` → orders → wait for the
   acknowledgements.

One engine per process: a long-running `trade paper` builds it at its first cycle and keeps it, so
order updates reach one set of books through one subscription. Every time recorded comes from the
venue's clock (``/v2/clock``), never the local wall clock; a cycle has a deadline on the monotonic
clock so a persistently slow broker cannot stretch it without bound.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from framework import decision_inputs, foreign
from framework.broker import LiveBroker, OrderUpdate, VenueCalendar
from framework.config.settings import Settings
from framework.data import BarSource, MarketData, embedded_paths, load_sectors, session_time
from framework.deadline import Bound, DeadlineExceeded, bounded
from framework.engine import CycleReport, ExecutionEngine
from framework.enums import OrderEvent, OrderStatus
from framework.errors import BrokerError, DataError, OrderNotFound, ReconciliationError, TransientBrokerError
from framework.journal import Journal
from framework.live.dry_run import DryRunBroker
from framework.market import SnapshotBuilder
from framework.orders import Order
from framework.portfolio import Difference
from framework.registry import get_strategy
from framework.risk import RiskDecision
from framework.strategy import Strategy, compute_signals, plugin_exit_rule, warmup
from framework.styles import is_twap_child
from framework.twap import ChildPlan
from framework.venue import ActionKind, CorporateAction, actions_over

log = logging.getLogger(__name__)
NEW_YORK = ZoneInfo("America/New_York")
Echo = Callable[[str], None]


class CycleDeadlineExceeded(TransientBrokerError):
    """The cycle ran past ``paper.cycle_deadline_seconds``: what was journaled stays journaled and
    the next cycle resolves it (or withdraws it once its session has passed)."""


class StaleData(DataError):
    """The venue's latest daily bar is not the previous session's: nothing is decided on it."""


@dataclass
class CycleResult:
    session: date
    signal_date: date | None
    orders: list[Order] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    actions: list[CorporateAction] = field(default_factory=list)
    withdrawn: list[Order] = field(default_factory=list)
    deferred: list[RiskDecision] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unacked: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # foreign orders first seen this cycle
    halted: str = ""
    skipped: str = ""
    seconds: float = 0.0


class VenueClock:
    """The broker's clock (``/v2/clock``), carried forward between reads on the monotonic clock:
    the one time source of a paper run (order times, halts, staleness, time to fill)."""

    def __init__(self, read: Callable[[], datetime], monotonic: Callable[[], float] = time.monotonic) -> None:
        self._read, self._monotonic = read, monotonic
        self._anchor: tuple[datetime, float] | None = None

    def sync(self) -> datetime:
        return self.anchor(self._read())

    def anchor(self, venue: datetime) -> datetime:
        """A venue time just read elsewhere (a full ``/v2/clock`` answer) becomes the anchor."""
        self._anchor = (venue, self._monotonic())
        return venue

    def now(self) -> datetime:
        if self._anchor is None:
            return self.sync()
        venue, at = self._anchor
        return venue + timedelta(seconds=self._monotonic() - at)


class Deadline:
    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self.seconds = seconds
        self.until = monotonic() + seconds

    def check(self, what: str = "") -> None:
        if self._monotonic() > self.until:
            suffix = f" ({what})" if what else ""
            raise CycleDeadlineExceeded(f"cycle deadline of {self.seconds:.0f} s exceeded{suffix}")

    def remaining(self) -> float:
        return max(self.until - self._monotonic(), 0.0)


def universe(settings: Settings) -> tuple[list[str], pd.Series]:
    """Symbols to trade and their sectors: config symbols, else the sectors file's."""
    path = settings.data.sectors or str(embedded_paths()[1])
    sectors = load_sectors(Path(path).expanduser())
    symbols = list(settings.data.symbols or sectors.index)
    return symbols, sectors


def next_session(broker: VenueCalendar) -> date:
    """The session the next cycle trades: today's if the market is open, else the next one."""
    clock = broker.get_clock()
    when = clock.timestamp if clock.is_open else clock.next_open
    return when.astimezone(NEW_YORK).date()


def previous_session(broker: VenueCalendar, session: date) -> date:
    days = broker.get_calendar(session - timedelta(days=10), session - timedelta(days=1))
    before = [d.date for d in days if d.date < session]
    if not before:
        raise DataError(f"the broker's calendar has no session before {session}")
    return max(before)


class PaperRunner:
    def __init__(self, settings: Settings, broker: LiveBroker, bars: BarSource, *,
                 dry_run: bool = False, echo: Echo = print) -> None:
        self.settings, self.live_broker, self.bars = settings, broker, bars
        self.dry_run, self.echo = dry_run, echo
        self.strategy: Strategy = get_strategy(settings.strategy.name)(settings.strategy.params)
        self.run_id = f"{settings.paper.account}-{self.strategy.name}"
        # A dry run reads the real journal (halt, loss guards, open orders) from a private copy
        # and writes nothing back.
        path = settings.paper.journal
        self.journal = Journal.scratch_copy(path) if dry_run else Journal(path)
        self.broker = DryRunBroker(broker) if dry_run else broker
        self.clock = VenueClock(lambda: broker.get_clock().timestamp)
        self.engine: ExecutionEngine | None = None
        self._deadline: Deadline | None = None
        self._warned: set[str] = set()  # signal-discard warnings already given by this process
        self.new_foreign: list[str] = []  # foreign orders first seen by the last sync (reported once)

    def close(self) -> None:
        self.journal.close()

    # -- the engine (one per process) ---------------------------------------------------

    def ensure_engine(self) -> ExecutionEngine:
        """The process's engine, built now if no cycle built it yet (the loss watch and the
        after-close step act through it: one set of books, one subscription to updates)."""
        return self._engine()

    def reprice(self) -> list[Order]:
        """While the market is open: the engine's re-pricing of resting marketable limits, at the
        data API's latest trades (nothing unless ``orders.reprice_after_minutes`` is set)."""
        engine = self.engine
        latest_trades = getattr(self.bars, "latest_trades", None)
        if engine is None or not engine.reprices or latest_trades is None:
            return []
        symbols = engine.repricing_symbols()
        if not symbols:
            return []
        return engine.reprice_marketable(self.clock.now(), latest_trades(symbols))

    def work_children(self) -> tuple[list[Order], datetime | None]:
        """While the market is open: the TWAP children due on the venue's clock sent, those whose
        turn ended canceled (:meth:`ExecutionEngine.work_children`); and when the next is due."""
        engine = self.engine
        if engine is None or engine.child_plan(self.clock.now()) == ChildPlan():
            return [], None  # no child waiting or working
        if not self.live_broker.stream_connected:
            self.live_broker.poll()  # the children's fills so far, before judging what is left
        self.live_broker.dispatch()
        touched = engine.work_children(self.clock.now())
        return touched, engine.child_plan(self.clock.now()).next_at

    def _engine(self) -> ExecutionEngine:
        if self.engine is not None:
            return self.engine
        if self.journal.run(self.run_id) is None:
            cash = self.live_broker.get_account().cash
            self.journal.start_run(self.run_id, kind="paper", strategy=self.strategy.name,
                                   initial_cash=cash, data_fingerprint="alpaca",
                                   config=self.settings.model_dump(mode="json"),
                                   started_at=self.clock.now())
        _, sectors = universe(self.settings)
        engine = ExecutionEngine(settings=self.settings, broker=self.broker, journal=self.journal,
                                 sectors=sectors, strategy_name=self.strategy.name, run_id=self.run_id,
                                 clock=self.clock.now, sleep=self._sleep,
                                 exit_rule=plugin_exit_rule(self.strategy),
                                 signal_kind=self.strategy.declarations()[0])
        engine.orders.before_call = self._check_deadline
        self.live_broker.seed(self.journal.orders(), self.journal.fills())
        engine.rebuild_books()
        engine.restore_guards()  # the guards' memory, as the backtest's engine holds it
        self.engine = engine
        return engine

    def _sleep(self, seconds: float) -> None:
        self._check_deadline()
        wait = min(seconds, self._deadline.remaining()) if self._deadline else seconds
        time.sleep(wait)

    def _check_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.check()

    # -- phases -------------------------------------------------------------------------

    def sync_orders(self, engine: ExecutionEngine) -> int:
        """Phase 1: the broker's view of our orders; an order journaled by another process (a
        `trade flatten`'s closing orders) adopted and its fills delivered to the books. An order
        with no journaled intent is foreign (:mod:`framework.foreign`): journaled apart, reported
        once (:attr:`new_foreign`), never ours. Returns how many orders were adopted."""
        journaled = {o.client_order_id for o in self.journal.orders()}
        now = self.clock.now()
        adopted = 0
        self.new_foreign = []
        for order in self.live_broker.get_orders("all", after=self._since()):
            cid = order.client_order_id
            if cid not in journaled:
                if self.journal.record_foreign(order, now):
                    self._report_foreign(order, now)
                continue
            if cid in engine.orders.orders:
                continue
            update = self.live_broker.adopt(order, order.updated_at or now)
            engine.on_order_update(update or OrderUpdate(OrderEvent.NEW, order, now))
            adopted += 1
        self._refresh_foreign(now)
        engine.foreign_open = tuple(self.journal.foreign_orders(open_only=True))
        self.live_broker.poll()
        self.live_broker.dispatch()
        return adopted

    def _report_foreign(self, order: Order, now: datetime) -> None:
        line = f"foreign order at the venue, not ours (never counted or cancelled): {foreign.describe(order)}"
        self.journal.record_event(order.client_order_id, "foreign_order", order.status.value, now, line)
        self.new_foreign.append(line)  # printed (and logged) with the cycle's result

    def _refresh_foreign(self, now: datetime) -> None:
        """Foreign orders still working that the listing's window no longer shows: their state read
        again (a manual stop filled weeks later still moved the account, not our books)."""
        for order in self.journal.foreign_orders(open_only=True):
            if order.broker_order_id is None:
                continue
            try:
                view = self.live_broker.get_order(order.broker_order_id)
            except OrderNotFound:
                continue
            if (view.status, view.filled_qty) != (order.status, order.filled_qty):
                self.journal.record_foreign(view, now)

    def _since(self) -> datetime | None:
        """Orders placed since our last decision (a margin before it) are the ones we may not know."""
        curve = self.journal.equity_curve(self.run_id)
        if curve.empty:
            return None
        return curve["time"].iloc[-1].to_pydatetime() - timedelta(days=7)

    def resolve_pending(self, engine: ExecutionEngine, signal_date: date) -> list[Order]:
        """Phase 2: intents the broker never received — sent, or withdrawn (stale, or adding risk
        while halted)."""
        resolved = engine.resolve_pending(session_time(pd.Timestamp(signal_date)))
        return [o for o in resolved if o.status is OrderStatus.CANCELED]

    def corporate_actions(self, engine: ExecutionEngine, history: MarketData, session: date) -> list[CorporateAction]:
        """Phase 3: the venue's actions on our holdings since we last looked, into our books."""
        found = actions_over(history, history.dates)
        found += [CorporateAction(symbol, session, ActionKind.SPLIT, Decimal(repr(ratio)))
                  for symbol, ratio in sorted(self.bars.splits_since_last_bar.items())]
        if self.journal.foreign_orders(settled=False):  # a person's fills are counted in today's shares
            self.journal.record_venue_splits(found)
        return engine.catch_up_actions(found)

    def reconcile(self, engine: ExecutionEngine) -> list[Difference]:
        """Phase 4: the broker is the truth; each difference reported once, adopted, journaled."""
        return engine.reconcile()

    # -- the cycle ------------------------------------------------------------------------

    @property
    def history_bars(self) -> int:
        return max(self.settings.paper.history_bars, warmup(self.strategy, self.settings.strategy.warmup_bars) + 1)

    def _already_ran(self, signal_date: date) -> bool:
        """The bar's equity row is written last, in the bar's final commit: it exists only if
        the whole decision (every intent) was journaled. A cycle cut short is run again; its
        pending orders count as held, so only what is missing is sent."""
        curve = self.journal.equity_curve(self.run_id)
        return bool((curve["time"] == pd.Timestamp(session_time(pd.Timestamp(signal_date)))).any())

    def cycle(self, session: date | None = None) -> CycleResult:
        """One cycle under its deadline: checked between steps, and bounding every wait the
        adapter would make inside one (a rate limit's, :mod:`framework.deadline`)."""
        self._deadline = Deadline(self.settings.paper.cycle_deadline_seconds)
        name = f"cycle deadline (paper.cycle_deadline_seconds = {self._deadline.seconds:g} s)"
        with bounded(Bound(name, self._deadline.remaining)):
            return self._cycle(session, self._deadline)

    def _cycle(self, session: date | None, deadline: Deadline) -> CycleResult:
        started = time.monotonic()
        try:
            self.clock.sync()
            session = session or next_session(self.live_broker)
            prev = previous_session(self.live_broker, session)
        except DeadlineExceeded:  # a wait the venue asked for that the cycle has no time for: not traded yet
            raise
        except BrokerError as e:
            raise ReconciliationError(f"cannot read the broker's clock, not trading: {e}") from e
        result = CycleResult(session=session, signal_date=prev)
        try:
            engine = self._engine()
            self.sync_orders(engine)
            result.foreign = list(self.new_foreign)
            result.withdrawn = self.resolve_pending(engine, prev)
            person_filled = any(o.filled_qty for o in self.journal.foreign_orders(settled=False))
            history = self._history(session) if engine.portfolio.holdings or person_filled else None
            if history is not None:
                result.actions = self.corporate_actions(engine, history, session)
            deadline.check("before reconciling")
            result.differences = self.reconcile(engine)
        except (CycleDeadlineExceeded, DeadlineExceeded):
            raise
        except BrokerError as e:
            raise ReconciliationError(f"cannot reconcile with the broker, not trading: {e}") from e
        halt = self.journal.halt_state()
        result.halted = halt.reason if halt.halted else ""
        if not self.dry_run and self._already_ran(prev):
            result.skipped = f"session {session} already traded (signals of {prev} journaled)"
            result.orders = engine.protect(pd.Timestamp(prev))  # a stop cancelled since is placed again
            result.unacked = self._wait_for_acks(result.orders)
        else:
            deadline.check("before deciding")
            report = self._decide(engine, session, prev, history)
            result.orders, result.deferred, result.notes = report.orders, report.deferred, report.notes
            result.warnings = self._new_warnings(engine)
            halt = self.journal.halt_state()
            result.halted = halt.reason if halt.halted else ""
            result.unacked = self._wait_for_acks(result.orders)
        result.seconds = time.monotonic() - started
        self._deadline = None
        return result

    def _history(self, session: date) -> MarketData:
        """Bars strictly before ``session`` as traded, with the venue's actions derived."""
        symbols, sectors = universe(self.settings)
        return self.bars.history(symbols, sectors, pd.Timestamp(session), self.history_bars)

    def _decide(self, engine: ExecutionEngine, session: date, prev: date, history: MarketData | None) -> CycleReport:
        history = history if history is not None else self._history(session)
        last = history.dates[-1]
        if last.date() != prev:
            raise StaleData(f"latest daily bar is {last.date()}, expected {prev}: data is stale")
        backfill_arrival_prices(engine, history)
        self._keep_inputs(session, last, history)
        signals = compute_signals(self.strategy, history)
        snapshot = SnapshotBuilder(history, self.settings.sizing.volatility_lookback).at(last)
        return engine.on_bar(last, snapshot, signals.loc[last])

    def _keep_inputs(self, session: date, last: pd.Timestamp, history: MarketData) -> None:
        """Store what this decision is made on, before acting, so ``trade backtest --inputs-of``
        can replay it exactly (a dry run writes nothing)."""
        if self.dry_run:
            return
        digest = decision_inputs.store(history, decision_inputs.folder_of(self.settings.paper.journal))
        self.journal.record_decision_inputs(self.run_id, session_time(pd.Timestamp(session)), session_time(last),
                                            digest)

    def _new_warnings(self, engine: ExecutionEngine) -> list[str]:
        """Signal-discard warnings, each given once per process (like the backtest's summary)."""
        fresh = []
        for kind, line in engine.discards.warnings(self.settings.signals).items():
            if kind not in self._warned:
                self._warned.add(kind)
                fresh.append(line)
        return fresh

    def _wait_for_acks(self, orders: list[Order]) -> list[str]:
        """Until every order is acknowledged (or final), or the deadline passes."""
        if self.dry_run:
            return []
        due = self._engine().orders.due  # a TWAP child waiting for its minute was not sent now
        waiting = {o.client_order_id for o in orders if (o.status is OrderStatus.CREATED
                   or o.broker_order_id is None) and due(o)}
        deadline = time.monotonic() + self.settings.paper.ack_deadline_seconds
        while waiting and time.monotonic() < deadline:
            self.live_broker.dispatch(timeout=0.2)
            waiting = {c for c in waiting if self._unacked(c)}
            if waiting:
                self.live_broker.poll()
        self.live_broker.dispatch()
        return sorted(waiting)

    def _unacked(self, client_order_id: str) -> bool:
        order = self.journal.order(client_order_id)
        if order is None or order.status is OrderStatus.CREATED:
            return True
        return order.broker_order_id is None and not order.status.is_terminal  # rejected is final

    # -- the loop -------------------------------------------------------------------------

    def seconds_until_cycle(self) -> tuple[date, float]:
        """The next session to trade and how long until its cycle (``minutes_before_open``
        before the open, on the venue's clock). Started while a session is open, the runner
        waits for the next session's cycle rather than trading mid-session."""
        clock = self.live_broker.get_clock()
        start = clock.next_open - timedelta(minutes=self.settings.paper.minutes_before_open)
        wait = max(0.0, (start - clock.timestamp).total_seconds())
        return clock.next_open.astimezone(NEW_YORK).date(), wait


def backfill_arrival_prices(engine: ExecutionEngine, history: MarketData) -> int:
    """Orders queued before an open arrive at that open: once the session's bar is known, its
    open is the order's arrival price (what the backtest records for its fills at the open).
    Both sides of the comparison are venue times."""
    opens = history.open
    filled = 0
    for order in list(engine.orders.orders.values()):
        if order.arrival_price is not None or order.symbol not in opens.columns:
            continue
        if is_twap_child(order.client_order_id):
            continue  # sent at its minute, not queued for an open: the day's open is not its arrival
        local = order.created_at.astimezone(NEW_YORK)
        day = pd.Timestamp(local.date()) if local.time() < datetime.min.time().replace(hour=9, minute=30) \
            else pd.Timestamp(local.date()) + pd.Timedelta(days=1)
        later = opens.index[opens.index >= day]
        if not len(later):
            continue
        price = opens.at[later[0], order.symbol]
        if pd.notna(price):
            engine.orders.record_arrival(order, Decimal(str(round(float(price), 6))))
            filled += 1
    return filled


def cash_equals(a: Decimal, b: Decimal, tolerance: Decimal = Decimal("0.01")) -> bool:
    return abs(a - b) <= tolerance
