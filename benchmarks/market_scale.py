"""How a momentum backtest's time and peak memory grow with the universe: 44 → ~500 → ~5,000
symbols × the embedded sample's five years, generated from the embedded data (perturbed renamed
copies with late listings and delistings, ``workloads.widened(with_listings(...))``: the same
universe every run).

Each size runs in a fresh process (peak memory is the process's high-water mark, data
generation included; the resident size after generating is printed beside it), once on the
backtrader path (`trade backtest` without reports) and once on the lean path. A measurement, not
a test.

    .venv/bin/python benchmarks/market_scale.py [--copies 1,11,114] [--paths backtrader,lean]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path

from workloads import widened, with_listings

from framework.config import Settings
from framework.data import load_configured


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(copies: int, path: str) -> tuple[int, int, float, float, float]:
    """(symbols, rows, seconds of the backtest, MiB resident after generating, peak MiB)."""
    from brokers.backtrader.runner import run_backtest
    from brokers.lean import run_lean_backtest
    from framework.registry import get_strategy

    settings = Settings.model_validate({"strategy": {"name": "momentum"}})
    market = widened(with_listings(load_configured(settings.data)), copies=copies)
    generated = _rss_mib()
    plugin = get_strategy("momentum")(settings.strategy.params)
    run = run_backtest if path == "backtrader" else run_lean_backtest
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run(market, plugin, settings, Path(tmp) / "journal.sqlite")
        seconds = time.perf_counter() - started
    rows = int(market.close.notna().to_numpy().sum())
    return len(market.symbols), rows, seconds, generated, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,11,114")
    parser.add_argument("--paths", default="backtrader,lean")
    args = parser.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"momentum backtest, no reports; {os.cpu_count()} cores, load average {load}", flush=True)
    context = mp.get_context("spawn")
    for copies in (int(c) for c in args.copies.split(",")):
        for path in args.paths.split(","):
            with context.Pool(1) as pool:
                symbols, rows, seconds, generated, peak = pool.apply(measure, (copies, path))
            print(f"  {symbols:>5} symbols, {rows / 1e6:.2f} M rows, {path:<10}: {seconds:7.1f} s, "
                  f"{generated:6.0f} MiB after generating, peak {peak:6.0f} MiB", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
