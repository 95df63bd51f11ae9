"""Walk-forward selection: per fold, the best point in sample; their out-of-sample returns stitched.

Pure: it takes the points' daily returns (dates × point ids) and the folds, and answers which
point each fold trades; the caller runs those trades as real backtests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from framework.research.folds import Fold
from framework.research.metrics import Metric, measure


@dataclass(frozen=True, slots=True)
class Choice:
    fold: Fold
    point: str
    in_sample: float  # the metric of the chosen point over the fold's in-sample window


def best(values: dict[str, float]) -> str:
    """The id with the highest finite value (first of equals, in the given order)."""
    ids = list(values)
    scores = np.array([values[i] if values[i] is not None and math.isfinite(values[i]) else -np.inf for i in ids])
    return ids[int(np.argmax(scores))]


def choose(fold: Fold, returns: pd.DataFrame, metric: Metric) -> Choice:
    """The point (column of ``returns``) with the best ``metric`` over the fold's in-sample window."""
    window = returns.loc[fold.is_start : fold.is_end]
    values = {str(c): measure(metric, window[c]) for c in returns.columns}
    point = best(values)
    return Choice(fold, point, values[point])


def stitch(pieces: list[pd.Series]) -> pd.Series:
    """Consecutive out-of-sample return series as one (they must not overlap)."""
    if not pieces:
        return pd.Series(dtype=float)
    joined = pd.concat(pieces)
    if not joined.index.is_monotonic_increasing or joined.index.has_duplicates:
        raise ValueError("out-of-sample windows overlap or are out of order")
    return joined


def equity(returns: pd.Series, start: float = 1.0) -> pd.Series:
    return start * (1.0 + returns.fillna(0.0)).cumprod()


__all__ = ["Choice", "best", "choose", "equity", "stitch"]
