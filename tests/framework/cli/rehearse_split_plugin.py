"""A test plugin for the split rehearsal: a full view on every symbol, every session, loaded
as ``rehearse_split_plugin:HoldAll``."""

from __future__ import annotations

import pandas as pd

from framework.data import MarketData
from framework.strategy import Strategy, StrategyParams


class HoldAll(Strategy):
    name = "hold_all"
    summary = "A full view on every symbol, every session: whatever happens, hold."

    class Params(StrategyParams):
        pass

    @property
    def warmup_bars(self) -> int:
        return 1

    def signals(self, history: MarketData) -> pd.DataFrame:
        return pd.DataFrame(1.0, index=history.dates, columns=history.symbols)
