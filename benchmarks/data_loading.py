"""Load + validate 500 symbols × 5 years of synthesised daily bars (the budget: under 10 s).

The file is synthesised once into a temporary folder (a random walk per symbol on the XNYS
sessions of 2015-2019, with ``adj_close`` carrying quarterly dividends), written as CSV and as
Parquet, then loaded with :func:`framework.data.load_market_data` (read, every check, the
corporate actions, the wide frames) ``--repeat`` times each; best and median are reported.
A measurement, not a test: nothing here asserts a speed.

    .venv/bin/python benchmarks/data_loading.py [--symbols 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from framework.data import load_market_data
from framework.data.sessions import sessions


def synthesise(symbols: int, seed: int = 1) -> pd.DataFrame:
    days = sessions("XNYS", pd.Timestamp("2015-01-02"), pd.Timestamp("2019-12-31"))
    rng = np.random.default_rng(seed)
    n, m = len(days), symbols
    close = np.round(20 + 80 * rng.random(m) * np.exp(np.cumsum(rng.normal(0.0003, 0.015, (n, m)), axis=0)), 2)
    open_ = np.round(close * np.exp(rng.normal(0, 0.004, (n, m))), 2)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0.001, 0.01, (n, m))), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0.001, 0.01, (n, m))), 2)
    volume = rng.integers(100_000, 5_000_000, (n, m))
    factor = np.ones((n, m))  # a dividend of 0.5% every 63 sessions, offset per symbol
    for j in range(m):
        for ex in range(5 + j % 63, n, 63):
            factor[:ex, j] *= 0.995
    names = np.array([f"S{j:03d}" for j in range(m)])
    return pd.DataFrame({
        "date": np.repeat(days.strftime("%Y-%m-%d"), m), "symbol": np.tile(names, n),
        "open": open_.ravel(), "high": high.ravel(), "low": low.ravel(), "close": close.ravel(),
        "adj_close": np.round(close * factor, 4).ravel(), "volume": volume.ravel(),
    })


def timed(path: Path, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        market = load_market_data(path)
        seconds.append(time.perf_counter() - started)
    assert market.report is not None and not market.report.errors
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = synthesise(args.symbols)
    sessions("XNYS", pd.Timestamp("2015-01-02"), pd.Timestamp("2019-12-31"))  # calendar built once, like a CLI run
    with tempfile.TemporaryDirectory() as folder:
        csv, parquet = Path(folder) / "bars.csv", Path(folder) / "bars.parquet"
        frame.to_csv(csv, index=False)
        frame.to_parquet(parquet, index=False)
        print(f"{args.symbols} symbols x {frame['date'].nunique()} sessions = {len(frame):,} rows "
              f"(CSV {csv.stat().st_size / 1e6:.0f} MB, Parquet {parquet.stat().st_size / 1e6:.0f} MB)")
        for path in (csv, parquet):
            seconds = timed(path, args.repeat)
            print(f"  load + validate {path.suffix[1:]:<8} best {min(seconds):.2f} s, "
                  f"median {statistics.median(seconds):.2f} s (budget 10 s)")


if __name__ == "__main__":
    main()
