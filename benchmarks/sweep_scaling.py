"""How a sweep scales with Dask workers: the same 8-point momentum sweep on 1 and on 2 workers.

Each round starts a fresh LocalCluster (single-threaded worker processes), ships the embedded
data to it, and runs the eight full backtests (lookback 63/126/189/252 × skip 0/21) through
the same code as `trade sweep`, nothing resumed. Rounds alternate 1, 2, 1, 2, ... so a busy
machine slows both alike; the best and the median of ``--repeat`` rounds are reported, for
the points alone (cluster already up) and with the cluster's start. A measurement, not a test.

    .venv/bin/python benchmarks/sweep_scaling.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from brokers.backtrader.sweep_cluster import Cluster
from brokers.backtrader.sweep_plan import SweepPlan, SweepRequest, plan_sweep
from brokers.backtrader.sweep_task import Job, Outcome

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


def one_round(sweep: SweepPlan, workers: int) -> tuple[float, float, float]:
    """(seconds to start the cluster and ship the data, seconds for the points, summed point seconds)."""
    jobs = [p.job(keep_journal=False) for p in sweep.points]
    outcomes: list[Outcome] = []

    def arrived(job: Job, outcome: Outcome) -> None:
        assert outcome.ok, outcome.error
        outcomes.append(outcome)

    with Cluster(sweep.market, workers, None) as cluster:
        started = time.perf_counter()
        cluster.open()
        opened = time.perf_counter()
        cluster.run(jobs, arrived)
        finished = time.perf_counter()
    assert len(outcomes) == len(jobs)
    return opened - started, finished - opened, sum(o.seconds for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per worker count (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sweep = plan(Path(tmp))
    print(f"8-point momentum sweep, {len(sweep.sessions)} sessions x {len(sweep.market.symbols)} symbols, "
          f"{os.cpu_count()} cores, {args.repeat} rounds each")
    times: dict[int, list[tuple[float, float, float]]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            times[workers].append(one_round(sweep, workers))
            start, points, busy = times[workers][-1]
            print(f"  {workers} worker(s): start {start:.1f} s, points {points:.1f} s (backtests {busy:.1f} s)")
    best = {w: min(p for _, p, _ in t) for w, t in times.items()}
    median = {w: statistics.median(p for _, p, _ in t) for w, t in times.items()}
    whole = {w: min(s + p for s, p, _ in t) for w, t in times.items()}
    print(f"points, best:    1 worker {best[1]:.1f} s, 2 workers {best[2]:.1f} s: speed-up {best[1] / best[2]:.2f}x")
    print(f"points, median:  1 worker {median[1]:.1f} s, 2 workers {median[2]:.1f} s: "
          f"speed-up {median[1] / median[2]:.2f}x")
    print(f"with the cluster's start, best: 1 worker {whole[1]:.1f} s, 2 workers {whole[2]:.1f} s: "
          f"speed-up {whole[1] / whole[2]:.2f}x")


if __name__ == "__main__":
    main()
