"""Running `trade sweep` as a person does: a separate process, with the test plugins importable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd

PLUGINS = Path(__file__).resolve().parents[1] / "research"  # sweep_plugins.py
SMALL = ("--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN,KO,NEE", "--start", "2016-01-04", "--end", "2017-06-30")
# A terminal's Ctrl-C: SIGINT raises KeyboardInterrupt (a shell's background job would ignore it).
ENTRY = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); from framework.cli import main; main()"
FIGURE_COLUMNS = ["total_return", "cagr", "sharpe", "max_drawdown", "turnover", "orders", "fills", "sortino"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PLUGINS), "TRADE_PROGRESS": "plain"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY, *args]


def trade(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, cwd=cwd, env=environment(), timeout=timeout)


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
