"""The benchmark a run is measured against: its own universe, equal weight, bought and held.

Built from the bars of the symbols the run could trade, over the run's sessions, so a backtest
and a paper run on the sandbox (which replays the same bars) are compared with the same thing.
"""

from __future__ import annotations

import pandas as pd

from framework.data import MarketData

NAME = "equal-weight universe (buy & hold)"


def equal_weight(market: MarketData, days: pd.DatetimeIndex) -> pd.Series | None:
    """Daily returns of an equal-dollar buy-and-hold of every symbol priced on the first day,
    indexed like ``days`` (tz-naive session dates); None when the bars do not cover them."""
    if len(days) == 0 or days[0] < market.dates[0] or days[-1] > market.dates[-1]:
        return None
    close = market.adjusted("all").close.reindex(days).ffill()  # total return: a split is no loss
    start = close.iloc[0]
    held = start[start.notna() & (start > 0)].index
    if held.empty:
        return None
    curve = (close[held] / start[held]).ffill().mean(axis=1)
    returns = curve.pct_change().fillna(0.0)
    return returns.rename(NAME)


__all__ = ["NAME", "equal_weight"]
