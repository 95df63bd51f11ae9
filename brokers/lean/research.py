"""The sweep's backtest: the lean path where it models the configuration, else backtrader; and
the check that re-runs chosen points on the backtrader path and compares.

Signals are computed once per distinct strategy parameter set (and data, and period) in a
worker process: points that differ only in execution settings (sizing, risk, costs, orders)
reuse them.
"""

from __future__ import annotations

import json
import tempfile
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from brokers.backtrader.runner import BacktestResult, run_backtest
from brokers.lean.equality import differences, traded
from brokers.lean.runner import run_lean_backtest, supports
from framework.config.settings import Settings
from framework.data import MarketData
from framework.journal import UNREAD_BY_RESULTS
from framework.registry import get_strategy
from framework.strategy import Strategy, compute_signals
from framework.trading_window import trading_window

_SIGNALS: OrderedDict[str, pd.DataFrame] = OrderedDict()
_KEEP = 8  # signal frames kept per worker (a 44-symbol, 5-year frame is ~0.5 MB)


def shared_signals(market: MarketData, strategy: Strategy, settings: Settings) -> pd.DataFrame:
    """The strategy's signals on the history the backtest sees, computed once per parameter set."""
    _, end = trading_window(market, strategy, settings)
    params = json.dumps(settings.strategy.model_dump(mode="json"), sort_keys=True, default=str)
    key = f"{market.fingerprint}|{end}|{params}"
    found = _SIGNALS.get(key)
    if found is None:
        found = _SIGNALS[key] = compute_signals(strategy, market.truncate(end))
        while len(_SIGNALS) > _KEEP:
            _SIGNALS.popitem(last=False)
    else:
        _SIGNALS.move_to_end(key)
    return found


def lean_or_backtrader(
    market: MarketData, strategy: Strategy, settings: Settings, journal_path: Path, *, leave_out: Iterable[str] = ()
) -> BacktestResult:
    """A sweep point: on the lean path when it models the settings, else on backtrader."""
    signals = shared_signals(market, strategy, settings)
    if supports(settings) is None:
        return run_lean_backtest(market, strategy, settings, journal_path, signals=signals, leave_out=leave_out)
    return run_backtest(market, strategy, settings, journal_path, signals=signals, leave_out=leave_out)


@dataclass(frozen=True)
class Check:
    name: str  # the point or fold checked
    path: str  # "lean", or "backtrader" when the lean path does not model it (nothing to compare)
    fills: int
    final_value: float
    differences: tuple[str, ...]

    @property
    def equal(self) -> bool:
        return not self.differences


def check_on_backtrader(market: MarketData, settings: Settings, name: str) -> Check:
    """Run ``settings`` on both paths and compare (a point the lean path does not model ran on
    backtrader already: nothing to compare). The journals are read for their fills and final
    value only: they leave out the rest."""
    strategy = get_strategy(settings.strategy.name)(settings.strategy.params)
    with tempfile.TemporaryDirectory(prefix="trade-lean-check-") as tmp:
        theirs = run_backtest(market, strategy, settings, Path(tmp) / "backtrader.sqlite", leave_out=UNREAD_BY_RESULTS)
        reference = traded(theirs.journal_path)
        if supports(settings) is not None:
            return Check(name, "backtrader", len(reference.fills), reference.final_value, ())
        ours = run_lean_backtest(market, strategy, settings, Path(tmp) / "lean.sqlite", leave_out=UNREAD_BY_RESULTS)
        found = differences(traded(ours.journal_path), reference)
    return Check(name, "lean", len(reference.fills), reference.final_value, tuple(found))


__all__ = ["Check", "check_on_backtrader", "lean_or_backtrader", "shared_signals"]
