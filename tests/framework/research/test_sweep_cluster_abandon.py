"""A sweep that ends on an error or a Ctrl-C kills its local workers' cancelled points instead of
waiting for them: Dask's close gave a worker busy in a backtest 4 s to stop by itself (it never
does), so every Ctrl-C of a running sweep took 4 s more than it needed."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
from market_once import embedded

from brokers.backtrader.runner import run_backtest
from framework.config import load_settings
from framework.research.sweep_cluster import ABANDON_SECONDS, Cluster
from framework.research.sweep_task import Job, Outcome

PLUGINS = Path(__file__).resolve().parent  # sweep_plugins.py, for the spawned workers
#: Dask's own graceful window: a worker asked to close is killed only after this long.
DASK_GRACE_SECONDS = 4.0


def _worker_processes() -> list[psutil.Process]:
    """This process's children, but multiprocessing's resource tracker (it stays)."""
    return [p for p in psutil.Process().children(recursive=True) if "resource_tracker" not in " ".join(p.cmdline())]


class Stop(Exception):
    pass


def _job(key: str, **params: object) -> Job:
    settings = load_settings((), {"strategy": {"name": "sweep_plugins:Gated", "params": params}})
    return Job(key, key, settings.model_dump(mode="json"))


def test_an_error_kills_the_busy_worker_instead_of_waiting_for_it(tmp_path, monkeypatch) -> None:
    assert ABANDON_SECONDS < DASK_GRACE_SECONDS
    monkeypatch.syspath_prepend(str(PLUGINS))  # a spawned worker starts with this sys.path
    never = tmp_path / "never"  # the gated point waits for this file: it stays busy
    jobs = [_job("fails", fail=True), _job("busy", gate=str(never))]

    def on_outcome(job: Job, outcome: Outcome) -> None:
        assert job.key == "fails" and not outcome.ok
        raise Stop  # as a Ctrl-C does, while the other worker is busy with the gated point

    cluster = Cluster(embedded(), 2, None, run_backtest, "sweep_plugins:Gated")
    with pytest.raises(Stop), cluster:  # the exit is what is measured
        before = _worker_processes()  # a session fixture's child, say
        cluster.open(2)
        workers = [p for p in _worker_processes() if p not in before]
        assert len(workers) == 2
        try:
            cluster.run(jobs, on_outcome)
        finally:
            left = time.monotonic()
    closed = time.monotonic() - left
    # Before: the busy worker was waited for (DASK_GRACE_SECONDS), then killed.
    assert closed < DASK_GRACE_SECONDS, f"closing took {closed:.1f} s"
    _, alive = psutil.wait_procs(workers, timeout=60)
    assert alive == []
