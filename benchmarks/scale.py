"""Whole-market scale: time and peak memory of `trade backtest` against the number of symbols
(44 → 500 → 5,000 by default), so that how cost grows is visible.

Each universe is made from the embedded data (``workloads.market_scale``: perturbed renamed
copies, a tenth of the symbols listed part-way through and a tenth delisted early), written as
a user's long Parquet file (``date, symbol, OHLCV, dividend, split_ratio``) with its sectors,
and backtested by a fresh ``trade backtest`` process holding its 40 strongest
(``signals.top_n: 40``, as a wide universe is traded): momentum without reports by default;
``--strategy xgboost_signal --reports`` is the walk-forward with its tear sheet (issue 31: ≤ 45 s
at 500 symbols), ``--nthread`` its xgboost threads (a number or ``auto``). Measured from outside:
wall seconds of the process (imports and loading included), its CPU seconds (user + system: what
a busy machine does not inflate as much) and its peak memory (max RSS), all from ``wait4``.
Memory and CPU figures hold on a loaded machine; wall seconds do not (the load is printed beside).
A measurement, not a test.

    .venv/bin/python benchmarks/scale.py [--symbols 44 500 5000] [--files DIR]
        [--strategy momentum|xgboost_signal] [--reports] [--nthread 1|auto]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from workloads import market_scale, to_long

from framework.data import load_market_data


def config(strategy: str, nthread: str | None) -> str:
    """The run's YAML: the strategy (with its xgboost threads, if given), holding its 40 strongest."""
    params = f"  params:\n    nthread: {nthread}\n" if nthread is not None else ""
    return f"strategy:\n  name: {strategy}\n{params}signals:\n  top_n: 40\n"


def files(symbols: int, folder: Path) -> tuple[Path, Path]:
    """The universe's price and sector files in ``folder`` (made once, reused when present)."""
    prices, sectors = folder / f"scale-{symbols}.parquet", folder / f"scale-{symbols}-sectors.csv"
    if not prices.exists():
        market = market_scale(load_market_data(), symbols)
        market.sectors.rename_axis("symbol").reset_index().to_csv(sectors, index=False)
        to_long(market).to_parquet(prices, index=False)
    return prices, sectors


def backtest(prices: Path, sectors: Path, folder: Path, yaml: str, reports: bool) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak GiB of one `trade backtest` process, and its last line."""
    path = folder / "scale.yaml"
    path.write_text(yaml)
    out = Path(tempfile.mkdtemp(dir=folder)) / "run"
    trade = Path(sys.executable).with_name("trade")
    argv = [str(trade), "backtest", "--data", str(prices), "--sectors", str(sectors), "--config", str(path),
            "--out", str(out), *([] if reports else ["--no-report"])]
    t0 = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ,
                             "TRADE_PROGRESS": "plain"})
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    stdout, stderr = child.stdout.read().decode(), child.stderr.read().decode()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"trade backtest on {prices.name} failed: {stderr[-600:]}")
    last = (stdout.strip().splitlines() or [""])[-1]
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 2**20, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, nargs="+", default=[44, 500, 5000])
    parser.add_argument("--files", type=Path, help="keep the generated universes here (default: a temporary folder)")
    parser.add_argument("--strategy", default="momentum", choices=["momentum", "xgboost_signal"])
    parser.add_argument("--reports", action="store_true", help="with the tear sheet and reports (default: --no-report)")
    parser.add_argument("--nthread", help="xgboost_signal: its nthread (default: the shipped configuration's)")
    args = parser.parse_args()
    if args.nthread is not None and args.strategy != "xgboost_signal":
        parser.error("--nthread is a parameter of --strategy xgboost_signal")
    yaml = config(args.strategy, args.nthread)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.files or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{args.strategy}, {'with' if args.reports else 'no'} reports"
              f"{f', nthread {args.nthread}' if args.nthread else ''}; {os.cpu_count()} cores", flush=True)
        print(f"{'symbols':>8} {'rows':>10} {'seconds':>8} {'CPU s':>7} {'peak GiB':>9} {'load':>11}", flush=True)
        for n in args.symbols:
            prices, sectors = files(n, folder)
            rows = pq.ParquetFile(prices).metadata.num_rows
            before = os.getloadavg()[0]
            seconds, cpu, peak, _ = backtest(prices, sectors, Path(tmp), yaml, args.reports)
            load = f"{before:.1f}-{os.getloadavg()[0]:.1f}"
            print(f"{n:>8} {rows:>10,} {seconds:>8.1f} {cpu:>7.1f} {peak:>9.2f} {load:>11}", flush=True)


if __name__ == "__main__":
    main()
