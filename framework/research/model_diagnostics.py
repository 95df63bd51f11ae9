"""What a model-based plugin can add to its signal report: out-of-sample fold metrics,
feature importance and calibration.

A plugin offers them by defining ``signal_diagnostics(history) -> (signals, ModelDiagnostics)``
(``xgboost_signal`` does): one training gives both the signals and the figures, so the report
never trains twice. Pure numbers; the plugin computes, the report shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CALIBRATION_BINS = 10


def auc(scores: np.ndarray | pd.Series, outcomes: np.ndarray | pd.Series) -> float:
    """Area under the ROC curve (Mann–Whitney: P(score of a 1 > score of a 0), ties half)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(outcomes, dtype=bool)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = stats.rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def calibration(predicted: pd.Series, realised: pd.Series, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Predictions cut into ``bins`` equal-count groups: mean predicted beside mean realised."""
    frame = pd.DataFrame({"predicted": predicted, "realised": realised}).dropna()
    if len(frame) < bins:
        return pd.DataFrame(columns=["bin", "predicted", "realised", "n"])
    group = pd.qcut(frame["predicted"].rank(method="first"), bins, labels=False) + 1
    out = frame.groupby(group).agg(predicted=("predicted", "mean"), realised=("realised", "mean"),
                                   n=("realised", "size"))
    return out.rename_axis("bin").reset_index()


@dataclass(frozen=True)
class ModelDiagnostics:
    """Out-of-sample figures of a walk-forward model (each row of ``folds`` one retrain)."""

    task: str  # "classification" (beats the cross-sectional median) or "regression"
    horizon: int  # the label's horizon in sessions
    folds: pd.DataFrame  # test_start, test_end, n_test, auc, rank_ic, hit_rate (as `trade train` prints)
    pooled_auc: float  # over every out-of-sample prediction at once
    importance: pd.Series  # feature → mean gain across the folds' models, largest first
    calibration: pd.DataFrame  # bin, predicted, realised, n
    realised_label: str  # what "realised" means in the calibration

    @property
    def folds_above_half(self) -> int:
        return int((self.folds["auc"] > 0.5).sum()) if "auc" in self.folds else 0

    def as_dict(self) -> dict[str, object]:
        def clean(v: object) -> object:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "task": self.task,
            "horizon": self.horizon,
            "pooled_auc": clean(self.pooled_auc),
            "folds_auc_above_half": self.folds_above_half,
            "folds": [{k: clean(v) for k, v in row.items()} for row in self.folds.to_dict("records")],
            "mean": {k: clean(float(self.folds[k].mean())) for k in ("auc", "rank_ic", "hit_rate")
                     if k in self.folds},
            "importance": {k: clean(float(v)) for k, v in self.importance.items()},
            "calibration": {"realised": self.realised_label,
                            "bins": [{k: clean(v) for k, v in row.items()}
                                     for row in self.calibration.to_dict("records")]},
        }


__all__ = ["CALIBRATION_BINS", "ModelDiagnostics", "auc", "calibration"]
