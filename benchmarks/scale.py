"""Whole-market scale: time and peak memory of `trade backtest --no-report` against the number
of symbols (44 → 500 → 5,000 by default), so that how cost grows is visible.

Each universe is made from the embedded data (``workloads.market_scale``: perturbed renamed
copies, a tenth of the symbols listed part-way through and a tenth delisted early), written as
a user's long Parquet file (``date, symbol, OHLCV, dividend, split_ratio``) with its sectors,
and backtested by a fresh ``trade backtest`` process: momentum holding its 40 strongest
(``signals.top_n: 40``, as a wide universe is traded). Measured from outside: wall seconds of
the process (imports and loading included) and its peak memory (max RSS, from ``wait4``).
Memory figures hold on a loaded machine; time figures do not (``uptime`` is printed beside).
A measurement, not a test.

    .venv/bin/python benchmarks/scale.py [--symbols 44 500 5000] [--files DIR]
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

CONFIG = "strategy:\n  name: momentum\nsignals:\n  top_n: 40\n"


def files(symbols: int, folder: Path) -> tuple[Path, Path]:
    """The universe's price and sector files in ``folder`` (made once, reused when present)."""
    prices, sectors = folder / f"scale-{symbols}.parquet", folder / f"scale-{symbols}-sectors.csv"
    if not prices.exists():
        market = market_scale(load_market_data(), symbols)
        market.sectors.rename_axis("symbol").reset_index().to_csv(sectors, index=False)
        to_long(market).to_parquet(prices, index=False)
    return prices, sectors


def backtest(prices: Path, sectors: Path, folder: Path) -> tuple[float, float, str]:
    """Seconds and peak GiB of one `trade backtest --no-report` process, and its last line."""
    config = folder / "scale.yaml"
    config.write_text(CONFIG)
    out = Path(tempfile.mkdtemp(dir=folder)) / "run"
    trade = Path(sys.executable).with_name("trade")
    argv = [str(trade), "backtest", "--data", str(prices), "--sectors", str(sectors), "--config", str(config),
            "--no-report", "--out", str(out)]
    t0 = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ,
                             "TRADE_PROGRESS": "plain"})
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    stdout, stderr = child.stdout.read().decode(), child.stderr.read().decode()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"trade backtest on {prices.name} failed: {stderr[-600:]}")
    last = (stdout.strip().splitlines() or [""])[-1]
    return seconds, usage.ru_maxrss / 2**20, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, nargs="+", default=[44, 500, 5000])
    parser.add_argument("--files", type=Path, help="keep the generated universes here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.files or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores", flush=True)
        print(f"{'symbols':>8} {'rows':>10} {'seconds':>8} {'peak GiB':>9}", flush=True)
        for n in args.symbols:
            prices, sectors = files(n, folder)
            rows = pq.ParquetFile(prices).metadata.num_rows
            seconds, peak, _ = backtest(prices, sectors, Path(tmp))
            print(f"{n:>8} {rows:>10,} {seconds:>8.1f} {peak:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
