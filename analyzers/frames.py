"""A run's records in pyfolio's shapes: daily returns, positions by value (+ cash), transactions.

Built from our own journal (not backtrader's PyFolio analyzer, which breaks with many symbols),
so a backtest and a paper run feed pyfolio and empyrical the same way. Indexes are session dates
at midnight UTC, as pyfolio expects; transactions keep their fill times.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType

import pandas as pd

from analyzers.records import RunRecords


@dataclass(frozen=True)
class Frames:
    returns: pd.Series  # daily, the first against the initial cash
    positions: pd.DataFrame  # value by symbol, and `cash`
    transactions: pd.DataFrame  # amount (signed), price, symbol; by fill time
    equity: pd.Series  # by session

    @property
    def days(self) -> pd.DatetimeIndex:
        """The sessions, tz-naive (what market data is indexed by)."""
        return self.returns.index.tz_localize(None)


@cache
def pyfolio() -> ModuleType:
    """pyfolio, imported once without its "zipline.assets not found" warning (no zipline here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyfolio as pf

    return pf


def _utc_days(index: pd.Index) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(index).tz_localize("UTC")


def frames(records: RunRecords) -> Frames:
    returns = records.returns.copy()
    returns.index = _utc_days(returns.index)
    pos = records.positions.assign(value=lambda f: f["qty"] * f["price"])
    values = pos.pivot_table(index="day", columns="symbol", values="value", aggfunc="sum")
    by_day = records.equity.set_index("day")
    positions = values.reindex(by_day.index).fillna(0.0)
    positions["cash"] = by_day["cash"]
    positions.index = _utc_days(positions.index)
    fills = records.fills
    sign = fills["side"].map({"buy": 1.0, "sell": -1.0})
    transactions = pd.DataFrame({"amount": fills["qty"] * sign, "price": fills["price"], "symbol": fills["symbol"]})
    transactions.index = pd.DatetimeIndex(pd.to_datetime(fills["time"], utc=True, format="ISO8601"))
    equity = by_day["equity"].copy()
    equity.index = _utc_days(equity.index)
    return Frames(returns, positions, transactions.sort_index(), equity)


__all__ = ["Frames", "frames", "pyfolio"]
