"""Signal processing: strengths in [-1, 1] → raw target weights (signed fractions of equity)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import numpy as np
import pandas as pd

from framework.config.execution import SignalsConfig

EPOCH = np.datetime64("2000-01-03")  # a Monday: the anchor of the rebalancing calendar


def is_rebalance_day(when: pd.Timestamp | datetime | date, every: int) -> bool:
    """Every ``every``-th weekday since a fixed epoch: the same answer in backtest and paper,
    wherever either starts. An aware time counts on its own calendar day (a session's time is
    New York midnight, which is the same day in UTC)."""
    if every == 1:
        return True
    day = when.date() if isinstance(when, datetime) else when
    return _weekdays_since_epoch(day) % every == 0


@lru_cache(maxsize=16384)
def _weekdays_since_epoch(day: date) -> int:
    return int(np.busday_count(EPOCH, np.datetime64(day, "D")))


def _strongest(values: np.ndarray, candidates: np.ndarray, n: int | None, descending: bool) -> np.ndarray:
    """Mask of the ``n`` strongest candidates; ties go to the earlier symbol (stable order)."""
    if n is None:
        return candidates
    idx = np.flatnonzero(candidates)
    keys = -values[idx] if descending else values[idx]
    keep = np.zeros_like(candidates)
    keep[idx[np.argsort(keys, kind="stable")[:n]]] = True
    return keep


class SignalProcessor:
    """Threshold, optional top-N / bottom-N selection, long-only or long-short, normalisation.

    What a signal means (the contract plugins are held to, README "Writing a strategy plugin"):
    NaN is *no view*: the position is held as it is; a value whose magnitude is below
    ``threshold`` (an explicit 0 included) is *flat*: no position; otherwise the sign is the side
    and the magnitude the conviction. Negative values open shorts only with ``allow_short``;
    without it they are flat.
    """

    def __init__(self, config: SignalsConfig) -> None:
        self.config = config

    def target_weights(self, signals: np.ndarray, held_weights: np.ndarray | None = None) -> np.ndarray:
        """Signed weights aligned to ``signals``: NaN where there is no view (hold), 0 where flat.

        ``held_weights``: |value| / equity of what is held; positions kept for lack of a view
        take their share of ``gross_target`` first, so the total stays within it.
        """
        cfg = self.config
        raw_signals = np.asarray(signals, dtype=float)
        view = ~np.isnan(raw_signals)
        s = np.where(view, raw_signals, 0.0)
        strong = view & (np.abs(s) >= max(cfg.threshold, 1e-12))
        longs = _strongest(s, strong & (s > 0), cfg.top_n, descending=True)
        shorts = strong & (s < 0) if cfg.allow_short else np.zeros_like(strong)
        shorts = _strongest(s, shorts, cfg.bottom_n, descending=False)
        picked = longs | shorts
        raw = np.where(picked, np.sign(s) if cfg.weighting == "equal" else s, 0.0)
        gross = float(np.abs(raw).sum())
        budget = cfg.gross_target
        if held_weights is not None:
            budget = max(budget - float(np.abs(np.asarray(held_weights))[~view].sum()), 0.0)
        weights = raw * (budget / gross) if gross > 0 else np.zeros_like(raw)
        return np.where(view, weights, np.nan)
