"""Metrics of returns agree with empyrical (what `trade backtest` reports); walk-forward selection."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest

from framework.research.folds import walk_forward_folds
from framework.research.metrics import Metric, measure, measure_all
from framework.research.walk_forward import best, choose, equity, stitch

DATES = pd.bdate_range("2017-01-02", periods=300)


def _returns(seed: int, drift: float = 0.0) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(drift, 0.01, len(DATES)), index=DATES)


def test_metrics_are_empyricals_and_total_return_compounds() -> None:
    r = _returns(1, 0.0005)
    values = measure_all(r)
    assert values["sharpe"] == pytest.approx(empyrical.sharpe_ratio(r), rel=1e-12)
    assert values["sortino"] == pytest.approx(empyrical.sortino_ratio(r), rel=1e-12)
    assert values["cagr"] == pytest.approx(empyrical.cagr(r), rel=1e-12)
    assert values["max_drawdown"] == pytest.approx(empyrical.max_drawdown(r), rel=1e-12)
    assert values["total_return"] == pytest.approx(equity(r).iloc[-1] - 1.0, rel=1e-12)


def test_an_undefined_metric_is_nan_not_an_error() -> None:
    assert math.isnan(measure(Metric.SHARPE, pd.Series([0.0] * 10, index=DATES[:10])))
    assert math.isnan(measure(Metric.SHARPE, pd.Series([0.01], index=DATES[:1])))


def test_best_ignores_undefined_values_and_keeps_the_first_of_equals() -> None:
    assert best({"a": math.nan, "b": 1.0, "c": 1.0, "d": None}) == "b"  # type: ignore[dict-item]


def test_each_fold_chooses_the_in_sample_best_by_the_metric() -> None:
    matrix = pd.DataFrame({f"p{i}": _returns(i) for i in range(6)})
    for fold in walk_forward_folds(pd.DatetimeIndex(DATES), 3):
        choice = choose(fold, matrix, Metric.SHARPE)
        window = matrix.loc[fold.is_start : fold.is_end]
        by_hand = window.apply(empyrical.sharpe_ratio)
        assert choice.point == by_hand.idxmax()
        assert choice.in_sample == pytest.approx(by_hand.max(), rel=1e-12)


def test_stitch_joins_consecutive_pieces_and_refuses_overlap() -> None:
    r = _returns(2)
    joined = stitch([r.iloc[:100], r.iloc[100:]])
    pd.testing.assert_series_equal(joined, r)
    with pytest.raises(ValueError, match="overlap"):
        stitch([r.iloc[:100], r.iloc[90:]])
