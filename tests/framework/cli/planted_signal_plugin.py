"""A plugin with a planted, known IC for `trade signals` tests, loaded as
``planted_signal_plugin:Planted``: its signal is the cross-sectional rank of the day's volume, and
the test's prices make the next session's return beta·z + noise, where z is what the volume encodes
(volume = 10^6 · e^(z/2)). So the rank IC at one session is 6/π · asin(ρ/2), ρ = beta / √(beta² + σ²)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.data import MarketData
from framework.strategy import Strategy, StrategyParams


class Planted(Strategy):
    name = "planted"
    summary = "The rank of today's volume (a planted signal for the signal report's tests)."

    class Params(StrategyParams):
        pass

    def signals(self, history: MarketData) -> pd.DataFrame:
        ranks = np.log(history.volume).rank(axis=1, pct=True)
        return (ranks * 2 - 1).clip(-1, 1)
