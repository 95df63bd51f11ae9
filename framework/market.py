"""What the execution core sees of the market at one decision time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from framework.data import MarketData, session_time
from framework.universe import Universe

TRADING_DAYS = 252


@dataclass(frozen=True, eq=False)
class MarketSnapshot:
    """Prices at the decision time t (close of t) and trailing annualised volatility, aligned
    to ``universe``.

    A NaN price means the symbol did not trade at t (delisted or not yet listed): it cannot be
    traded this bar and any position in it is held. ``tradable`` can also bar a symbol that has a
    price (its last session, closed out by the runner; a repaired bar): it is valued at its price
    but not traded. ``None``: every priced symbol is tradable.
    """

    time: datetime
    universe: Universe
    prices: np.ndarray
    volatility: np.ndarray
    tradable: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.universe)
        if self.prices.shape != (n,) or self.volatility.shape != (n,):
            raise ValueError(f"snapshot arrays must have shape ({n},) like the universe")
        if self.tradable is not None and self.tradable.shape != (n,):
            raise ValueError(f"the tradable mask must have shape ({n},) like the universe")

    @property
    def trade_prices(self) -> np.ndarray:
        """Prices where the symbol can trade at t, NaN where it cannot."""
        if self.tradable is None:
            return self.prices
        return np.where(self.tradable, self.prices, np.nan)

    @classmethod
    def of(
        cls,
        time: datetime,
        prices: Mapping[str, float] | pd.Series,
        volatility: Mapping[str, float] | pd.Series | None = None,
    ) -> MarketSnapshot:
        """A snapshot from labelled prices (and volatilities), for callers outside a run."""
        universe = Universe.of(prices.keys())
        vol = universe.vector(volatility, fill=np.nan) if volatility is not None else np.full(len(universe), np.nan)
        return cls(time, universe, universe.vector(prices), vol)

    def without(self, symbols: list[str]) -> MarketSnapshot:
        """The same snapshot with ``symbols`` untradable but still priced (a delisting closed out
        today: the position is valued at its last close, and the decision leaves it alone)."""
        if not symbols:
            return self
        tradable = np.isfinite(self.prices) if self.tradable is None else self.tradable.copy()
        for symbol in symbols:
            if symbol in self.universe:
                tradable[self.universe.position(symbol)] = False
        return MarketSnapshot(self.time, self.universe, self.prices, self.volatility, tradable)


class SnapshotBuilder:
    """Builds snapshots from history; the rolling maths is done once, vectorised, up front."""

    def __init__(self, history: MarketData, volatility_lookback: int = 20) -> None:
        close = history.close.reindex(columns=sorted(history.close.columns))
        returns = history.returns().reindex(columns=close.columns)  # across splits and dividends
        vol = returns.rolling(volatility_lookback, min_periods=max(2, volatility_lookback // 2)).std()
        self.universe = Universe(tuple(close.columns))
        self._index = {ts: i for i, ts in enumerate(close.index)}
        self._close = np.ascontiguousarray(close.to_numpy(dtype=float))
        self._vol = np.ascontiguousarray(vol.to_numpy(dtype=float) * np.sqrt(TRADING_DAYS))

    def at(self, date: pd.Timestamp) -> MarketSnapshot:
        i = self._index[pd.Timestamp(date)]
        return MarketSnapshot(session_time(date), self.universe, self._close[i], self._vol[i])
