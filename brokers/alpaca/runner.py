"""`trade paper`: one cycle per session, before the open, on the same engine as the backtest.

A cycle for session D: sync with the broker → reconcile (broker is the truth) → bars ≤ D−1 →
signals (row D−1) → ``ExecutionEngine.on_bar`` → orders → wait for acks → journal. Equity for
sizing is cash plus positions marked at D−1's close, exactly as in the backtest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.dry_run import DryRunBroker
from brokers.alpaca.feeds import AlpacaBars
from framework.broker import OrderUpdate
from framework.config.settings import Settings
from framework.data import embedded_paths, load_sectors, session_time
from framework.engine import ExecutionEngine
from framework.enums import OrderEvent, OrderStatus
from framework.errors import BrokerError, DataError, ReconciliationError
from framework.journal import Journal
from framework.market import SnapshotBuilder
from framework.orders import Order
from framework.portfolio import Difference
from framework.registry import get_strategy
from framework.strategy import Strategy, compute_signals

log = logging.getLogger(__name__)
NEW_YORK = ZoneInfo("America/New_York")
Echo = Callable[[str], None]


@dataclass
class CycleResult:
    session: date
    signal_date: date | None
    orders: list[Order] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    unacked: list[str] = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0


def universe(settings: Settings) -> tuple[list[str], pd.Series]:
    """Symbols to trade and their sectors: config symbols, else the sectors file's."""
    path = settings.data.sectors or str(embedded_paths()[1])
    sectors = load_sectors(Path(path).expanduser())
    symbols = list(settings.data.symbols or sectors.index)
    return symbols, sectors


def next_session(broker: AlpacaBroker) -> date:
    """The session the next cycle trades: today's if the market is open, else the next one."""
    clock = broker.get_clock()
    when = clock.timestamp if clock.is_open else clock.next_open
    return when.astimezone(NEW_YORK).date()


def previous_session(broker: AlpacaBroker, session: date) -> date:
    days = broker.get_calendar(session - timedelta(days=10), session - timedelta(days=1))
    before = [d.date for d in days if d.date < session]
    if not before:
        raise DataError(f"the broker's calendar has no session before {session}")
    return max(before)


class PaperRunner:
    def __init__(self, settings: Settings, broker: AlpacaBroker, bars: AlpacaBars, *,
                 dry_run: bool = False, echo: Echo = print) -> None:
        self.settings, self.live_broker, self.bars = settings, broker, bars
        self.dry_run, self.echo = dry_run, echo
        self.strategy: Strategy = get_strategy(settings.strategy.name)(settings.strategy.params)
        self.run_id = f"{settings.paper.account}-{self.strategy.name}"
        path = ":memory:" if dry_run else settings.paper.journal
        self.journal = Journal(path)
        self.broker = DryRunBroker(broker) if dry_run else broker

    def close(self) -> None:
        self.journal.close()

    # -- sync and reconcile ---------------------------------------------------------------

    def _engine(self) -> ExecutionEngine:
        if self.journal.run(self.run_id) is None:
            cash = self.live_broker.get_account().cash
            self.journal.start_run(self.run_id, kind="paper", strategy=self.strategy.name,
                                   initial_cash=cash, data_fingerprint="alpaca",
                                   config=self.settings.model_dump(mode="json"),
                                   started_at=datetime.now(UTC))
        _, sectors = universe(self.settings)
        return ExecutionEngine(settings=self.settings, broker=self.broker, journal=self.journal,
                               sectors=sectors, strategy_name=self.strategy.name,
                               run_id=self.run_id)

    def _adopt_unknown(self, engine: ExecutionEngine) -> int:
        """Broker orders the journal never heard of (a crash lost them): adopt, never resend."""
        known = {o.client_order_id for o in self.journal.orders()}
        now = datetime.now(UTC)
        adopted = 0
        for order in self.live_broker.get_orders("open"):
            if order.client_order_id in known:
                continue
            self.live_broker.tracker.track(order.client_order_id)
            engine.on_order_update(OrderUpdate(OrderEvent.NEW, order, now))
            adopted += 1
        return adopted

    def _drop_stale_intents(self, before: datetime) -> list[str]:
        """Intents journaled before ``before`` that the broker never received are withdrawn:
        a days-old decision must not be sent on a restart."""
        dropped = []
        for order in self.journal.orders():
            if order.status is not OrderStatus.CREATED or order.created_at >= before:
                continue
            if self.live_broker.get_order_by_client_id(order.client_order_id) is None:
                withdrawn = order.transition(OrderStatus.CANCELED, updated_at=datetime.now(UTC))
                self.journal.record_order(self.run_id, withdrawn)
                self.journal.record_event(order.client_order_id, "withdrawn", "canceled",
                                          datetime.now(UTC), "stale intent never sent")
                dropped.append(order.client_order_id)
        return dropped

    def _restore_guards(self, engine: ExecutionEngine) -> None:
        """Equity at the last cycle and the peak, as the backtest's engine would hold them."""
        curve = self.journal.equity_curve(self.run_id)
        if not curve.empty:
            engine.session_start_equity = float(curve["equity"].iloc[-1])
            engine.peak_equity = float(curve["equity"].max())

    def sync(self, stale_before: datetime | None = None,
             ) -> tuple[ExecutionEngine, list[Difference]]:
        """Journal + broker → one consistent book, or :class:`ReconciliationError`."""
        broker = self.live_broker
        try:
            if stale_before is not None and not self.dry_run:
                self._drop_stale_intents(stale_before)
            broker.seed(self.journal.orders(), self.journal.fills())
            engine = self._engine()
            engine.start(reconcile=False)
            self._restore_guards(engine)
            self._adopt_unknown(engine)
            broker.poll()
            broker.dispatch()
            account = broker.get_account()
            positions = broker.get_positions()
        except BrokerError as e:
            raise ReconciliationError(f"cannot reconcile with the broker, not trading: {e}") from e
        diffs = engine.portfolio.reconcile(positions, account.cash)
        for d in diffs:
            self.journal.record_event("*", "reconcile", "difference", datetime.now(UTC), str(d))
        if diffs:
            engine.portfolio.adopt(positions, account.cash)
        return engine, diffs

    # -- the cycle ------------------------------------------------------------------------

    @property
    def history_bars(self) -> int:
        return max(self.settings.paper.history_bars, self.strategy.warmup_bars + 1)

    def _already_ran(self, signal_date: date) -> bool:
        """The bar's equity row is written last, in the bar's final commit: it exists only if
        the whole decision (every intent) was journaled. A cycle cut short is run again; its
        pending orders count as held, so only what is missing is sent."""
        curve = self.journal.equity_curve(self.run_id)
        return bool((curve["time"] == pd.Timestamp(session_time(pd.Timestamp(signal_date)))).any())

    def cycle(self, session: date | None = None) -> CycleResult:
        started = time.monotonic()
        try:
            session = session or next_session(self.live_broker)
            prev = previous_session(self.live_broker, session)
        except BrokerError as e:
            raise ReconciliationError(f"cannot read the broker's clock, not trading: {e}") from e
        engine, diffs = self.sync(stale_before=session_time(pd.Timestamp(prev)))
        result = CycleResult(session=session, signal_date=prev, differences=diffs)
        if not self.dry_run and self._already_ran(prev):
            result.skipped = f"session {session} already traded (signals of {prev} journaled)"
        else:
            result.orders = self._decide(engine, session, prev)
            result.unacked = self._wait_for_acks(result.orders)
        result.seconds = time.monotonic() - started
        return result

    def _decide(self, engine: ExecutionEngine, session: date, prev: date) -> list[Order]:
        symbols, sectors = universe(self.settings)
        history = self.bars.history(symbols, sectors, pd.Timestamp(session), self.history_bars)
        last = history.dates[-1]
        if last.date() != prev:
            raise DataError(f"latest daily bar is {last.date()}, expected {prev}: data is stale")
        signals = compute_signals(self.strategy, history)
        snapshot = SnapshotBuilder(history, self.settings.sizing.volatility_lookback).at(last)
        report = engine.on_bar(last, snapshot, signals.loc[last])
        return report.orders

    def _wait_for_acks(self, orders: list[Order]) -> list[str]:
        """Until every order is acknowledged (or final), or the deadline passes."""
        if self.dry_run:
            return []
        waiting = {o.client_order_id for o in orders if o.status is OrderStatus.CREATED
                   or o.broker_order_id is None}
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
        clock = self.live_broker.get_clock()
        if clock.is_open:
            return clock.timestamp.astimezone(NEW_YORK).date(), 0.0
        start = clock.next_open - timedelta(minutes=self.settings.paper.minutes_before_open)
        wait = max(0.0, (start - clock.timestamp).total_seconds())
        return clock.next_open.astimezone(NEW_YORK).date(), wait


def cash_equals(a: Decimal, b: Decimal, tolerance: Decimal = Decimal("0.01")) -> bool:
    return abs(a - b) <= tolerance
