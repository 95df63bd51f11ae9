"""`trade sweep` on the lean path: its points there, the best point and each walk-forward choice
re-run on backtrader and found equal (lean_check.json); `--simulator backtrader` the same figures.
In this process (the process boundary is not the point), both sweeps on one local cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest
from cli_invoke import trade_here
from sweep_helpers import TINY, figures, local_cluster, sweep_here

QUICK = ("--pbo-splits", "4", *TINY)  # neither the data's size nor the verdict is the point here
GRID = """strategy: momentum
metric: sharpe
grid:
  strategy.params.lookback: [63, 126]
  risk.max_position_weight: [0.05, 0.1]
"""


@pytest.fixture
def scheduler() -> Iterator[str]:
    with local_cluster(1) as address:
        yield address


def test_sweep_points_run_lean_and_the_chosen_ones_are_checked_on_backtrader(
    scheduler, tmp_path, capsys, monkeypatch
) -> None:
    (tmp_path / "grid.yaml").write_text(GRID)
    lean = sweep_here("sweep", "--grid", "grid.yaml", "--out", "lean", "--scheduler", scheduler, "--walk-forward",
                      "2", "--no-report", *QUICK, cwd=tmp_path)
    assert lean.returncode == 0, lean.stderr
    checks = json.loads((tmp_path / "lean" / "lean_check.json").read_text())["checks"]
    summary = json.loads((tmp_path / "lean" / "summary.json").read_text())
    assert checks[0]["name"] == summary["best"]["point"]
    assert len(checks) == 1 + len(summary["walk_forward"]["folds"])
    assert all(c["equal"] and c["path"] == "lean" and c["fills"] > 0 for c in checks)
    assert "lean path checked on backtrader" in lean.stdout
    again = trade_here(["sweep", "--grid", "grid.yaml", "--out", "lean", "--workers", "1", "--walk-forward", "2",
                        "--no-report", *QUICK], capsys, monkeypatch, tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "lean" / "lean_check.json").read_text())["checks"] == checks  # the resumed sweep keeps its check

    backtrader = sweep_here("sweep", "--grid", "grid.yaml", "--out", "bt", "--scheduler", scheduler, "--simulator",
                            "backtrader", "--no-report", *QUICK, cwd=tmp_path)
    assert backtrader.returncode == 0, backtrader.stderr
    assert not (tmp_path / "bt" / "lean_check.json").exists()
    pd.testing.assert_frame_equal(figures(tmp_path / "lean"), figures(tmp_path / "bt"))
