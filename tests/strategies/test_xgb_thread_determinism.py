"""The thread count never changes what XGBoost learns: the walk-forward's predictions with 1 and
2 threads are equal to the bit, so `nthread: auto` may pick a different count at every retrain."""

from __future__ import annotations

import numpy as np
import pytest

from framework.data import load_market_data
from strategies.xgboost_signal import walk_forward
from strategies.xgboost_signal.strategy import XGBoostParams


@pytest.mark.parametrize(
    "params",
    [
        {},  # the shipped model: stumps, weighted classification
        {"max_depth": 4, "subsample": 0.7, "colsample_bytree": 0.8, "n_estimators": 20},
        {"task": "regression", "max_depth": 3, "n_estimators": 20},
    ],
)
def test_one_and_two_threads_predict_the_same_to_the_bit(params: dict[str, object]) -> None:
    history = load_market_data().adjusted()
    one = walk_forward.run(history, XGBoostParams(**params, nthread=1)).predictions
    two = walk_forward.run(history, XGBoostParams(**params, nthread=2)).predictions
    assert len(one) > 10_000
    assert one.index.equals(two.index)
    assert np.array_equal(one.to_numpy(), two.to_numpy())
