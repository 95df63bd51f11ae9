"""XGBoost models and their artifacts (xgboost's own UBJ format plus a metadata file)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framework.errors import ArtifactError
from strategies.xgboost_signal import threads
from strategies.xgboost_signal.features import FEATURES

MODEL_FILE, META_FILE, METRICS_FILE = "model.ubj", "meta.json", "metrics.csv"
ARTIFACT_VERSION = 1


def fit(x: np.ndarray, y: np.ndarray, params: dict[str, Any], task: str, weight: np.ndarray | None = None) -> Any:
    """A trained booster; deterministic for a fixed seed and thread count. ``weight``: per row.
    The matrix is built with the booster's own thread count (xgboost's default, every core,
    spins on a busy machine)."""
    xgb = threads.xgboost()  # imported here (plugin discovery must stay cheap), its OpenMP waiting passively

    objective = "binary:logistic" if task == "classification" else "reg:squarederror"
    booster_params = {**params, "objective": objective, "tree_method": "hist", "verbosity": 0}
    rounds = int(booster_params.pop("n_estimators"))
    train = xgb.DMatrix(x, label=y, weight=weight, feature_names=list(FEATURES), nthread=params.get("nthread"))
    return xgb.train(booster_params, train, num_boost_round=rounds)


def predict(booster: Any, x: np.ndarray) -> np.ndarray:
    """Scores of the rows of ``x`` (columns in :data:`FEATURES` order), predicted in place: the
    same float32 scores as through a ``DMatrix``, without building one."""
    return booster.inplace_predict(x, validate_features=False)


@dataclass(frozen=True)
class ArtifactMeta:
    version: int
    features: list[str]
    params: dict[str, Any]
    task: str
    horizon: int
    train_start: str
    train_end: str
    data_fingerprint: str
    metrics: list[dict[str, Any]] = field(default_factory=list)


def save_artifact(folder: Path, booster: Any, meta: ArtifactMeta, metrics: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=False)
    booster.save_model(str(folder / MODEL_FILE))
    (folder / META_FILE).write_text(json.dumps(asdict(meta), indent=2, sort_keys=True) + "\n")
    metrics.to_csv(folder / METRICS_FILE, index=False)


def newest_artifact(root: Path) -> Path:
    found = sorted(p for p in root.glob("*") if (p / META_FILE).is_file()) if root.is_dir() else []
    if not found:
        raise ArtifactError(f"{root}: no model artifact found (run `trade train` first)")
    return found[-1]


def load_artifact(folder: Path) -> tuple[Any, ArtifactMeta]:
    """The booster and its metadata; refuses an artifact built for other features."""
    xgb = threads.xgboost()

    meta_path = folder / META_FILE
    try:
        meta = ArtifactMeta(**json.loads(meta_path.read_text()))
    except (OSError, ValueError, TypeError) as e:
        raise ArtifactError(f"{meta_path}: unreadable artifact metadata: {e}") from None
    if meta.features != list(FEATURES):
        raise ArtifactError(
            f"{meta_path}: feature list does not match this code "
            f"(artifact has {len(meta.features)}, code has {len(FEATURES)}; retrain with `trade train`)"
        )
    booster = xgb.Booster()
    try:
        booster.load_model(str(folder / MODEL_FILE))
    except xgb.core.XGBoostError as e:
        raise ArtifactError(f"{folder / MODEL_FILE}: cannot load model: {str(e).splitlines()[0]}") from None
    return booster, meta
