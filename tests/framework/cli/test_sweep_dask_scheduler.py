"""A sweep on an existing Dask cluster: a real scheduler and a real worker, separate processes
(`trade sweep` itself runs in this process: its boundary is not the point here; a second worker
only ran the same points beside the first, at its own imports' cost)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client
from sweep_helpers import TINY, environment, figures, sweep_here

DEADLINE_SECONDS = 300.0
DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"
QUICK = ("--no-report", "--pbo-splits", "4", *TINY)  # neither the report, the PBO nor the data's size is the point
GRID = """strategy: momentum
grid:
  strategy.params.lookback: [42, 84]
  strategy.params.skip: [0, 10]
"""


def _spawn(*args: str, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [DASK, *args], cwd=cwd, env=environment(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)


@dataclass(frozen=True)
class External:
    address: str
    worker_pids: frozenset[int]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[External]:
    """`dask scheduler` and a `dask worker` process on loopback, free ports: started once for the
    module (each test only submits to them; none changes the cluster)."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    file = tmp_path / "scheduler.json"
    processes = [_spawn("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(file), cwd=tmp_path, log=tmp_path / "scheduler.log")]
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not (file.is_file() and file.stat().st_size):
            assert processes[0].poll() is None, (tmp_path / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler never wrote its address"
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        processes.append(_spawn("worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                                "--no-dashboard", "--name", "w0", cwd=tmp_path, log=tmp_path / "worker0.log"))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=DEADLINE_SECONDS)
            pids = frozenset(client.run(os.getpid).values())
        yield External(address, pids)
    finally:
        for process in reversed(processes):
            _stop(process)


def test_a_sweep_on_an_existing_scheduler_equals_the_local_cluster_run(cluster, tmp_path) -> None:
    (tmp_path / "grid.yaml").write_text(GRID)
    remote = sweep_here("sweep", "--grid", "grid.yaml", "--out", "remote", "--scheduler", cluster.address, *QUICK,
                        cwd=tmp_path)
    assert remote.returncode == 0, remote.stderr
    local = sweep_here("sweep", "--grid", "grid.yaml", "--out", "local", "--workers", "1", *QUICK, cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert len(figures(tmp_path / "remote")) == 4
    pd.testing.assert_frame_equal(figures(tmp_path / "remote"), figures(tmp_path / "local"))
    workers = pd.read_parquet(tmp_path / "remote" / "results.parquet")["worker"]
    assert {int(w.rsplit(":", 1)[1]) for w in workers} <= cluster.worker_pids  # the external workers ran them
    remote_summary = json.loads((tmp_path / "remote" / "summary.json").read_text())
    local_summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert remote_summary == local_summary


def test_the_scheduler_address_may_come_from_the_environment(cluster, tmp_path, monkeypatch) -> None:
    (tmp_path / "grid.yaml").write_text("strategy: momentum\ngrid:\n  strategy.params.lookback: [42]\n")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.address)
    result = sweep_here("sweep", "--grid", "grid.yaml", "--out", "out", *QUICK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    worker = pd.read_parquet(tmp_path / "out" / "results.parquet")["worker"].iloc[0]
    assert int(worker.rsplit(":", 1)[1]) in cluster.worker_pids


ELSEWHERE = """from framework.strategy import Strategy


class OnlyHere(Strategy):
    name = "only_here"

    def signals(self, history):
        return history.close.pct_change(5, fill_method=None).rank(axis=1, pct=True) * 2 - 1
"""


def test_workers_that_cannot_import_the_plugin_refuse_the_sweep_in_one_line(cluster, tmp_path, monkeypatch) -> None:
    # Issue 28, defect 5: the plugin is importable where `trade sweep` runs, not on the workers.
    # The sweep is refused in one line and writes nothing, instead of every point failing alone.
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "only_here_plugin.py").write_text(ELSEWHERE)
    (tmp_path / "grid.yaml").write_text("strategy: only_here_plugin:OnlyHere\ngrid:\n  signals.top_n: [2, 3]\n")
    monkeypatch.syspath_prepend(str(tmp_path / "here"))  # here only: the workers started without it
    result = sweep_here("sweep", "--grid", "grid.yaml", "--out", "out", "--scheduler", cluster.address, *QUICK,
                        cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(
        f"error: the Dask workers at {cluster.address} cannot import the strategy plugin 'only_here_plugin:OnlyHere' ("
    )
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()
