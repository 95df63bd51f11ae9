"""Walk-forward training with purging: every prediction comes from a model trained strictly
before it, on rows whose label windows end before the first date it predicts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from framework.data import MarketData
from framework.progress import progress
from framework.signals import EPOCH
from strategies.xgboost_signal import model
from strategies.xgboost_signal.features import FEATURES, LOOKBACK, feature_matrix
from strategies.xgboost_signal.labels import forward_returns, label_weights, labels


@dataclass(frozen=True)
class RetrainWindow:
    """Train on dates[train_start:train_end] (half-open), predict dates[predict_start:predict_end].

    The model's own walk-forward: row positions, purged and embargoed around the label horizon.
    Not :class:`framework.research.folds.Fold` (a sweep's in-sample/out-of-sample dates, each
    out-of-sample block a fresh backtest)."""

    train_start: int
    train_end: int
    predict_start: int
    predict_end: int


def retrain_positions(dates: pd.DatetimeIndex, every: int) -> np.ndarray:
    """Retrain on the first session of each block of ``every`` weekdays counted from a fixed
    epoch: where history starts does not matter, and a holiday only moves a retrain a day."""
    days = dates.values.astype("datetime64[D]")
    block = np.busday_count(EPOCH, days) // every
    return np.flatnonzero(np.r_[True, block[1:] != block[:-1]])[1:]


def retrain_windows(
    dates: pd.DatetimeIndex, *, retrain_every: int, train_window: int, horizon: int, embargo: int, expanding: bool
) -> Iterator[RetrainWindow]:
    """Windows whose training rows' label windows [d, d + horizon] end before the fold's first
    prediction date (purge), with ``embargo`` more bars left out."""
    anchors = retrain_positions(dates, retrain_every)
    gap = horizon + 1 + embargo
    for k, start in enumerate(anchors):
        end = anchors[k + 1] if k + 1 < len(anchors) else len(dates)
        train_end = start - gap + 1
        train_start = LOOKBACK if expanding else train_end - train_window
        if train_start < LOOKBACK or train_end - train_start < max(train_window // 2, 20):
            continue
        yield RetrainWindow(int(train_start), int(train_end), int(start), int(end))


def to_signal(pred: pd.Series, how: str, levels: int = 5) -> pd.Series:
    """Predictions → [-1, 1]: cross-sectional quantile buckets per date (``levels`` values from
    -1 to 1: only the order of the predictions matters, and a tiny change of a score moves no
    signal unless it reorders two symbols across a bucket edge), 2p − 1, or a clipped
    cross-sectional z-score per date."""
    if how == "quantile":
        by_date = pred.groupby(level="date")
        pct = by_date.rank(method="average", pct=True)
        bucket = np.clip(np.ceil(pct * levels) - 1, 0, levels - 1)
        value = -1.0 + 2.0 * bucket / (levels - 1)
        return value.where(by_date.transform("size") > 1, 0.0)
    if how == "probability":
        return (2 * pred - 1).clip(-1, 1)
    by_date = pred.groupby(level="date")
    z = (pred - by_date.transform("mean")) / by_date.transform("std").replace(0, np.nan)
    return (z / 2).clip(-1, 1).fillna(0.0)


def targets(history: MarketData, params: Any) -> tuple[pd.Series, pd.Series | None]:
    """Long labels and training weights (None: every row weighs 1). With a ``label_dead_zone``
    the labels are taken off the grid, and rows weigh by their distance from the median."""
    dead_zone = params.label_dead_zone if params.task == "classification" else 0.0
    y = labels(history, params.horizon, params.task, params.feature_grid and not dead_zone)
    return y, (label_weights(history, params.horizon, dead_zone) if dead_zone else None)


def fit_known(x: np.ndarray, y: np.ndarray, w: np.ndarray | None, params: Any) -> Any:
    """A booster on the rows of ``x`` whose label in ``y`` is known (not NaN), weighted by ``w``
    (arrays aligned row for row)."""
    keep = ~np.isnan(y)
    return model.fit(x[keep], y[keep], params.xgb_params(), params.task, None if w is None else w[keep])


def fit_rows(x: pd.DataFrame, y: pd.Series, w: pd.Series | None, params: Any) -> Any:
    """:func:`fit_known` on the rows of ``x``, their labels and weights found by index."""
    weight = None if w is None else w.reindex(x.index).to_numpy()
    return fit_known(x.to_numpy(), y.reindex(x.index).to_numpy(), weight, params)


@dataclass
class WalkForwardResult:
    predictions: pd.Series  # long (date, symbol)
    windows: list[RetrainWindow]
    metrics: pd.DataFrame
    importance: pd.DataFrame  # retrain window × feature gain (with_metrics only)


def run(
    history: MarketData, params: Any, *, with_metrics: bool = False, nested_progress: bool = True
) -> WalkForwardResult:
    """Train and predict window by window. Progress is reported per fold: always when called by
    `trade train` (``nested_progress=False``), and inside a backtest only (``True``: shown in a
    :func:`framework.progress.show_nested_progress` block, silent in a lookahead check)."""
    x_all = feature_matrix(history, params.feature_grid, params.grid_scale)
    y_all, w_all = targets(history, params)
    dates = history.dates
    # rows are date-major (feature_matrix), so a window's rows are one slice of the arrays
    pos = dates.get_indexer(x_all.index.get_level_values("date"))
    x_np = x_all.to_numpy()
    y_np = y_all.reindex(x_all.index).to_numpy()
    w_np = None if w_all is None else w_all.reindex(x_all.index).to_numpy()
    preds, done, rows, gains = [], [], [], []
    fwd = forward_returns(history, params.horizon).stack() if with_metrics else None
    planned = list(
        retrain_windows(
            dates,
            retrain_every=params.retrain_every,
            train_window=params.train_window,
            horizon=params.horizon,
            embargo=params.embargo,
            expanding=params.expanding,
        )
    )
    with progress(len(planned), "walk-forward training", unit="fold", nested=nested_progress) as tracker:
        for window in planned:
            lo, hi, test_lo, test_hi = np.searchsorted(
                pos, [window.train_start, window.train_end, window.predict_start, window.predict_end])
            known = int((~np.isnan(y_np[lo:hi])).sum())
            if known >= 100 and test_hi > test_lo:
                booster = fit_known(x_np[lo:hi], y_np[lo:hi], None if w_np is None else w_np[lo:hi], params)
                p = pd.Series(model.predict(booster, x_np[test_lo:test_hi]), index=x_all.index[test_lo:test_hi])
                preds.append(p)
                done.append(window)
                if with_metrics:
                    rows.append(window_metrics(history, window, p, fwd, params))
                    gains.append(booster.get_score(importance_type="gain"))
            tracker.advance()
    predictions = (
        pd.concat(preds)
        if preds
        else pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []], names=["date", "symbol"]))
    )
    importance = pd.DataFrame(gains, columns=list(FEATURES)).fillna(0.0)  # a feature never split on gains 0
    return WalkForwardResult(predictions, done, pd.DataFrame(rows), importance)


def window_metrics(history: MarketData, window: RetrainWindow, pred: pd.Series, fwd: pd.Series,
                   params: Any) -> dict[str, Any]:
    """Out-of-sample quality of one window: AUC (classification), rank IC, hit rate."""
    frame = pd.DataFrame(
        {"pred": pred.to_numpy(), "fwd": fwd.reindex(pred.index).to_numpy()}, index=pred.index
    ).dropna()
    dates = history.dates
    row: dict[str, Any] = {
        "train_start": str(dates[window.train_start].date()),
        "train_end": str(dates[window.train_end - 1].date()),
        "test_start": str(dates[window.predict_start].date()),
        "test_end": str(dates[window.predict_end - 1].date()),
        "n_test": len(frame),
        "auc": np.nan,
        "rank_ic": np.nan,
        "hit_rate": np.nan,
    }
    if len(frame) < 10:
        return row
    excess = frame["fwd"] - frame.groupby(level="date")["fwd"].transform("median")
    ranks = frame.groupby(level="date").rank()
    ics = ranks.groupby(level="date").corr().xs("pred", level=1)["fwd"]  # Spearman per date
    row["rank_ic"] = float(ics.mean())
    centre = 0.5 if params.task == "classification" else 0.0
    row["hit_rate"] = float(((frame["pred"] > centre) == (excess > 0)).mean())
    if params.task == "classification":
        y = (excess > 0).to_numpy()
        if 0 < y.sum() < len(y):
            ranks = stats.rankdata(frame["pred"].to_numpy())
            n_pos, n_neg = y.sum(), len(y) - y.sum()
            row["auc"] = float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return row


__all__ = [
    "FEATURES", "RetrainWindow", "WalkForwardResult", "fit_known", "fit_rows", "retrain_windows", "run", "targets",
    "to_signal", "window_metrics",
]
