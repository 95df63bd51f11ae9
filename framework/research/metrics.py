"""The figures a sweep ranks points by, computed from daily returns alone.

From returns alone so that the same number can be taken over any slice of a run (an
in-sample window of a walk-forward fold, a CSCV half) with the functions ``trade backtest``'s
summary uses (empyrical), and so agree with it on a whole run.
"""

from __future__ import annotations

import math
from enum import StrEnum

import empyrical
import numpy as np
import pandas as pd


class Metric(StrEnum):
    """What "best" means. Every one is higher-is-better (a drawdown is negative)."""

    SHARPE = "sharpe"
    SORTINO = "sortino"
    CALMAR = "calmar"
    CAGR = "cagr"
    TOTAL_RETURN = "total_return"
    MAX_DRAWDOWN = "max_drawdown"


def _total_return(r: pd.Series) -> float:
    return float(np.prod(1.0 + r.to_numpy(dtype=float)) - 1.0)


_FORMULAS = {
    Metric.SHARPE: empyrical.sharpe_ratio,
    Metric.SORTINO: empyrical.sortino_ratio,
    Metric.CALMAR: empyrical.calmar_ratio,
    Metric.CAGR: empyrical.cagr,
    Metric.TOTAL_RETURN: _total_return,
    Metric.MAX_DRAWDOWN: empyrical.max_drawdown,
}


def measure(metric: Metric, returns: pd.Series) -> float:
    """``metric`` of daily ``returns``; NaN when it is undefined (too short, no variance)."""
    r = pd.Series(returns, dtype=float).dropna()
    if len(r) < 2:
        return math.nan
    value = float(_FORMULAS[Metric(metric)](r))
    return value if math.isfinite(value) else math.nan


def measure_all(returns: pd.Series) -> dict[str, float]:
    """Every :class:`Metric` of ``returns`` by name."""
    return {m.value: measure(m, returns) for m in Metric}


__all__ = ["Metric", "measure", "measure_all"]
