"""`trade train`: fit the XGBoost model on a chosen period and save a versioned artifact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np
import pandas as pd

from framework.cli.options import config_option, data_overrides
from framework.config import load_settings
from framework.data import load_configured
from framework.errors import InputError


def _table(metrics: pd.DataFrame) -> str:
    cols = ["test_start", "test_end", "n_test", "auc", "rank_ic", "hit_rate"]
    lines = [f"  {'fold':>4} {'test period':<23} {'rows':>6} {'AUC':>6} {'rank IC':>8} {'hit':>6}"]
    for i, r in enumerate(metrics[cols].itertuples(index=False), 1):
        lines.append(
            f"  {i:>4} {r.test_start} {r.test_end} {r.n_test:>6} {r.auc:>6.3f} {r.rank_ic:>8.3f} {r.hit_rate:>6.3f}"
        )
    mean = metrics[["auc", "rank_ic", "hit_rate"]].mean()
    lines.append(f"  mean{'':<31} {mean['auc']:>6.3f} {mean['rank_ic']:>8.3f} {mean['hit_rate']:>6.3f}")
    return "\n".join(lines)


@click.command()
@click.option("--start", help="First date of the training period, YYYY-MM-DD (default: data start).")
@click.option("--end", help="Last date of the training period (default: data end).")
@click.option("--data", type=click.Path(dir_okay=False), help="Prices file (default: embedded).")
@click.option("--sectors", type=click.Path(dir_okay=False), help="Sectors file.")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Artifact folder (default: <artifacts_dir>/<timestamp>)."
)
@config_option
def train(
    start: str | None,
    end: str | None,
    data: str | None,
    sectors: str | None,
    out_dir: str | None,
    config_files: tuple[str, ...],
) -> None:
    """Walk-forward out-of-sample metrics per fold, then a final model saved as an artifact."""
    from strategies.xgboost_signal import model, walk_forward
    from strategies.xgboost_signal.features import FEATURES, feature_matrix
    from strategies.xgboost_signal.strategy import XGBoostParams

    overrides = {"strategy": {"name": "xgboost_signal"}, **data_overrides(data, sectors)}
    settings = load_settings(config_files, overrides)
    params = XGBoostParams.model_validate(settings.strategy.params)
    history = load_configured(settings.data).between(start, end)
    result = walk_forward.run(history, params, with_metrics=True, nested_progress=False)
    if result.metrics.empty:
        raise InputError(
            f"training period too short: {len(history.dates)} sessions, "
            f"need more than {params.train_window + params.horizon + 64}"
        )
    # Final model: the last train_window dates whose labels are fully known (purged).
    x = feature_matrix(history, params.feature_grid, params.grid_scale)
    y, w = walk_forward.targets(history, params)
    last = len(history.dates) - params.horizon - 1
    keep_dates = history.dates[max(0, last - params.train_window) : last]
    rows = x.index.get_level_values("date").isin(keep_dates)
    booster = walk_forward.fit_rows(x[rows], y, w, params)
    folder = Path(out_dir) if out_dir else Path(params.artifacts_dir) / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    meta = model.ArtifactMeta(
        version=model.ARTIFACT_VERSION,
        features=list(FEATURES),
        params=params.model_dump(),
        task=params.task,
        horizon=params.horizon,
        train_start=str(keep_dates[0].date()),
        train_end=str(history.dates[-1].date()),
        data_fingerprint=history.fingerprint,
        metrics=result.metrics.replace({np.nan: None}).to_dict("records"),
    )
    model.save_artifact(folder, booster, meta, result.metrics)
    click.echo(f"out-of-sample metrics, {len(result.metrics)} folds:")
    click.echo(_table(result.metrics))
    click.echo(f"artifact: {folder}")
