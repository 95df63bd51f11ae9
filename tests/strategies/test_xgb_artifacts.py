"""Artifacts: save, load, same predictions; a tampered feature list is refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_invoke import trade_at
from xgb_fixtures import FAST, SYMBOLS, fast_params, small_market

from framework.errors import ArtifactError
from framework.strategy import compute_signals
from strategies.xgboost_signal import model
from strategies.xgboost_signal.features import feature_matrix
from strategies.xgboost_signal.strategy import XGBoostSignal


def train_cli(tmp_path, out):
    """`trade train` on the fast settings, in this process (the point is what it prints and
    writes, not the process: a child spent 3 s starting Python and importing)."""
    cfg = tmp_path / "fast.yaml"
    cfg.write_text(
        yaml.safe_dump({"strategy": {"name": "xgboost_signal", "params": FAST}, "data": {"symbols": SYMBOLS}})
    )
    return trade_at(["train", "--config", str(cfg), "--start", "2015-01-12", "--end", "2016-06-30",
                     "--out", str(out)], tmp_path)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("art")
    result = train_cli(tmp, tmp / "model")
    assert result.returncode == 0, result.stderr
    return tmp / "model", result.stdout


def test_train_prints_fold_table_and_writes_artifact(artifact) -> None:
    folder, stdout = artifact
    assert "out-of-sample metrics" in stdout and "rank IC" in stdout
    meta = json.loads((folder / model.META_FILE).read_text())
    metrics = pd.read_csv(folder / model.METRICS_FILE)
    assert len(meta["metrics"]) == len(metrics) > 3
    assert meta["train_end"] == "2016-06-30" and meta["data_fingerprint"]
    assert np.isfinite(metrics["rank_ic"]).all()


def test_round_trip_gives_the_same_predictions(artifact) -> None:
    folder, _ = artifact
    booster, meta = model.load_artifact(folder)
    x = feature_matrix(small_market()).iloc[-200:].to_numpy()
    again, _ = model.load_artifact(folder)
    np.testing.assert_array_equal(model.predict(booster, x), model.predict(again, x))
    assert meta.horizon == 5


def test_artifact_mode_signals_only_after_training_period(artifact) -> None:
    folder, _ = artifact
    signals = compute_signals(XGBoostSignal(fast_params(mode="artifact", artifact=str(folder))), small_market())
    after = signals.loc["2016-07-01":]
    assert signals.loc[:"2016-06-30"].isna().all().all()
    assert after.notna().to_numpy().mean() > 0.9


def test_tampered_feature_list_is_refused(artifact, tmp_path) -> None:
    folder, _ = artifact
    copy = tmp_path / "tampered"
    copy.mkdir()
    for name in (model.MODEL_FILE, model.METRICS_FILE):
        (copy / name).write_bytes((folder / name).read_bytes())
    meta = json.loads((folder / model.META_FILE).read_text())
    meta["features"] = [*meta["features"][:-1], "future_close"]
    (copy / model.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="feature list does not match"):
        model.load_artifact(copy)


def test_missing_artifact_is_a_one_line_error(tmp_path) -> None:
    with pytest.raises(ArtifactError, match="no model artifact found"):
        model.newest_artifact(tmp_path / "nowhere")
