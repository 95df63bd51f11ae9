"""How a sweep scales with Dask workers: the same 8-point momentum sweep on 1 and on 2 workers.

Each round starts a fresh LocalCluster (single-threaded worker processes), ships the embedded
data to it, and runs the eight full backtests (lookback 63/126/189/252 × skip 0/21) through
the same code as `trade sweep`, nothing resumed. For scale, the round also runs the same eight
backtests without Dask: one after another in one process, and split over two plain processes
(the most two processes get from this machine at that moment). Rounds interleave the four so a
busy machine slows them alike; the best and the median of ``--repeat`` rounds are reported.
Times exclude starting the processes and importing (reported apart for Dask). A measurement,
not a test.

    .venv/bin/python benchmarks/sweep_scaling.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from brokers.backtrader.runner import run_backtest
from framework.data import MarketData
from framework.research.sweep_cluster import Cluster
from framework.research.sweep_plan import SweepPlan, SweepRequest, plan_sweep
from framework.research.sweep_task import Job, Outcome, run_job

GRID = """strategy: momentum
metric: sharpe
grid:
  strategy.params.lookback: [63, 126, 189, 252]
  strategy.params.skip: [0, 21]
"""


def plan(folder: Path) -> SweepPlan:
    grid = folder / "grid.yaml"
    grid.write_text(GRID)
    return plan_sweep(SweepRequest(grid_path=grid, out=folder / "unused", show_progress=False))


def on_dask(sweep: SweepPlan, workers: int) -> tuple[float, float]:
    """(seconds to start the cluster, ship the data and import, seconds for the eight points)."""
    jobs = [p.job(keep_journal=False) for p in sweep.points]
    outcomes: list[Outcome] = []

    def arrived(job: Job, outcome: Outcome) -> None:
        assert outcome.ok, outcome.error
        outcomes.append(outcome)

    with Cluster(sweep.market, workers, None, run_backtest) as cluster:
        started = time.perf_counter()
        cluster.open()
        opened = time.perf_counter()
        cluster.run(jobs, arrived)
        finished = time.perf_counter()
    assert len(outcomes) == len(jobs)
    return opened - started, finished - opened


def backtests(args: tuple[MarketData, list[Job]]) -> float:
    market, jobs = args
    started = time.perf_counter()
    for job in jobs:
        assert run_job(market, job, run_backtest).ok
    return time.perf_counter() - started


def plain(sweep: SweepPlan, pool: multiprocessing.pool.Pool) -> tuple[float, float]:
    """(seconds one after another in this process, seconds split over the pool's two processes)."""
    jobs = [p.job(keep_journal=False) for p in sweep.points]
    alone = backtests((sweep.market, jobs))
    started = time.perf_counter()
    pool.map(backtests, [(sweep.market, jobs[0::2]), (sweep.market, jobs[1::2])])
    return alone, time.perf_counter() - started


def _line(name: str, one: list[float], two: list[float]) -> str:
    best, median = min(one) / min(two), statistics.median(one) / statistics.median(two)
    return (f"{name}: 1 → {min(one):.1f} s (median {statistics.median(one):.1f}), "
            f"2 → {min(two):.1f} s (median {statistics.median(two):.1f}); speed-up {best:.2f}x (median {median:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sweep = plan(Path(tmp))
    print(f"8-point momentum sweep, {len(sweep.sessions)} sessions x {len(sweep.market.symbols)} symbols, "
          f"{os.cpu_count()} cores, {args.repeat} rounds")
    dask: dict[int, list[float]] = {1: [], 2: []}
    starts: dict[int, list[float]] = {1: [], 2: []}
    alone: list[float] = []
    pair: list[float] = []
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        warm = [p.job(keep_journal=False) for p in sweep.points[:1]]
        pool.map(backtests, [(sweep.market, warm)] * 2)  # imports done in both processes
        backtests((sweep.market, warm))
        for _ in range(args.repeat):
            for workers in (1, 2):
                start, points = on_dask(sweep, workers)
                dask[workers].append(points)
                starts[workers].append(start)
            a, b = plain(sweep, pool)
            alone.append(a)
            pair.append(b)
            print(f"  dask 1 worker {dask[1][-1]:.1f} s, 2 workers {dask[2][-1]:.1f} s; "
                  f"plain 1 process {a:.1f} s, 2 processes {b:.1f} s", flush=True)
    print(_line("dask workers  ", dask[1], dask[2]))
    print(_line("plain processes", alone, pair))
    print(f"starting a cluster, shipping the data, importing: 1 worker {min(starts[1]):.1f} s, "
          f"2 workers {min(starts[2]):.1f} s (best)")


if __name__ == "__main__":
    main()
