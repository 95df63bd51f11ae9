"""How long one `trade paper --once` cycle takes for the 44 embedded symbols, against the
loopback sandbox (real alpaca-py over HTTP; the sandbox runs in a process of its own, so the
client's time is measured alone, not sharing one interpreter lock with the server's).

Each cycle connects, fetches the bars, computes the signals, syncs the orders and fills of the
previous session, reconciles and trades; the sandbox then moves to the next session (its
orders fill at the open). Momentum needs no training; XGBoost trains its walk-forward models on
the cycle's history each cycle: the runner's signal computation is timed inside the cycle, so
the cycle is reported with and without it. ``--symbols 500``: a generated universe of that
many symbols (``workloads.market_scale``: the 5,000-symbol benchmark's recipe) served by the
sandbox, momentum holding its 40 strongest (XGBoost is not run there). Each cycle's requests are
counted by the sandbox (trading and market data apart: Alpaca's budget is 200 a minute on each).
A measurement, not a test.

Measured (issue 31 part 5, 4 cycles, ``main`` and the branch one after the other, load average
11 on 2 cores, where wall seconds are ~4x the CPU): 500 symbols 21.9 s -> 10.2 s best wall, CPU a
cycle client 3.33 -> 2.07 s and sandbox 2.61 -> 0.60 s; 44 symbols (momentum) 2.34 -> 1.27 s,
CPU 0.37 + 0.21 -> 0.35 + 0.09 s. The first cycle of a sandbox is the slowest (it writes every
bar's text; later cycles reuse them), so read the best and the median.

    .venv/bin/python benchmarks/paper_cycle.py [--cycles 4] [--symbols 500]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pandas as pd
from workloads import market_scale

import framework.live.runner as paper_runner
from brokers.sandbox import SandboxServer
from framework.cli import main as trade
from framework.data import MarketData, load_market_data
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


def serve(symbols: int, state: str, conn: Connection) -> None:
    """The sandbox's process: serve the universe, answer ``advance`` / ``requests`` / ``stop``."""
    market = market_scale(load_market_data(), symbols) if symbols > 44 else None
    with SandboxServer(market=market, state=state, port=0) as server:
        conn.send({"base": server.base_url, "data": server.data_url, "stream": server.stream_url})
        while (command := conn.recv()) != "stop":
            if command == "advance":
                conn.send(server.advance())
            elif command == "requests":
                conn.send(Counter(r.api for r in server.requests))
            elif command == "cpu":
                conn.send(time.process_time())


class Sandbox:
    """A :class:`SandboxServer` in a spawned process of its own, driven over a pipe."""

    def __init__(self, symbols: int, state: Path) -> None:
        self._conn, child = mp.get_context("spawn").Pipe()
        self._process = mp.get_context("spawn").Process(target=serve, args=(symbols, str(state), child), daemon=True)
        self._process.start()
        self.urls: dict[str, Any] = self._conn.recv()

    def ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join()


@dataclass
class Cycles:
    """Each cycle's wall seconds, CPU seconds of the client and of the sandbox, requests by API."""

    wall: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    sandbox_cpu: list[float] = field(default_factory=list)
    sent: list[Counter[str]] = field(default_factory=list)


def cycles(strategy: str, n: int, tmp: Path, symbols: int, market: MarketData | None = None) -> Cycles:
    """``n`` cycles measured: wall and CPU seconds (CPU holds on a loaded machine, wall does not)
    and the requests each sent."""
    folder = tmp / strategy
    folder.mkdir()
    config = folder / "paper.yaml"
    text = f"strategy:\n  name: {strategy}\npaper:\n  journal: {folder / 'paper.sqlite'}\n"
    if market is not None:  # the universe is the sectors file's symbols; the sandbox serves their bars
        sectors = folder / "sectors.csv"
        market.sectors.rename_axis("symbol").reset_index().to_csv(sectors, index=False)
        text += f"data:\n  sectors: {sectors}\nsignals:\n  top_n: 40\n"
    config.write_text(text)
    out = Cycles()
    with Sandbox(symbols, folder / "sandbox.sqlite") as sandbox:
        env = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": sandbox.urls["base"],
               "APCA_API_DATA_URL": sandbox.urls["data"], "APCA_API_STREAM_URL": sandbox.urls["stream"],
               "TRADE_PROGRESS": "plain"}
        before: Counter[str] = Counter()
        for _ in range(n):
            client, server = time.process_time(), sandbox.ask("cpu")
            out.wall.append(once(config, env))
            out.client_cpu.append(time.process_time() - client)
            out.sandbox_cpu.append(sandbox.ask("cpu") - server)
            total = sandbox.ask("requests")
            out.sent.append(total - before)
            before = total
            sandbox.ask("advance")
    return out


def _requests(sent: Counter[str]) -> str:
    return f"{sent['data']} data + {sent['trading']} trading"


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
    parser.add_argument("--symbols", type=int, default=44, help="more than 44: a generated universe, momentum only")
    args = parser.parse_args()
    market = market_scale(load_market_data(), args.symbols) if args.symbols > 44 else None
    target = "5" if market is not None else "2"
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("momentum",) if market is not None else ("momentum", "xgboost_signal"):
            timer = SignalTimer()
            paper_runner.compute_signals = timer  # type: ignore[assignment]
            try:
                measured = cycles(strategy, args.cycles, Path(tmp), args.symbols, market)
            finally:
                paper_runner.compute_signals = timer._inner
            times = measured.wall
            rest = [t - s for t, s in zip(times, timer.seconds, strict=True)]
            print(
                f"paper cycle, {strategy}, {args.symbols} symbols, sandbox: {min(times):.2f} s best, "
                f"{statistics.median(times):.2f} s median (cycles: {', '.join(f'{t:.2f}' for t in times)}); "
                f"without the signal computation (training): {min(rest):.2f} s best, "
                f"{statistics.median(rest):.2f} s median; signals {statistics.median(timer.seconds):.2f} s median"
                f"   (target <= {target} s)\n  CPU seconds per cycle, median: client "
                f"{statistics.median(measured.client_cpu):.2f}, sandbox {statistics.median(measured.sandbox_cpu):.2f} "
                f"(load average {os.getloadavg()[0]:.1f}); requests per cycle: "
                f"{', '.join(map(_requests, measured.sent))} (the budget: 200 a minute on each API)",
                flush=True,
            )


if __name__ == "__main__":
    main()
