"""A causal test plugin for the paper property test: a pseudo-random view per (date, symbol),
sometimes none (NaN), loaded as ``paper_property_plugin:HashSignals``."""

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


class HashSignals(Strategy):
    name = "hash_signals"
    summary = "A view per (date, symbol) from a hash: causal, reproducible, sometimes no view."

    class Params(StrategyParams):
        seed: int = Field(0, description="changes every view")

    @property
    def warmup_bars(self) -> int:
        return 1

    def signals(self, history: MarketData) -> pd.DataFrame:
        out = pd.DataFrame(index=history.dates, columns=history.symbols, dtype=float)
        for day in history.dates:
            for symbol in history.symbols:
                u = _unit(self.params.seed, day, symbol)
                out.at[day, symbol] = np.nan if u < 0.1 else (u - 0.25) / 0.75
        return out.clip(-1.0, 1.0)
