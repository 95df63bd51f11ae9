"""Run one backtest: Cerebro owns the clock; the execution core makes every decision."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

from brokers.backtrader.broker import BacktraderBroker
from brokers.backtrader.commission import configure_broker
from brokers.backtrader.feeds import ArrayFeed, clock_feed, datenums, symbol_feeds
from brokers.backtrader.host import EngineHost, HostHooks
from brokers.backtrader.minute_fills import MinuteFills
from brokers.backtrader.sessions import SessionCerebro
from brokers.backtrader.sim_broker import VenueBroker
from framework.config.backtest import BacktestConfig
from framework.config.settings import Settings
from framework.data import MarketData, session_time
from framework.engine import ExecutionEngine
from framework.errors import InputError
from framework.exits import ExitRule
from framework.journal import Journal
from framework.market import MarketSnapshot, SnapshotBuilder
from framework.orders import DELISTING_TAG
from framework.signals import DiscardTally, SignalKind
from framework.strategy import Strategy, compute_signals, plugin_exit_rule
from framework.styles import require_daily_style
from framework.trading_window import trading_window
from framework.venue import Venue, actions_on, venue_from_config

OPEN_AFTER_MIDNIGHT = timedelta(hours=9, minutes=30)  # New York's 09:30 open
CLOSE_AFTER_MIDNIGHT = timedelta(hours=16)  # and its 16:00 close


@dataclass(frozen=True)
class BacktestResult:
    run_id: str
    journal_path: Path
    start: pd.Timestamp
    end: pd.Timestamp
    sessions: int
    delisted: tuple[str, ...]
    initial_cash: float
    discards: DiscardTally


def run_context(strategy: str, result: BacktestResult, settings: Settings, **extra: Any) -> dict[str, Any]:
    """What a backtest's run folder says of the run (``summary.json``), ``extra`` beside it."""
    return {
        "strategy": strategy,
        "run_id": result.run_id,
        "start": str(result.start.date()),
        "end": str(result.end.date()),
        "sessions": result.sessions,
        "initial_cash": result.initial_cash,
        "venue": {"profile": settings.venue.profile.value},
        **extra,
        "config": settings.model_dump(mode="json"),
    }


class _BarClock:
    """Times of the bar backtrader is on: fills at its open, decisions at its close.

    Moved once per bar, at its open (the broker asks for the time on every order event).
    ``days``: the run's sessions by date number (any other is converted).
    """

    def __init__(self, days: Mapping[float, pd.Timestamp]) -> None:
        self.days = days
        self._key = float("nan")
        self.open = self.close = session_time(pd.Timestamp("1970-01-01"))

    def move(self, datenum: float) -> None:
        if datenum != self._key:
            day = self.days.get(datenum)
            midnight = session_time(pd.Timestamp(bt.num2date(datenum).date()) if day is None else day)
            self._key, self.open, self.close = datenum, midnight + OPEN_AFTER_MIDNIGHT, midnight + CLOSE_AFTER_MIDNIGHT


def session_days(dates: pd.DatetimeIndex) -> dict[float, pd.Timestamp]:
    """Each session by its backtrader date number (:func:`datenums`)."""
    return dict(zip(datenums(dates).tolist(), dates, strict=True))


def _action_days(market: MarketData, dividends: bool) -> frozenset[float]:
    """The sessions (as backtrader date numbers) on which the data has a split, or a dividend
    the venue pays: on every other open the adapter would find nothing to apply (a dividend
    the venue does not pay changes nothing)."""
    rows = np.zeros(len(market.dates), dtype=bool)
    for frame in (market.splits, market.dividends if dividends else None):
        if frame is not None:
            rows |= frame.notna().to_numpy().any(axis=1)
    return frozenset(datenums(market.dates[rows]).tolist())


@dataclass(frozen=True)
class Decision:
    """A decision's inputs as a paper cycle built them (a replay hands them in, per session)."""

    snapshot: MarketSnapshot
    signals: pd.Series


class _Session:
    """The per-session glue between backtrader's callbacks and the engine."""

    def __init__(
        self,
        market: MarketData,
        signals: pd.DataFrame,
        strategy: Strategy,
        settings: Settings,
        journal: Journal,
        run_id: str,
        end: pd.Timestamp,
        progress: Callable[[int], None] | None,
        decisions: Mapping[pd.Timestamp, Decision] | None = None,
        days: Mapping[float, pd.Timestamp] | None = None,
    ) -> None:
        self.decisions = decisions or {}
        self.days = days or {}  # the traded sessions by date number
        self.market, self.settings, self.journal, self.run_id = market, settings, journal, run_id
        self.strategy_name = strategy.name
        self.exit_rule: ExitRule | None = plugin_exit_rule(strategy)
        self.signal_kind: SignalKind = strategy.declarations()[0]
        self.snapshots = SnapshotBuilder(market, settings.sizing.volatility_lookback)
        universe = self.snapshots.universe
        self.signals = np.ascontiguousarray(signals.reindex(columns=list(universe.symbols)).to_numpy(dtype=float))
        self.signal_row = {ts: i for i, ts in enumerate(signals.index)}
        last = market.last_valid_dates()
        self.delist_on: dict[pd.Timestamp, list[str]] = {}
        for symbol, day in sorted(last.items()):
            if day is not None and day < end:
                self.delist_on.setdefault(day, []).append(symbol)
        self.delisted: list[str] = []
        self.progress = progress
        self.clock = _BarClock(self.days)
        self.now = session_time(market.dates[0])
        self.engine: ExecutionEngine | None = None
        self.adapter: BacktraderBroker | None = None
        self.venue = venue_from_config(settings.venue)
        self.action_days = _action_days(market, dividends=self.venue.pays_dividends)
        self._transaction = ExitStack()

    def finish(self) -> None:
        self._transaction.close()

    def attach(self, host: bt.Strategy, feeds: dict[str, bt.feed.DataBase]) -> None:
        clock = self.clock

        def market_time() -> datetime:
            """One clock: fills happen at the open of the bar being processed, and what the
            decision at its close does (acks, cancels, expiries) at the close: nothing is stamped
            before the order it is about was created. (:meth:`on_open` moves the clock.)"""
            return max(clock.open, self.now)

        self.adapter = BacktraderBroker(host, feeds, market_time, self.venue)
        host.broker.on_open = lambda: self.on_open(host)
        self.engine = ExecutionEngine(
            settings=self.settings,
            broker=self.adapter,
            journal=self.journal,
            sectors=self.market.sectors,
            strategy_name=self.strategy_name,
            run_id=self.run_id,
            clock=lambda: self.now,
            sleep=lambda _s: None,
            exit_rule=self.exit_rule,
            signal_kind=self.signal_kind,
        )
        self.engine.start(reconcile=False)
        # One journal transaction for the run: every decision's intents still commit before
        # the first of them is sent (the journal does that), and the rest commits with them or
        # at the end. A backtest's journal is published only when the run completes.
        self._transaction.enter_context(self.journal.batch())

    def on_open(self, host: bt.Strategy) -> None:
        """The open of a bar, before any fill: the clock moves to it, then its corporate actions
        (splits, dividends)."""
        assert self.adapter is not None
        datenum = host.datas[0].datetime[0]
        self.clock.move(datenum)
        if datenum not in self.action_days:
            return
        day = pd.Timestamp(bt.num2date(datenum).date())
        for action in actions_on(self.market, day):
            self.adapter.apply_corporate_action(action)

    def on_notify(self, order: bt.Order) -> None:
        assert self.adapter is not None
        self.adapter.notify(order)

    def on_session(self, date: pd.Timestamp) -> None:
        assert self.engine is not None and self.adapter is not None
        self.now = session_time(date) + CLOSE_AFTER_MIDNIGHT  # decisions happen at the close
        self.adapter.expire_day_orders(before=self.now)
        leaving = self.delist_on.get(date, [])
        self._close_out(date, leaving)
        given = self.decisions.get(date)
        if given is not None:
            self.engine.on_bar(date, given.snapshot.without(leaving), given.signals)
        else:
            snapshot = self.snapshots.at(date).without(leaving)
            self.engine.on_bar(date, snapshot, self.signals[self.signal_row[date]])
        if self.progress:
            self.progress(1)

    def _close_out(self, date: pd.Timestamp, symbols: list[str]) -> None:
        """A delisting: close the position at the symbol's last close (market-on-close)."""
        assert self.engine is not None
        for symbol in symbols:
            price = float(self.market.close.at[date, symbol])
            if self.engine.close_position(date, symbol, price, DELISTING_TAG) is not None:
                self.delisted.append(symbol)


def simulator(traded: MarketData, backtest: BacktestConfig, venue: Venue) -> tuple[bt.Cerebro, dict[str, ArrayFeed]]:
    """Cerebro as every backtest runs it: :class:`VenueBroker` with the venue's costs, the
    clock feed first (``datas[0]``: every session), then a numpy feed per symbol that trades.
    Add the strategy and run."""
    cerebro = SessionCerebro(stdstats=False)  # notifications reach the host before each next()
    broker = VenueBroker(checksubmit=False)
    broker.venue = venue
    cerebro.broker = broker
    configure_broker(broker, venue, backtest.cash, backtest.volume_cap)
    dates = datenums(traded.dates)
    cerebro.adddata(clock_feed(traded, dates))
    feeds = symbol_feeds(traded, dates)
    for feed in feeds.values():
        cerebro.adddata(feed)
    return cerebro, feeds


def _run_id(strategy: Strategy, market: MarketData, start: pd.Timestamp, end: pd.Timestamp) -> str:
    return f"bt-{strategy.name}-{market.fingerprint[:8]}-{start:%Y%m%d}-{end:%Y%m%d}"


def run_backtest(
    market: MarketData,
    strategy: Strategy,
    settings: Settings,
    journal_path: Path,
    progress: Callable[[int], None] | None = None,
    signals: pd.DataFrame | None = None,
    decisions: Mapping[pd.Timestamp, Decision] | None = None,
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    minutes: MinuteFills | None = None,
    leave_out: Iterable[str] = (),
) -> BacktestResult:
    """Backtest ``strategy`` on ``market``; every record goes to the journal at ``journal_path``.

    ``signals``: the strategy's signals on this market, when already computed (the benchmark
    times the execution path on its own); by default they are computed here. ``decisions``:
    per session, the snapshot and signals to decide on instead (a replay of a paper run's inputs);
    ``window``: the first and last session to trade, when the caller knows them (a replay: the
    paper run's decisions, whose warm-up was paper's own) instead of the configured period.
    ``minutes``: minute bars to fill TWAP children on (:meth:`MinuteFills.from_cache`); without
    them ``orders.style: twap`` is refused, daily bars holding no minutes.

    ``journal_path`` must not exist: a backtest is re-run, never resumed, and in a journal that
    holds its client ids the engine would take the old orders for its own (sending nothing).
    """
    if journal_path.exists():
        raise InputError(f"journal {journal_path} already exists: a backtest writes a new journal")
    if minutes is None:
        require_daily_style(settings.orders.effective_style, "the backtest")
    start, end = window or trading_window(market, strategy, settings)
    history = market.truncate(end)
    run_id = _run_id(strategy, market, start, end)
    # re-run, not recovered: written whole at the end; leave_out: tables nobody reads back (a sweep point's)
    journal = Journal(journal_path, durable=False, leave_out=leave_out)
    journal.start_run(
        run_id,
        kind="backtest",
        strategy=strategy.name,
        initial_cash=settings.backtest.cash,
        config=settings.model_dump(mode="json"),
        data_fingerprint=market.fingerprint,
        started_at=session_time(start),
    )
    if signals is None:
        signals = compute_signals(strategy, history)
    traded = history.between(start, end)
    days = session_days(traded.dates)
    session = _Session(history, signals, strategy, settings, journal, run_id, end, progress, decisions, days)
    cerebro, feeds = simulator(traded, settings.backtest, session.venue)
    if minutes is not None:
        cerebro.broker.minute_fills = minutes

    class _Host(EngineHost):
        def start(self) -> None:
            session.attach(self, feeds)

    cerebro.addstrategy(_Host, hooks=HostHooks(session.on_session, session.on_notify, days))
    try:
        cerebro.run()
    finally:
        session.finish()
        journal.close()
    assert session.engine is not None
    return BacktestResult(
        run_id, journal_path, start, end, len(traded.dates), tuple(session.delisted), settings.backtest.cash,
        session.engine.discards,
    )


__all__ = ["BacktestResult", "Decision", "run_backtest", "simulator", "trading_window"]
