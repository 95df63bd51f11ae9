"""`trade sweep` end to end: real Dask workers, real backtests, resume, walk-forward, the report."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from sweep_helpers import SMALL, figures, trade

from framework.research.metrics import Metric, measure

ISSUE_GRID = """strategy: momentum
metric: sharpe
grid:
  strategy.params.lookback: [63, 126, 252]
  strategy.params.skip: [0, 21]
  risk.max_position_weight: {start: 0.05, stop: 0.2, num: 2}
"""


def test_a_bad_grid_value_refuses_the_sweep_before_anything_starts(tmp_path) -> None:
    (tmp_path / "grid.yaml").write_text("strategy: momentum\ngrid:\n  risk.max_position_weight: [0.1, 1.5]\n")
    result = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: grid.yaml: point max_position_weight=1.5: risk.max_position_weight: "
        "Input should be less than or equal to 1 (got 1.5)\n"
    )
    assert result.stdout == "" and not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path) -> None:
    (tmp_path / "grid.yaml").write_text("strategy: momentum\ngrid:\n  strategy.params.lookback: [63]\n")
    result = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--scheduler", "tcp://127.0.0.1:9", *SMALL,
                   cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


FRAGILE_GRID = """strategy: sweep_plugins:Gated
metric: sharpe
grid:
  strategy.params.lookback: [10, 30, 60]
  strategy.params.fail: [false, true]
"""


@pytest.fixture(scope="module")
def fragile(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("fragile")
    (tmp / "grid.yaml").write_text(FRAGILE_GRID)
    result = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "2", "--walk-forward", "3",
                   "--keep-journals", *SMALL, cwd=tmp)
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


def test_a_sweep_where_every_point_fails_exits_1_after_saving_them(tmp_path) -> None:
    (tmp_path / "grid.yaml").write_text(
        "strategy: sweep_plugins:Gated\ngrid:\n  strategy.params.fail: [true]\n  strategy.params.lookback: [10, 20]\n"
    )
    result = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "1", *SMALL, cwd=tmp_path)
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
    assert list(folds["fold"]) == [1, 2, 3] and set(folds["status"]) == {"ok"}
    for fold in folds.itertuples():
        window = returns.loc[fold.is_start : fold.is_end]
        by_hand = {p: measure(Metric.SHARPE, window[p]) for p in returns.columns}
        assert fold.point == max(by_hand, key=by_hand.get)
        assert fold.in_sample == pytest.approx(by_hand[fold.point], rel=1e-9)
    summary = json.loads((out / "summary.json").read_text())["walk_forward"]
    assert summary["folds"][0]["oos_start"] > summary["folds"][0]["is_end"]
    assert summary["out_of_sample"]["sharpe"] is not None


def test_an_out_of_sample_trade_is_the_backtest_of_that_point_on_that_window(fragile) -> None:
    tmp, _ = fragile
    fold = pd.read_parquet(tmp / "out" / "walk_forward.parquet").iloc[-1]
    results = pd.read_parquet(tmp / "out" / "results.parquet").set_index("point")
    lookback = int(results.loc[fold["point"], "strategy.params.lookback"])
    (tmp / "point.yaml").write_text(f"strategy:\n  params:\n    lookback: {lookback}\n")
    symbols = SMALL[1]
    run = trade("backtest", "--strategy", "sweep_plugins:Gated", "--config", "point.yaml", "--symbols", symbols,
                "--start", fold["oos_start"], "--end", fold["oos_end"], "--out", "bt", "--no-report", cwd=tmp)
    assert run.returncode == 0, run.stderr
    plain = json.loads((tmp / "bt" / "summary.json").read_text())["figures"]["sharpe"]
    assert fold["out_of_sample"] == pytest.approx(plain, rel=1e-9)


def test_xgboost_points_train_on_one_thread_in_the_worker(tmp_path) -> None:
    (tmp_path / "fast.yaml").write_text(
        "strategy:\n  params: {n_estimators: 5, train_window: 60, retrain_every: 63, nthread: 2}\n"
    )
    (tmp_path / "grid.yaml").write_text("strategy: xgboost_signal\ngrid:\n  strategy.params.max_depth: [2, 3]\n")
    result = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "1", "--config", "fast.yaml",
                   "--keep-journals", "--symbols", "AAPL,MSFT,XOM,JPM,PFE,KO", "--start", "2016-06-01",
                   "--end", "2016-12-30", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    results = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert set(results["status"]) == {"ok"} and len(results) == 2
    for key in results["key"]:
        with closing(sqlite3.connect(tmp_path / "out" / "journals" / f"{key}.sqlite")) as db:
            (config,) = db.execute("SELECT config_json FROM runs").fetchone()
        params = json.loads(config)["strategy"]["params"]
        assert params["nthread"] == 1 and params["n_estimators"] == 5  # the config's 2 threads, held to 1


@pytest.fixture(scope="module")
def issue_sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("issue")
    (tmp / "grid.yaml").write_text(ISSUE_GRID)
    result = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "2", cwd=tmp)
    return tmp, result


def _marks(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted((folder / "cache").iterdir())}


@pytest.mark.slow
def test_the_twelve_point_sweep_writes_results_and_report_then_resumes_without_a_backtest(issue_sweep) -> None:
    tmp, first = issue_sweep
    out = tmp / "out"
    assert first.returncode == 0, first.stderr
    assert (out / "report.html").is_file()
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 12 and set(results["status"]) == {"ok"}
    assert "backtests run 12, reused 0" in first.stdout
    before, table = _marks(out), figures(out)
    again = trade("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "2", cwd=tmp)
    assert again.returncode == 0, again.stderr
    assert "backtests run 0, reused 12" in again.stdout
    assert "sweep: started" not in again.stderr  # no progress: nothing was sent to a worker
    assert _marks(out) == before  # every saved result untouched
    pd.testing.assert_frame_equal(figures(out), table)


@pytest.mark.slow
def test_the_summary_holds_the_best_point_the_dsr_and_the_pbo(issue_sweep) -> None:
    tmp, _ = issue_sweep
    summary = json.loads((tmp / "out" / "summary.json").read_text())
    results = pd.read_parquet(tmp / "out" / "results.parquet")
    assert summary["best"]["point"] == results.loc[results["sharpe"].idxmax(), "point"]
    assert summary["deflated_sharpe"]["n_trials"] == 12
    assert 0.0 <= summary["deflated_sharpe"]["dsr"] <= 1.0
    assert summary["pbo"]["n_combinations"] == 12_870 and 0.0 <= summary["pbo"]["pbo"] <= 1.0


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.setAttribute('data-probe', JSON.stringify({
    count: imgs.length, ok: imgs.every(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0),
    tables: document.querySelectorAll('table').length,
    readings: [...document.querySelectorAll('.reading')].map(e => e.innerText),
    bad: document.body.innerText.match(/\\b(nan|-?inf(inity)?|none|null|undefined)\\b/gi) || []}));
});</script></body>"""


def _coloured_share(png: bytes) -> float:
    """Share of pixels in colour: data drawn (lines, bars, cells); an empty axes is grey only."""
    rgb = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]
    return float(np.mean(rgb.max(axis=-1) - rgb.min(axis=-1) > 0.2))


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_report_renders_in_headless_chromium_with_no_empty_figure_or_nan(issue_sweep) -> None:
    tmp, _ = issue_sweep
    page_html = (tmp / "out" / "report.html").read_text()
    assert "http://" not in page_html and "https://" not in page_html  # self-contained
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page_html)
    assert len(images) >= 5  # 3 heatmaps, stability, CSCV
    assert all(_coloured_share(base64.b64decode(data)) > 0.002 for data in images)
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "page.html"
        page.write_text(page_html.replace("</body>", PROBE))
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={scratch}/profile", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=180,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index('data-probe="') + len('data-probe="')
    probe = json.loads(result.stdout[start : result.stdout.index('"', start)].replace("&quot;", '"'))
    assert probe["count"] == len(images) and probe["ok"]
    assert probe["tables"] >= 4 and probe["bad"] == []
    assert [r.split(":")[0].split(" ")[0] for r in probe["readings"]] == ["DSR", "PBO"]
