"""The `xgboost_signal` plugin: walk-forward XGBoost predictions as signals in [-1, 1]."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import Field, field_validator

from framework.data import MarketData
from framework.errors import ConfigError
from framework.strategy import Strategy, StrategyParams
from strategies.xgboost_signal.features import LOOKBACK, feature_matrix
from strategies.xgboost_signal.threads import resolve_threads

if TYPE_CHECKING:
    from framework.research.model_diagnostics import ModelDiagnostics


class XGBoostParams(StrategyParams):
    mode: Literal["walk_forward", "artifact"] = Field(
        "walk_forward", description="walk_forward: train as we go; artifact: load a `trade train` model"
    )
    artifact: str | None = Field(None, description="artifact folder (null: newest under artifacts_dir)")
    artifacts_dir: str = Field("models/xgboost_signal", description="where `trade train` saves artifacts")
    task: Literal["classification", "regression"] = Field(
        "classification", description="beat the cross-sectional median, or predict excess return"
    )
    horizon: int = Field(5, ge=1, le=63, description="label: forward return over this many bars")
    retrain_every: int = Field(21, ge=1, le=252, description="bars between retrains (calendar-anchored)")
    train_window: int = Field(252, ge=40, le=2520, description="bars of training rows (trailing)")
    expanding: bool = Field(False, description="expanding window instead of trailing (breaks paper parity)")
    embargo: int = Field(0, ge=0, le=63, description="extra bars left out after the purge")
    signal_map: Literal["quantile", "zscore", "probability"] = Field(
        "quantile",
        description="quantile: cross-sectional buckets (signal_levels values in [-1, 1]); zscore: clipped "
        "cross-sectional z/2; probability: 2p - 1",
    )
    signal_levels: int = Field(3, ge=2, le=101, description="quantile: buckets per date")
    feature_grid: bool = Field(
        True, description="snap features and labels to fixed grids: decisions survive a venue's last digits"
    )
    grid_scale: float = Field(
        30.0, ge=1.0, le=50.0, description="feature_grid: every grid step times this (ranks at most 4x)"
    )
    label_dead_zone: float = Field(
        0.015, ge=0, le=0.1,
        description="classification: training rows weigh min(1, |excess return| / this); 0: every row 1",
    )
    n_estimators: int = Field(60, ge=1, le=5000, description="boosting rounds")
    max_depth: int = Field(1, ge=1, le=12, description="tree depth")
    learning_rate: float = Field(0.1, gt=0, le=1, description="shrinkage")
    subsample: float = Field(1.0, gt=0, le=1, description="row subsample per tree")
    colsample_bytree: float = Field(1.0, gt=0, le=1, description="feature subsample per tree")
    min_child_weight: float = Field(20.0, ge=0, description="minimum hessian weight in a leaf")
    seed: int = Field(7, description="random seed (determinism)")
    nthread: int | Literal["auto"] = Field(
        "auto",
        description="xgboost threads: auto: the cores this process may use less those the machine's load keeps "
        "busy, asked at every retrain (a sweep worker always 1), or a number (1-64); results never depend on it",
    )

    @field_validator("nthread")
    @classmethod
    def _thread_count(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 64:
            raise ValueError("nthread must be between 1 and 64, or auto")
        return value

    def xgb_params(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "seed": self.seed,
            "nthread": resolve_threads(self.nthread),
        }


class XGBoostSignal(Strategy):
    name = "xgboost_signal"
    summary = "Walk-forward XGBoost on causal OHLCV features; purged, deterministic."
    Params = XGBoostParams

    @property
    def warmup_bars(self) -> int:
        """Bars behind the last signal: features + training window + purge + one retrain gap.
        Signals on the last ``warmup_bars + 1`` bars equal those on the whole history."""
        p = self.params
        return LOOKBACK + p.train_window + p.horizon + 1 + p.embargo + p.retrain_every

    def signals(self, history: MarketData) -> pd.DataFrame:
        from strategies.xgboost_signal import walk_forward

        if self.params.mode == "artifact":
            predictions = self._artifact_predictions(history)
        else:
            predictions = walk_forward.run(history, self.params).predictions
        signal = walk_forward.to_signal(predictions, self.params.signal_map, self.params.signal_levels)
        return self._wide(signal, history)

    @staticmethod
    def _wide(signal: pd.Series, history: MarketData) -> pd.DataFrame:
        return signal.unstack("symbol").reindex(index=history.dates, columns=history.symbols)

    def signal_diagnostics(self, history: MarketData) -> tuple[pd.DataFrame, ModelDiagnostics]:
        """The walk-forward's signals and, from the same training, its out-of-sample figures
        for `trade signals` (per fold as `trade train` prints them, pooled AUC, gain, calibration)."""
        from framework.research.model_diagnostics import ModelDiagnostics, auc, calibration
        from strategies.xgboost_signal import walk_forward
        from strategies.xgboost_signal.labels import labels

        p = self.params
        if p.mode == "artifact":
            raise ConfigError("strategy.params.mode: artifact: the signal report measures the walk-forward "
                              "(mode: walk_forward); an artifact's model was judged by `trade train` when it was made")
        result = walk_forward.run(history, p, with_metrics=True)
        truth = labels(history, p.horizon, p.task).reindex(result.predictions.index)
        classification = p.task == "classification"
        pooled = auc(result.predictions, truth == 1) if classification else float("nan")
        diagnostics = ModelDiagnostics(
            task=p.task,
            horizon=p.horizon,
            folds=result.metrics,
            pooled_auc=pooled,
            importance=result.importance.mean().sort_values(ascending=False),
            calibration=calibration(result.predictions, truth),
            realised_label=(f"share beating the cross-sectional median over {p.horizon} sessions" if classification
                            else f"excess return over the cross-sectional median over {p.horizon} sessions"),
        )
        return self._wide(walk_forward.to_signal(result.predictions, p.signal_map), history), diagnostics

    def _artifact_predictions(self, history: MarketData) -> pd.Series:
        """Predictions only after the model's training period ends (no in-sample signals)."""
        from strategies.xgboost_signal import model

        folder = (
            Path(self.params.artifact)
            if self.params.artifact
            else model.newest_artifact(Path(self.params.artifacts_dir))
        )
        booster, meta = model.load_artifact(folder)
        x = feature_matrix(history, self.params.feature_grid, self.params.grid_scale)
        dates = x.index.get_level_values("date")
        x = x[dates > pd.Timestamp(meta.train_end)]
        return pd.Series(model.predict(booster, x.to_numpy()), index=x.index)
