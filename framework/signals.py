"""Signal processing: strengths in [-1, 1] → raw target weights (signed fractions of equity)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.config.execution import SignalsConfig

EPOCH = np.datetime64("2000-01-03")  # a Monday: the anchor of the rebalancing calendar


def is_rebalance_day(date: pd.Timestamp, every: int) -> bool:
    """Every ``every``-th weekday since a fixed epoch: the same answer in backtest and paper,
    wherever either starts."""
    day = np.datetime64(pd.Timestamp(date).date(), "D")
    return every == 1 or int(np.busday_count(EPOCH, day)) % every == 0


class SignalProcessor:
    """Threshold, optional top-N / bottom-N selection, long-only or long-short, normalisation."""

    def __init__(self, config: SignalsConfig) -> None:
        self.config = config

    def target_weights(self, signals: pd.Series) -> pd.Series:
        cfg = self.config
        s = signals.dropna().astype(float)
        s = s[s.abs() >= max(cfg.threshold, 1e-12)]
        if not cfg.allow_short:
            s = s[s > 0]
        longs, shorts = s[s > 0], s[s < 0]
        if cfg.top_n is not None:
            longs = longs.sort_values(ascending=False, kind="stable").iloc[: cfg.top_n]
        if cfg.bottom_n is not None:
            shorts = shorts.sort_values(ascending=True, kind="stable").iloc[: cfg.bottom_n]
        picked = pd.concat([longs, shorts]).sort_index()
        raw = np.sign(picked) if cfg.weighting == "equal" else picked
        gross = float(raw.abs().sum())
        if gross == 0:
            return pd.Series(dtype=float)
        return (raw * (cfg.gross_target / gross)).astype(float)
