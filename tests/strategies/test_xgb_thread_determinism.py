"""The thread count never changes what XGBoost learns: the walk-forward's predictions with 1 and
2 threads are equal to the bit, so `nthread: auto` (the cores a process may use) gives the same
results on any machine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from market_once import embedded

from strategies.xgboost_signal import walk_forward
from strategies.xgboost_signal.strategy import XGBoostParams


@pytest.mark.parametrize(
    ("params", "until"),
    [
        ({}, None),  # the shipped model (stumps, weighted classification), the whole walk-forward
        # deeper trees with subsampling, and regression: the first three years' folds
        ({"max_depth": 4, "subsample": 0.7, "colsample_bytree": 0.8, "n_estimators": 20}, "2017-12-31"),
        ({"task": "regression", "max_depth": 3, "n_estimators": 20}, "2017-12-31"),
    ],
)
def test_one_and_two_threads_predict_the_same_to_the_bit(params: dict[str, object], until: str | None) -> None:
    history = embedded().adjusted()
    if until is not None:
        history = history.truncate(pd.Timestamp(until))
    one = walk_forward.run(history, XGBoostParams(**params, nthread=1)).predictions
    two = walk_forward.run(history, XGBoostParams(**params, nthread=2)).predictions
    assert len(one) > 10_000
    assert one.index.equals(two.index)
    assert np.array_equal(one.to_numpy(), two.to_numpy())
