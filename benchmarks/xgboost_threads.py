"""How XGBoost's thread count holds up on a busy machine (issue 18: `nthread: 2` took a 6 s
backtest to 171 s on a loaded 2-core box, 1 thread stayed at 6 s).

Times the `xgboost_signal` walk-forward on the embedded data (the part of `trade backtest` that
`nthread` changes) for each thread count, on the machine as it is and with ``--load`` processes
spinning beside it (default: one per core). Best and median of ``--repeat`` runs each.

    .venv/bin/python benchmarks/xgboost_threads.py [--threads 1,2,auto] [--repeat 3] [--load N]

``auto`` is what `nthread: auto` resolves to here (the cores this process may use); ``--load 0``
measures the machine as it is only.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

from framework.data import load_market_data
from framework.strategy import compute_signals
from strategies.xgboost_signal.strategy import XGBoostSignal
from strategies.xgboost_signal.threads import usable_cores


def _spin() -> None:
    while True:
        pass


@contextmanager
def load(processes: int) -> Iterator[None]:
    """``processes`` busy loops for the duration of the block (ended by their handles)."""
    spinners = [mp.Process(target=_spin, daemon=True) for _ in range(processes)]
    for p in spinners:
        p.start()
    try:
        yield
    finally:
        for p in spinners:
            p.terminate()
        for p in spinners:
            p.join()


def seconds(nthread: int | str) -> float:
    market = load_market_data()
    started = time.perf_counter()
    compute_signals(XGBoostSignal({"nthread": nthread}), market)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    threads = [t if t == "auto" else int(t) for t in args.threads.split(",")]
    print(f"{os.cpu_count()} cores, {usable_cores()} usable (auto); load average now {os.getloadavg()[0]:.1f}; "
          f"best / median of {args.repeat}")
    rounds = [("as it is", 0)] + ([(f"+{args.load} spinning", args.load)] if args.load else [])
    for label, busy in rounds:
        with load(busy):
            for n in threads:
                runs = [seconds(n) for _ in range(args.repeat)]
                print(f"  {label:<14} nthread={n}: {min(runs):6.1f} s / {statistics.median(runs):6.1f} s",
                      flush=True)


if __name__ == "__main__":
    main()
