"""How long one `trade paper --once` cycle takes for the 44 embedded symbols, against the
loopback sandbox (real alpaca-py over HTTP, the sandbox in this process on its own threads).

Each cycle connects, fetches the bars, computes the signals, syncs the orders and fills of the
previous session, reconciles and trades; the sandbox then moves to the next session (its
orders fill at the open). Momentum needs no training; XGBoost trains its walk-forward models on
the cycle's history each cycle: the runner's signal computation is timed inside the cycle, so
the cycle is reported with and without it. A measurement, not a test.

    .venv/bin/python benchmarks/paper_cycle.py [--cycles 4]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import framework.live.runner as paper_runner
from brokers.sandbox import SandboxServer
from framework.cli import main as trade
from framework.data import MarketData
from framework.strategy import Strategy

KEY, SECRET = "AKSANDBOX000000001", "SANDBOXSECRET00001"


def once(config: Path, env: dict[str, str]) -> float:
    os.environ.update(env)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            trade(["paper", "--once", "--config", str(config)])
        except SystemExit as e:
            if e.code:
                sys.exit(f"trade paper --once exited {e.code}: {err.getvalue()[-400:]}")
    return time.perf_counter() - t0


def cycles(strategy: str, n: int, tmp: Path, timer: SignalTimer) -> list[float]:
    folder = tmp / strategy
    folder.mkdir()
    config = folder / "paper.yaml"
    config.write_text(f"strategy:\n  name: {strategy}\npaper:\n  journal: {folder / 'paper.sqlite'}\n")
    times = []
    with SandboxServer(state=str(folder / "sandbox.sqlite"), port=0) as server:
        env = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": server.base_url,
               "APCA_API_DATA_URL": getattr(server, "data_url", server.base_url),
               "APCA_API_STREAM_URL": server.stream_url, "TRADE_PROGRESS": "plain"}
        for _ in range(n):
            times.append(once(config, env))
            server.advance()
    return times


class SignalTimer:
    """Wraps the paper runner's signal computation (training included) to time it."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._inner = paper_runner.compute_signals

    def __call__(self, strategy: Strategy, history: MarketData) -> pd.DataFrame:
        t0 = time.perf_counter()
        try:
            return self._inner(strategy, history)
        finally:
            self.seconds.append(time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("momentum", "xgboost_signal"):
            timer = SignalTimer()
            paper_runner.compute_signals = timer  # type: ignore[assignment]
            try:
                times = cycles(strategy, args.cycles, Path(tmp), timer)
            finally:
                paper_runner.compute_signals = timer._inner
            rest = [t - s for t, s in zip(times, timer.seconds, strict=True)]
            print(
                f"paper cycle, {strategy}, 44 symbols, sandbox: {min(times):.2f} s best, "
                f"{statistics.median(times):.2f} s median (cycles: {', '.join(f'{t:.2f}' for t in times)}); "
                f"without the signal computation (training): {min(rest):.2f} s best, "
                f"{statistics.median(rest):.2f} s median; signals {statistics.median(timer.seconds):.2f} s median"
                "   (target <= 2 s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
