"""How XGBoost's thread count and OpenMP's wait policy hold up on a busy machine (issue 31 part 4).

Times the `xgboost_signal` walk-forward (the part of `trade backtest` that `nthread` changes) on
the embedded data, or on a generated universe of ``--symbols`` (``workloads.market_scale``, as
`benchmarks/scale.py`), for each ``--runs`` entry, with ``--load`` busy-loop processes started
beside it and stopped after each round (interleaved: every entry under the same load). Each run
is a fresh process, because libgomp reads its wait policy once, when xgboost is imported:

- ``1``: one thread;
- ``2-spin``: two threads, libgomp's default wait (spin 300,000 pauses before sleeping: `auto`
  before issue 31.4);
- ``2-passive``: two threads, ``OMP_WAIT_POLICY=PASSIVE`` (a waiting thread sleeps at once);
- ``auto``: what the plugin does (the passive wait, every core this process may use).

Prints wall and CPU seconds (user + system of the process, all its threads), the thread counts
the retrains used, and stops if any run's signals differ from the first's.

    .venv/bin/python benchmarks/xgboost_threads.py [--symbols 500] [--load 0,2,6]
        [--runs 1,2-spin,2-passive,auto]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

RUNS = {  # name: (nthread, environment)
    "1": ("1", {}),
    "2-spin": ("2", {}),
    "2-passive": ("2", {"OMP_WAIT_POLICY": "PASSIVE"}),
    "auto": ("auto", {}),
}
OPENMP = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


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


def child(nthread: str, symbols: int, plugin_import: bool) -> None:
    """One walk-forward in this process; prints its figures as JSON."""
    from framework.data import load_market_data
    from framework.strategy import compute_signals
    from strategies.xgboost_signal import strategy
    from strategies.xgboost_signal.threads import xgboost

    market = load_market_data()
    if symbols:
        from workloads import market_scale

        market = market_scale(market, symbols)
    if plugin_import:
        xgboost()  # the plugin's import: the passive wait unless the environment names one
    else:
        import xgboost as _  # noqa: F401  libgomp loads with the environment as given
    used: collections.Counter[int] = collections.Counter()
    resolve = strategy.resolve_threads

    def recording(n: int | str) -> int:
        used[count := resolve(n)] += 1
        return count

    strategy.resolve_threads = recording
    wall, cpu = time.perf_counter(), time.process_time()
    plugin = strategy.XGBoostSignal({"nthread": "auto" if nthread == "auto" else int(nthread)})
    signals = compute_signals(plugin, market)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    digest = hashlib.sha256(signals.to_numpy().tobytes()).hexdigest()[:16]
    print(json.dumps({"wall": wall, "cpu": cpu, "threads": dict(used), "signals": digest}))


def run(name: str, symbols: int) -> dict[str, object]:
    nthread, env = RUNS[name]
    clean = {k: v for k, v in os.environ.items() if k not in OPENMP}
    argv = [sys.executable, __file__, "--child", nthread, "--symbols", str(symbols)]
    if name == "auto":
        argv.append("--plugin-import")
    done = subprocess.run(argv, env={**clean, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{name}: {done.stderr[-600:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=0, help="a generated universe of this many (0: the embedded 44)")
    parser.add_argument("--load", default="0,2", help="busy-loop processes beside each round, comma-separated")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, of {', '.join(RUNS)}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--plugin-import", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.symbols, args.plugin_import)
        return
    names = args.runs.split(",")
    if unknown := [n for n in names if n not in RUNS]:
        parser.error(f"--runs: unknown {', '.join(unknown)}; choose from {', '.join(RUNS)}")
    print(f"{os.cpu_count()} cores, {len(os.sched_getaffinity(0))} usable; {args.symbols or 44} symbols")
    first = None
    for busy in (int(n) for n in args.load.split(",")):
        with load(busy):
            for name in names:
                before = os.getloadavg()[0]
                r = run(name, args.symbols)
                first = first or r["signals"]
                if r["signals"] != first:
                    sys.exit(f"{name}: the signals differ from the first run's ({r['signals']} against {first})")
                print(f"  +{busy} busy loops, load {before:4.1f}  {name:<10} {r['wall']:7.1f} s wall "
                      f"{r['cpu']:6.1f} s CPU  threads per retrain {r['threads']}", flush=True)


if __name__ == "__main__":
    main()
