"""`trade sweep` end to end: real Dask workers, real backtests, failing points, walk-forward; the
refusals before anything starts. The 12-point sweep: test_sweep_cli_full.py.

Each `trade` runs in this process (the process boundary is not the point here), and the sweeps
share one local cluster of one worker process through `--scheduler` (each would start its own,
~3 s of imports a worker; a second worker only ran the same backtests beside it, at its own
~3 s of imports; `--workers` is tested in test_sweep_lean_check.py, test_sweep_interrupt.py
and test_sweep_cli_full.py, and equals `--scheduler` in test_sweep_dask_scheduler.py)."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from cli_invoke import trade_here
from sweep_helpers import PLUGINS, SMALL, TINY, local_cluster, sweep_here

from framework.research.metrics import Metric, measure


def test_a_bad_grid_value_refuses_the_sweep_before_anything_starts(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "grid.yaml").write_text("strategy: momentum\ngrid:\n  risk.max_position_weight: [0.1, 1.5]\n")
    result = trade_here(["sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "1"], capsys, monkeypatch,
                        tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: grid.yaml: point max_position_weight=1.5: risk.max_position_weight: "
        "Input should be less than or equal to 1 (got 1.5)\n"
    )
    assert result.stdout == "" and not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch) -> None:
    # A refused connection is refused at once: Dask's connect retried it for 10 s first.
    (tmp_path / "grid.yaml").write_text("strategy: momentum\ngrid:\n  strategy.params.lookback: [63]\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # bound, not listening: a connection there is refused
        address = f"tcp://127.0.0.1:{taken.getsockname()[1]}"
        result = trade_here(["sweep", "--grid", "grid.yaml", "--out", "out", "--scheduler", address, *SMALL],
                            capsys, monkeypatch, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"error: cannot reach the Dask scheduler at {address}: connection refused (no scheduler listens there)\n"
    )
    assert not (tmp_path / "out").exists()


FRAGILE_GRID = """strategy: sweep_plugins:Gated
metric: sharpe
grid:
  strategy.params.lookback: [10, 30, 60]
  strategy.params.fail: [false, true]
"""


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One local cluster of one worker process for the module's sweeps; none changes it."""
    with local_cluster(1) as address:
        yield address


@pytest.fixture(scope="module")
def fragile(tmp_path_factory, scheduler) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("fragile")
    (tmp / "grid.yaml").write_text(FRAGILE_GRID)
    result = sweep_here("sweep", "--grid", "grid.yaml", "--out", "out", "--scheduler", scheduler, "--walk-forward",
                        "2", "--keep-journals", "--pbo-splits", "4", *TINY, cwd=tmp)
    return tmp, result


def test_failing_points_are_recorded_and_the_sweep_goes_on(fragile) -> None:
    tmp, result = fragile
    assert result.returncode == 0, result.stderr
    results = pd.read_parquet(tmp / "out" / "results.parquet")
    assert len(results) == 6
    failed = results[results["status"] == "failed"]
    assert sorted(failed["strategy.params.fail"]) == [True, True, True]
    assert set(failed["error"]) == {"StrategyError: strategy 'gated' failed: RuntimeError: this point fails on purpose"}
    assert results.loc[results["status"] == "ok", "sharpe"].notna().all()
    summary = json.loads((tmp / "out" / "summary.json").read_text())
    assert (summary["finished"], summary["failed"]) == (3, 3)
    assert "failed 3" in result.stdout and "p02 failed: StrategyError" in result.stderr
    kept = {p.stem for p in (tmp / "out" / "journals").iterdir()}  # --keep-journals: the finished ones
    folds = pd.read_parquet(tmp / "out" / "walk_forward.parquet")
    assert kept == set(results.loc[results["status"] == "ok", "key"]) | set(folds["key"])


def test_failed_points_are_trials_and_are_reported_beside_the_verdict(fragile) -> None:
    # Issue 28, defect 4: 3 of 6 points failed and the DSR deflated for the 3 that finished.
    tmp, result = fragile
    summary = json.loads((tmp / "out" / "summary.json").read_text())
    assert summary["deflated_sharpe"]["n_trials"] == 6
    assert summary["trials"] == {"attempted": 6, "failed": 3, "first_error": "StrategyError: strategy 'gated' "
                                 "failed: RuntimeError: this point fails on purpose"}
    lines = result.stdout.splitlines()
    dsr = next(i for i, line in enumerate(lines) if line.startswith("DSR "))
    assert "after deflating for 6 trials" in lines[dsr]
    assert any(line.startswith("3 of 6 points failed: each counts as a trial above") for line in lines[dsr:dsr + 4])
    page = (tmp / "out" / "report.html").read_text()
    assert 'id="failed-trials"' in page and "3 of 6 points failed" in page


def test_the_stitched_walk_forward_is_saved_and_each_fold_restarts_from_cash(fragile) -> None:
    # Issue 28, defect 7: the stitched out-of-sample series only lived inside the report's figure.
    tmp, result = fragile
    out = tmp / "out"
    stitched = pd.read_parquet(out / "walk_forward_returns.parquet")
    folds = pd.read_parquet(out / "walk_forward.parquet")
    assert list(stitched.columns) == ["date", "return", "fold", "point"]
    assert stitched["date"].is_monotonic_increasing and not stitched["date"].duplicated().any()
    for fold in folds.itertuples():
        piece = stitched[stitched["fold"] == fold.fold]
        assert set(piece["point"]) == {fold.point}
        assert str(piece["date"].iloc[0].date()) >= fold.oos_start and str(piece["date"].iloc[-1].date()) <= fold.oos_end
        assert measure(Metric.SHARPE, piece.set_index("date")["return"]) == pytest.approx(fold.out_of_sample, rel=1e-9)
    summary = json.loads((out / "summary.json").read_text())["walk_forward"]
    assert summary["returns_file"] == "walk_forward_returns.parquet"
    assert summary["restart"].startswith("each fold's out-of-sample backtest starts from backtest.cash")
    assert "each fold restarts from cash" in result.stdout
    assert 'id="restart"' in (out / "report.html").read_text()


def test_a_sweep_where_every_point_fails_exits_1_after_saving_them(scheduler, tmp_path) -> None:
    (tmp_path / "grid.yaml").write_text(
        "strategy: sweep_plugins:Gated\ngrid:\n  strategy.params.fail: [true]\n  strategy.params.lookback: [10, 20]\n"
    )
    result = sweep_here("sweep", "--grid", "grid.yaml", "--out", "out", "--scheduler", scheduler, "--no-report",
                        *SMALL, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: every point failed; the first: "
        "StrategyError: strategy 'gated' failed: RuntimeError: this point fails on purpose"
    )
    assert set(pd.read_parquet(tmp_path / "out" / "results.parquet")["status"]) == {"failed"}


def test_each_fold_trades_its_in_sample_best_out_of_sample(fragile) -> None:
    tmp, _ = fragile
    out = tmp / "out"
    returns = pd.read_parquet(out / "returns.parquet").set_index("date")
    folds = pd.read_parquet(out / "walk_forward.parquet")
    assert list(folds["fold"]) == [1, 2] and set(folds["status"]) == {"ok"}
    for fold in folds.itertuples():
        window = returns.loc[fold.is_start : fold.is_end]
        by_hand = {p: measure(Metric.SHARPE, window[p]) for p in returns.columns}
        assert fold.point == max(by_hand, key=by_hand.get)
        assert fold.in_sample == pytest.approx(by_hand[fold.point], rel=1e-9)
    summary = json.loads((out / "summary.json").read_text())["walk_forward"]
    assert summary["folds"][0]["oos_start"] > summary["folds"][0]["is_end"]
    assert summary["out_of_sample"]["sharpe"] is not None


def test_an_out_of_sample_trade_is_the_backtest_of_that_point_on_that_window(fragile, capsys, monkeypatch) -> None:
    tmp, _ = fragile
    fold = pd.read_parquet(tmp / "out" / "walk_forward.parquet").iloc[-1]
    results = pd.read_parquet(tmp / "out" / "results.parquet").set_index("point")
    lookback = int(results.loc[fold["point"], "strategy.params.lookback"])
    (tmp / "point.yaml").write_text(f"strategy:\n  params:\n    lookback: {lookback}\n")
    symbols = TINY[1]
    monkeypatch.syspath_prepend(str(PLUGINS))
    run = trade_here(["backtest", "--strategy", "sweep_plugins:Gated", "--config", "point.yaml", "--symbols", symbols,
                      "--start", fold["oos_start"], "--end", fold["oos_end"], "--out", "bt", "--no-report"],
                     capsys, monkeypatch, tmp)
    assert run.returncode == 0, run.stderr
    plain = json.loads((tmp / "bt" / "summary.json").read_text())["figures"]["sharpe"]
    assert fold["out_of_sample"] == pytest.approx(plain, rel=1e-9)


def test_xgboost_points_train_on_one_thread_in_the_worker(scheduler, tmp_path) -> None:
    (tmp_path / "fast.yaml").write_text(
        "strategy:\n  params: {n_estimators: 5, train_window: 60, retrain_every: 63, nthread: 2}\n"
    )
    (tmp_path / "grid.yaml").write_text("strategy: xgboost_signal\ngrid:\n  strategy.params.max_depth: [2, 3]\n")
    result = sweep_here("sweep", "--grid", "grid.yaml", "--out", "out", "--scheduler", scheduler, "--config",
                        "fast.yaml", "--keep-journals", "--no-report", "--pbo-splits", "4",
                        "--symbols", "AAPL,MSFT,XOM,JPM,PFE,KO", "--start", "2016-06-01", "--end", "2016-12-30",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    results = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert set(results["status"]) == {"ok"} and len(results) == 2
    for key in results["key"]:
        with closing(sqlite3.connect(tmp_path / "out" / "journals" / f"{key}.sqlite")) as db:
            (config,) = db.execute("SELECT config_json FROM runs").fetchone()
        params = json.loads(config)["strategy"]["params"]
        assert params["nthread"] == 1 and params["n_estimators"] == 5  # the config's 2 threads, held to 1
