"""Short-term mean reversion: the example plugin of the README's walk-through.

Buys what closed far below its recent mean and shorts what closed far above it, trades daily and
shorts by its own defaults, and closes every position after ``hold_sessions`` sessions through
the exits hook (or earlier, once the close is back near its mean: a signal of 0 is flat).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

import pandas as pd
from pydantic import Field

from framework import MarketData, PositionsView, Strategy, StrategyParams
from framework.arrays import clip_frame


class MeanReversionParams(StrategyParams):
    lookback: int = Field(20, ge=3, le=252, description="bars in the mean and the deviation of the close")
    entry_z: float = Field(2.0, gt=0, le=10, description="|z-score| at which a position opens")
    hold_sessions: int = Field(5, ge=1, le=252, description="sessions a position is held at most (exits hook)")


class MeanReversion(Strategy):
    name = "mean_reversion"
    summary = "Buy closes far below their 20-day mean, short those far above; exit after 5 sessions."
    Params = MeanReversionParams
    signal_kind = "scores"  # conviction: a bigger deviation gets a bigger weight
    nan_means = "hold"  # a missing bar is no view: the position is kept
    trading_defaults: ClassVar = {"signals": {"rebalance_every": 1, "allow_short": True}}

    @property
    def warmup_bars(self) -> int:
        return self.params.lookback

    def signals(self, history: MarketData) -> pd.DataFrame:
        n = self.params.lookback
        window = history.close.rolling(n, min_periods=n - n // 5)  # a missing bar or two is no gap
        z = (history.close - window.mean()) / window.std()
        strength = clip_frame(-z / (2 * self.params.entry_z), -1, 1)  # z = -entry_z gives 0.5
        return strength.where(z.abs() >= self.params.entry_z, 0.0).where(z.notna())

    def exits(self, positions: PositionsView, session: pd.Timestamp) -> Collection[str]:
        return {s for s, p in positions.items() if p.sessions_held >= self.params.hold_sessions}
