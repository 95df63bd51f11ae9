"""Labels: forward return over ``horizon`` bars, against the cross-section of that date."""

from __future__ import annotations

import pandas as pd

from framework.data import MarketData
from strategies.xgboost_signal.features import snap, stable

LABEL_STEP = 0.001  # with the feature grid, forward returns are compared on this grid (ties lose)


def forward_returns(history: MarketData, horizon: int) -> pd.DataFrame:
    """Return from the close of t to the close of t + horizon (NaN where unknown)."""
    close = history.close
    return stable(close.shift(-horizon) / close - 1.0)  # as of any date: the same labels, ties kept


def _excess(history: MarketData, horizon: int, grid: bool) -> pd.DataFrame:
    fwd = forward_returns(history, horizon)
    if grid:
        fwd = snap(fwd, LABEL_STEP, -10.0, 10.0)
    return fwd.sub(fwd.median(axis=1), axis=0)


def _long(wide: pd.DataFrame) -> pd.Series:
    long = wide.stack()
    long.index.names = ["date", "symbol"]
    return long


def labels(history: MarketData, horizon: int, task: str, grid: bool = True) -> pd.Series:
    """Long (date, symbol) labels: 1/0 beats-the-median, or excess return over the median. With
    ``grid`` the forward returns are snapped to :data:`LABEL_STEP` first, so a return within
    1e-5 of the median does not flip its label with the venue's last digits."""
    excess = _excess(history, horizon, grid)
    wide = (excess > 0).astype(float).where(excess.notna()) if task == "classification" else excess
    return _long(wide)


def label_weights(history: MarketData, horizon: int, dead_zone: float) -> pd.Series:
    """Long (date, symbol) training weights ``min(1, |excess| / dead_zone)``, the excess return
    over the date's median taken off the grid (snapping would jump). A row at the median, whose
    label a venue's last digits flip, weighs nothing, and a weight moves by the perturbation
    over ``dead_zone`` at most: the training objective is continuous in the history, where hard
    labels jump by a whole row at every flip (the walk-forward's retrained models then differ)."""
    excess = _excess(history, horizon, grid=False)
    return _long((excess.abs() / dead_zone).clip(upper=1.0))
