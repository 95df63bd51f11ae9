"""Walk-forward XGBoost: purge, determinism, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from market_once import embedded
from xgb_fixtures import fast_params, small_market

from framework.strategy import compute_signals
from strategies.xgboost_signal import walk_forward
from strategies.xgboost_signal.features import FEATURES, feature_matrix
from strategies.xgboost_signal.strategy import XGBoostSignal


@pytest.mark.parametrize(("horizon", "embargo"), [(5, 0), (10, 3), (1, 0)])
def test_no_training_label_window_reaches_the_first_prediction_date(horizon, embargo) -> None:
    dates = embedded().dates
    found = list(
        walk_forward.retrain_windows(dates, retrain_every=21, train_window=252, horizon=horizon, embargo=embargo, expanding=False)
    )
    assert len(found) > 30
    for fold in found:
        last_label_end = fold.train_end - 1 + horizon  # position of the close the label uses
        assert last_label_end < fold.predict_start - embargo
        assert fold.train_end - fold.train_start == 252
        assert fold.predict_start < fold.predict_end


def test_predictions_come_only_from_models_trained_before(monkeypatch) -> None:
    market = small_market()
    params = fast_params()
    seen: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    original = walk_forward.window_metrics

    result = walk_forward.run(market, params, with_metrics=True)
    for fold in result.windows:
        seen.append((market.dates[fold.train_end - 1], market.dates[fold.predict_start]))
    assert seen and all(train_last < first_pred for train_last, first_pred in seen)
    predicted = result.predictions.index.get_level_values("date")
    assert predicted.min() >= market.dates[result.windows[0].predict_start]
    assert original is walk_forward.window_metrics


def test_signals_are_deterministic_and_in_range() -> None:
    market = small_market()
    a = compute_signals(XGBoostSignal(fast_params()), market)
    b = compute_signals(XGBoostSignal(fast_params()), market)
    pd.testing.assert_frame_equal(a, b)
    values = a.to_numpy()[np.isfinite(a.to_numpy())]
    assert values.size > 1000 and np.abs(values).max() <= 1.0


def test_features_are_causal_row_by_row() -> None:
    market = small_market()
    full = feature_matrix(market)
    cut_date = market.dates[200]
    cut = feature_matrix(market.truncate(cut_date))
    row_full = full.xs(cut_date, level="date")
    row_cut = cut.xs(cut_date, level="date")
    pd.testing.assert_frame_equal(row_full, row_cut)
    assert list(full.columns) == list(FEATURES)


def test_out_of_sample_metrics_on_the_embedded_data_run_every_fold() -> None:
    market = embedded()
    params = fast_params(n_estimators=20, train_window=252)
    expected = [
        f
        for f in walk_forward.retrain_windows(
            market.dates, retrain_every=21, train_window=252, horizon=5, embargo=0, expanding=False
        )
    ]
    result = walk_forward.run(market, params, with_metrics=True)
    assert len(result.metrics) == len(result.windows) == len(expected)
    assert np.isfinite(result.metrics["rank_ic"]).all()
    assert np.isfinite(result.metrics["auc"]).all() and result.metrics["auc"].between(0, 1).all()
    assert result.metrics["hit_rate"].between(0, 1).all()
