"""Ctrl-C during a sweep: futures cancelled, workers gone, nothing half-written; a rerun resumes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import psutil
from sweep_helpers import SMALL, ctrl_c, start, trade

DEADLINE_SECONDS = 600.0


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def _finished(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("*.json")} if cache.is_dir() else set()


def test_ctrl_c_cancels_cleanly_and_the_same_command_resumes(tmp_path) -> None:
    gate = tmp_path / "gate"
    (tmp_path / "grid.yaml").write_text(
        "strategy: sweep_plugins:Gated\n"
        "grid:\n"
        "  strategy.params.lookback: [10, 20]\n"
        f"  strategy.params.gate: [null, {str(gate)!r}]\n"  # gated points wait until the file exists
    )
    # Three workers: the two gated points can hold two of them, whatever order the scheduler picks,
    # and the third still runs the ungated ones (with two, both could block and nothing finish).
    args = ("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "3", *SMALL)
    cache = tmp_path / "out" / "cache"
    sweep = start(*args, cwd=tmp_path)
    try:
        _wait_for(lambda: len(_finished(cache)) == 2 or sweep.poll() is not None, "the ungated points")
        assert sweep.poll() is None, sweep.communicate()
        workers = psutil.Process(sweep.pid).children(recursive=True)
        assert len(workers) >= 2  # the local cluster's worker processes
        ctrl_c(sweep)
        out, err = sweep.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 130, err
    assert err.splitlines()[-1] == (
        "error: interrupted: the cluster is closed; finished backtests are saved in out "
        "(run the same command again to resume)"
    )
    assert "Traceback" not in err and out == ""
    _, alive = psutil.wait_procs(workers, timeout=DEADLINE_SECONDS)
    assert alive == []
    folder = tmp_path / "out"
    assert [p.name for p in folder.rglob("*.partial")] == []
    assert not (folder / "summary.json").exists() and not (folder / "report.html").exists()
    saved = _finished(cache)
    assert len(saved) == 2  # the two that finished; the gated two were cancelled
    results = pd.read_parquet(folder / "results.parquet")
    assert sorted(results["strategy.params.gate"].isna()) == [True, True]

    gate.write_text("open")
    again = trade(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "backtests run 2, reused 2" in again.stdout
    assert saved <= _finished(cache)
    assert json.loads((folder / "summary.json").read_text())["finished"] == 4
