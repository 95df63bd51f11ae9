"""Ctrl-C during a sweep: futures cancelled, workers gone, nothing half-written; a rerun resumes.

The interrupted sweep is a child process in its own process group, as a terminal runs it (the
Ctrl-C is the point); the rerun runs in this process. Half a year of data and a 4-block PBO: the
data's size and the verdict are not the point."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import psutil
from sweep_helpers import SMALL, ctrl_c, start, sweep_here

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
        "  strategy.params.lookback: [10]\n"
        f"  strategy.params.gate: [null, {str(gate)!r}]\n"  # the gated point waits until the file exists
    )
    # Two workers: the gated point holds one of them, whatever order the scheduler picks, and the
    # other runs the ungated point.
    args = ("sweep", "--grid", "grid.yaml", "--out", "out", "--workers", "2", "--pbo-splits", "4", *SMALL[:4],
            "--end", "2016-06-30")
    cache = tmp_path / "out" / "cache"
    sweep = start(*args, cwd=tmp_path)
    try:
        _wait_for(lambda: len(_finished(cache)) == 1 or sweep.poll() is not None, "the ungated point")
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
    assert len(saved) == 1  # the one that finished; the gated one was cancelled while it ran
    results = pd.read_parquet(folder / "results.parquet")
    assert list(results["strategy.params.gate"].isna()) == [True]

    gate.write_text("open")
    again = sweep_here(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "backtests run 1, reused 1" in again.stdout
    assert saved <= _finished(cache)
    assert json.loads((folder / "summary.json").read_text())["finished"] == 2
