"""The simulation's strategy: a pseudo-random causal view per (date, symbol) from a hash, so
every session brings buys, sells and flat views (the most churn for the least data), loaded as
``live_sim_plugin:ChurnSignals``."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from pydantic import Field

from framework.data import MarketData
from framework.strategy import Strategy, StrategyParams


def _unit(seed: int, day: pd.Timestamp, symbol: str) -> float:
    digest = hashlib.sha256(f"{seed}|{day:%Y-%m-%d}|{symbol}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class ChurnSignals(Strategy):
    name = "churn_signals"
    summary = "A view per (date, symbol) from a hash: causal, reproducible, sometimes none."

    class Params(StrategyParams):
        seed: int = Field(0, description="changes every view")

    @property
    def warmup_bars(self) -> int:
        return 1

    def signals(self, history: MarketData) -> pd.DataFrame:
        days, symbols = history.dates, history.symbols
        values = np.array([[_unit(self.params.seed, d, s) for s in symbols] for d in days]).reshape(len(days),
                                                                                               len(symbols))
        out = pd.DataFrame((values - 0.3) / 0.7, index=days, columns=symbols)
        return out.where(values >= 0.1).clip(-1.0, 1.0)
