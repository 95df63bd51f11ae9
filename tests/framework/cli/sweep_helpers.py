"""Running `trade sweep` with the test plugins importable: in a separate process as a person does
(where the process boundary is the point), or in this process (the rest: a child pays its own
imports, ~3 s of CPU)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from cli_invoke import trade_at

from framework.research.sweep_cluster import _local

PLUGINS = Path(__file__).resolve().parents[1] / "research"  # sweep_plugins.py
SMALL = ("--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN,KO,NEE", "--start", "2016-01-04", "--end", "2017-06-30")
TINY = ("--symbols", "AAPL,MSFT,XOM,JPM", "--start", "2016-01-04", "--end", "2016-12-30")  # four symbols, a year
# A terminal's Ctrl-C: SIGINT raises KeyboardInterrupt (a shell's background job would ignore it).
ENTRY = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); from framework.cli import main; main()"
FIGURE_COLUMNS = ["total_return", "cagr", "sharpe", "max_drawdown", "turnover", "orders", "fills", "sortino"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PLUGINS), "TRADE_PROGRESS": "plain"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY, *args]


def trade(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, cwd=cwd, env=environment(), timeout=timeout)


def sweep_here(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`trade ARGS` in this process, answered as :func:`trade` answers: the test plugins importable
    here and in the local cluster's worker processes (a spawned process starts with this process's
    sys.path), progress in plain lines."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(PLUGINS))
        mp.setenv("TRADE_PROGRESS", "plain")
        return trade_at(list(args), cwd)


@contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """The address of a sweep's own local cluster (``workers`` processes, the test plugins
    importable), for several sweeps to share through `--scheduler`: each `--workers` sweep starts
    its own, ~3 s of imports a worker process."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(PLUGINS))  # a spawned worker process starts with this process's sys.path
        cluster, client = _local(workers)
    try:
        yield cluster.scheduler_address
    finally:
        client.close()
        cluster.close()


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """`trade ...` in its own process group, as a terminal runs it."""
    return subprocess.Popen(
        command(*args),
        cwd=cwd,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def ctrl_c(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGINT)


def figures(folder: Path) -> pd.DataFrame:
    results = pd.read_parquet(folder / "results.parquet")
    return results.set_index("point")[FIGURE_COLUMNS].sort_index()
