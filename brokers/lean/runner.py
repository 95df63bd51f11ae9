"""Run one backtest on the lean path: the same engine, journal and session order as
:func:`brokers.backtrader.runner.run_backtest`, the bars walked as arrays by our own loop.

The session, as backtrader runs it: at each open the corporate actions, then the fills of the
orders sent before it; at the close the DAY orders expire, delistings close out, the engine
decides.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from brokers.backtrader.feeds import datenums
from brokers.backtrader.runner import (
    CLOSE_AFTER_MIDNIGHT,
    OPEN_AFTER_MIDNIGHT,
    BacktestResult,
    _action_days,
    _run_id,
)
from brokers.lean.broker import Bars, LeanBroker
from framework.config.settings import Settings
from framework.data import FIELDS, MarketData, session_time
from framework.engine import ExecutionEngine
from framework.enums import TimeInForce
from framework.errors import InputError
from framework.journal import Journal
from framework.market import SnapshotBuilder
from framework.orders import DELISTING_TAG
from framework.strategy import Strategy, compute_signals, plugin_exit_rule
from framework.styles import OrderStyle
from framework.trading_window import trading_window
from framework.venue import actions_on, venue_from_config


def supports(settings: Settings) -> str | None:
    """Why the lean path cannot run ``settings`` (None: it can). What it does not model stays
    on the backtrader path: every order style but plain market orders (limits, auctions, TWAP), time in
    force other than day and gtc, protective stops."""
    if settings.orders.effective_style is not OrderStyle.MARKET:
        return f"orders style {settings.orders.effective_style.value}"
    if settings.orders.time_in_force not in (TimeInForce.DAY, TimeInForce.GTC):
        return f"orders.time_in_force {settings.orders.time_in_force.value}"
    if settings.risk.stop_loss is not None or settings.risk.trailing_stop is not None:
        return "protective stops"
    return None


def _bars(traded: MarketData) -> Bars:
    symbols = list(traded.symbols)
    fields = {f: getattr(traded, f).reindex(columns=symbols).to_numpy(dtype=float) for f in FIELDS}
    return Bars(symbols, datenums(traded.dates), fields)


#: The bars of the last windows run, by market object and window: a sweep runs its points on one
#: market and a few windows, and a point's books convert every holding's close of every session to
#: an exact Decimal (:meth:`Bars.trade`), so the next point on the window reuses both. An entry
#: goes with its market (held weakly): no bars outlive the data they were read from.
_BARS: OrderedDict[tuple[int, pd.Timestamp, pd.Timestamp], tuple[weakref.ref[MarketData], Bars]] = OrderedDict()
_KEEP_BARS = 2


def window_bars(market: MarketData, traded: MarketData, start: pd.Timestamp, end: pd.Timestamp) -> Bars:
    """The bars of ``traded``, the ``start``..``end`` window of ``market``: the last run's when it
    ran the same window of the same market object."""
    key = (id(market), start, end)
    found = _BARS.get(key)
    if found is not None and found[0]() is market:
        _BARS.move_to_end(key)
        return found[1]
    bars = _bars(traded)
    _BARS[key] = (weakref.ref(market, lambda _ref: _BARS.pop(key, None)), bars)
    while len(_BARS) > _KEEP_BARS:
        _BARS.popitem(last=False)
    return bars


def run_lean_backtest(
    market: MarketData,
    strategy: Strategy,
    settings: Settings,
    journal_path: Path,
    progress: Callable[[int], None] | None = None,
    signals: pd.DataFrame | None = None,
    leave_out: Iterable[str] = (),
) -> BacktestResult:
    """Backtest ``strategy`` on ``market`` as ``run_backtest`` does, without Cerebro."""
    reason = supports(settings)
    if reason is not None:
        raise InputError(f"the lean path does not model {reason}: run it on the backtrader path")
    if journal_path.exists():
        raise InputError(f"journal {journal_path} already exists: a backtest writes a new journal")
    start, end = trading_window(market, strategy, settings)
    history = market.truncate(end)
    run_id = _run_id(strategy, market, start, end)
    journal = Journal(journal_path, durable=False, leave_out=leave_out)
    journal.start_run(
        run_id, kind="backtest", strategy=strategy.name, initial_cash=settings.backtest.cash,
        config=settings.model_dump(mode="json"), data_fingerprint=market.fingerprint, started_at=session_time(start),
    )
    if signals is None:
        signals = compute_signals(strategy, history)
    traded = history.between(start, end)
    venue = venue_from_config(settings.venue)
    bars = window_bars(market, traded, start, end)
    clock = {"open": session_time(traded.dates[0]), "now": session_time(history.dates[0])}
    broker = LeanBroker(bars, settings.backtest.cash, venue, lambda: clock["open"], settings.backtest.volume_cap)
    snapshots = SnapshotBuilder(history, settings.sizing.volatility_lookback)
    universe = snapshots.universe
    aligned = np.ascontiguousarray(signals.reindex(columns=list(universe.symbols)).to_numpy(dtype=float))
    signal_row = {ts: i for i, ts in enumerate(signals.index)}
    delist_on: dict[pd.Timestamp, list[str]] = {}
    for symbol, day in sorted(history.last_valid_dates().items()):
        if day is not None and day < end:
            delist_on.setdefault(day, []).append(symbol)
    action_days = _action_days(traded, dividends=venue.pays_dividends)
    engine = ExecutionEngine(
        settings=settings, broker=broker, journal=journal, sectors=history.sectors, strategy_name=strategy.name,
        run_id=run_id, clock=lambda: clock["now"], sleep=lambda _s: None, exit_rule=plugin_exit_rule(strategy),
        signal_kind=strategy.declarations()[0],
    )
    delisted: list[str] = []
    try:
        engine.start(reconcile=False)
        with journal.batch():
            for row, date in enumerate(traded.dates):
                day = session_time(date)
                clock["open"] = day + OPEN_AFTER_MIDNIGHT
                broker.row = row
                if bars.dates[row] in action_days:
                    for action in actions_on(history, date):
                        broker.apply_corporate_action(action)
                broker.fill_step(row)
                clock["now"] = day + CLOSE_AFTER_MIDNIGHT
                broker.expire_day_orders(before=clock["now"])
                leaving = delist_on.get(date, [])
                for symbol in leaving:
                    price = float(history.close.at[date, symbol])
                    if engine.close_position(date, symbol, price, DELISTING_TAG) is not None:
                        delisted.append(symbol)
                engine.on_bar(date, snapshots.at(date).without(leaving), aligned[signal_row[date]])
                if progress:
                    progress(1)
    finally:
        journal.close()
    return BacktestResult(run_id, journal_path, start, end, len(traded.dates), tuple(delisted),
                          settings.backtest.cash, engine.discards)


__all__ = ["run_lean_backtest", "supports"]
