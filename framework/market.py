"""What the execution core sees of the market at one decision time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from framework.data import MarketData, session_time

TRADING_DAYS = 252


@dataclass(frozen=True)
class MarketSnapshot:
    """Prices at the decision time t (close of t) and trailing annualised volatility.

    ``prices`` holds only symbols that traded at t; a symbol missing from it cannot be bought
    (delisted or not yet listed).
    """

    time: datetime
    prices: pd.Series
    volatility: pd.Series

    @property
    def symbols(self) -> list[str]:
        return list(self.prices.index)


class SnapshotBuilder:
    """Builds snapshots from history; the rolling maths is done once, vectorised, up front."""

    def __init__(self, history: MarketData, volatility_lookback: int = 20) -> None:
        self._close = history.close
        returns = history.close.pct_change(fill_method=None)
        self._vol = returns.rolling(volatility_lookback, min_periods=max(2, volatility_lookback // 2)).std() * np.sqrt(
            TRADING_DAYS
        )
        self._index = {ts: i for i, ts in enumerate(history.close.index)}
        self._symbols = history.close.columns
        self._close_values = history.close.to_numpy()
        self._vol_values = self._vol.to_numpy()

    def at(self, date: pd.Timestamp) -> MarketSnapshot:
        i = self._index[pd.Timestamp(date)]
        close = self._close_values[i]
        traded = ~np.isnan(close)
        symbols = self._symbols[traded]
        return MarketSnapshot(
            time=session_time(date),
            prices=pd.Series(close[traded], index=symbols),
            volatility=pd.Series(self._vol_values[i][traded], index=symbols),
        )
