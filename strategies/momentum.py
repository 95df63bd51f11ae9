"""Cross-sectional momentum: rank trailing returns across the universe each day.

A missing bar costs nothing: each end of the return window takes the nearest bar inside the
window when its own bar is missing (up to ``GAP_BARS`` sessions in), so one gap does not blank the
two rows whose window ends on it, and the window never reaches outside ``warmup_bars``.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field, model_validator

from framework.arrays import clip_frame
from framework.data import MarketData
from framework.strategy import Strategy, StrategyParams

GAP_BARS = 5  # a window end on a missing bar moves this many sessions inward at most


class MomentumParams(StrategyParams):
    lookback: int = Field(126, ge=2, description="bars in the return window")
    skip: int = Field(21, ge=0, description="most recent bars left out (short-term reversal)")

    @model_validator(mode="after")
    def _skip_inside_lookback(self) -> MomentumParams:
        if self.skip >= self.lookback:
            raise ValueError("skip must be smaller than lookback")
        return self


class Momentum(Strategy):
    name = "momentum"
    summary = "Cross-sectional momentum: long the strongest trailing returns (rank in [-1, 1])."
    Params = MomentumParams

    @property
    def warmup_bars(self) -> int:
        return self.params.lookback + 1

    def signals(self, history: MarketData) -> pd.DataFrame:
        close = history.close
        window = self.params.lookback - self.params.skip
        bridge = min(GAP_BARS, max(window - 1, 0))
        recent = close.ffill(limit=bridge).shift(self.params.skip)  # the last bar at or before t - skip
        listed = close.notna().cummax()  # never reach back before a symbol's first bar
        older = close.bfill(limit=bridge).where(listed).shift(self.params.lookback)  # first bar at/after
        momentum = recent / older - 1.0
        ranks = momentum.rank(axis=1)  # 1 = weakest
        count = momentum.notna().sum(axis=1)
        # Spread ranks evenly over [-1, 1]; with fewer than two names there is no cross-section.
        spread = (ranks.sub(1.0)).div((count - 1).where(count > 1), axis=0)
        return clip_frame(spread * 2.0 - 1.0, -1.0, 1.0)
