"""What a sweep found: the values its report (``analyzers/sweep_report.py``) and ``summary.json``
are written from."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from framework.research.metrics import Metric
from framework.research.overfitting import DeflatedSharpe, OverfittingProbability


@dataclass(frozen=True)
class WalkForwardFindings:
    scheme: str
    embargo: int
    folds: pd.DataFrame  # fold, windows, point, params, in_sample, out_of_sample, status, error, key
    stitched: pd.Series  # out-of-sample daily returns, fold after fold
    best_in_sample: pd.Series  # the whole-period best point's returns on the same dates (hindsight)
    best_point: str


@dataclass(frozen=True)
class SweepFindings:
    strategy: str
    metric: Metric
    keys: tuple[str, ...]
    results: pd.DataFrame  # results.parquet
    best: str | None
    start: str
    end: str
    sessions: int
    dsr: DeflatedSharpe | None
    pbo: OverfittingProbability | None
    walk_forward: WalkForwardFindings | None


__all__ = ["SweepFindings", "WalkForwardFindings"]
