"""Throughput of `trade backtest` against plain backtrader making the very same trades.

For each workload:
(a) ours: the execution core on backtrader exactly as `trade backtest` runs it (numpy feed,
    signal processing, sizing, risk, the venue's rules, order manager, SQLite journal), given
    the strategy's signals (the signal computation is timed apart);
(b) plain backtrader + ``bt.feeds.PandasData`` replaying (a)'s filled orders
    (``benchmarks/plain_replay.py``: next-open fills, the same costs, margin, splits);
(c) the same replay on ``bt.feeds.PandasDirectData`` (stock backtrader at its fastest);
(z) ours with no signals at all (no orders: the per-bar cost alone), so that
    ((a) - (z)) / orders is what one order costs us all-in;
(d), (y) the (c) replay on the engine's own broker (``SimBroker``), with and without its orders:
    ((d) - (y)) / orders is backtrader's own order handling (its ``Order``, submission, execution,
    notifications, valuing what is held) as the engine pays it. With (z), it gives the floor each
    target leaves for everything else per order (sizing, risk, the venue's rules, the order
    manager, the journal); when that is below zero the target is out of reach on backtrader's
    broker, whatever the engine does.
Before any time is printed, (b) and (c) are checked to have made the same fills (day, symbol,
quantity, price) and ended on the same value as (a), to 1e-6 relative: otherwise the script
stops with the difference.

Workloads: momentum and XGBoost on the embedded data (44 symbols); momentum with late listings
and delistings; momentum on ~480 symbols (renamed copies with perturbed prices), holding its 40
strongest (``signals.top_n``). Runs are
interleaved (a, b, c, z, a, b, ...) so that a noisy machine slows all alike; best and median
of ``--repeat``. bars = sessions x symbols. A measurement, not a test.

    .venv/bin/python benchmarks/backtest_throughput.py [--workload momentum ...] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from plain_replay import Trades, check_equal, fills_of, final_value, run_plain, trades_of
from workloads import widened, with_listings

from brokers.backtrader.runner import run_backtest
from framework.config import Settings, load_settings
from framework.data import MarketData, load_market_data
from framework.registry import get_strategy
from framework.strategy import Strategy, compute_signals
from framework.trading_window import trading_window


@dataclass(frozen=True)
class Workload:
    name: str
    strategy: str
    data: Callable[[MarketData], MarketData]
    repeat_scale: float = 1.0  # the wide one runs fewer times
    overrides: dict[str, object] = field(default_factory=dict)
    floor: bool = True  # measure (d) and (y); the wide one meets its targets and skips them


WORKLOADS = {
    "momentum": Workload("momentum", "momentum", lambda m: m),
    "xgboost": Workload("xgboost", "xgboost_signal", lambda m: m),
    "listings": Workload("listings", "momentum", with_listings),
    # 484 symbols: spread over all of them, every weight would sit under the rebalance band and
    # hardly any order would go out; the 40 strongest are held, as a wide universe is traded.
    "wide": Workload("wide", "momentum", widened, 0.6, {"signals": {"top_n": 40}}, floor=False),
}


def timed(fn: Callable[[], object]) -> float:
    gc.collect()  # each run starts from a clean heap: no run pays for the previous one's garbage
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@dataclass(frozen=True)
class Outcome:
    name: str
    strategy: str
    sessions: int
    symbols: int
    orders: int
    fills: int
    best: dict[str, float]
    median: dict[str, float]
    runs: int
    signal_seconds: float


def measure(work: Workload, market: MarketData, repeat: int, tmp: Path) -> Outcome:
    settings: Settings = load_settings([], {"strategy": {"name": work.strategy}, **work.overrides})
    plugin: Strategy = get_strategy(settings.strategy.name)(settings.strategy.params)
    t0 = time.perf_counter()
    signals = compute_signals(plugin, market)
    signal_seconds = time.perf_counter() - t0
    empty = pd.DataFrame(np.nan, index=signals.index, columns=signals.columns)
    start, end = trading_window(market, plugin, settings)
    traded = market.truncate(end).between(start, end)
    cash, slippage = settings.backtest.cash, settings.venue.slippage
    if slippage.mode != "percent" or settings.backtest.volume_cap is not None:
        raise SystemExit("the replay reproduces percent slippage without a volume cap only")
    n = 0

    def ours(sig: pd.DataFrame) -> Path:
        nonlocal n
        n += 1
        return run_backtest(market, plugin, settings, tmp / f"{work.name}-{n}.sqlite", signals=sig).journal_path

    first = ours(signals)  # warm-up, and the trades the replays make
    trades = trades_of(first, traded.dates)
    nothing = Trades({}, [], cash, 0)
    checks = [(False, False, "PandasData"), (True, False, "PandasDirectData")]
    for direct, lean, label in checks + ([(True, True, "PandasDirectData on SimBroker")] if work.floor else []):
        cerebro = run_plain(traded, trades, cash, slippage.value, direct, lean)
        check_equal(trades, fills_of(cerebro), final_value(cerebro, cash), f"{work.name} / {label}")
    lean = " (also on SimBroker)" if work.floor else ""
    print(
        f"{work.name}: plain backtrader + PandasData and + PandasDirectData{lean} "
        f"made the same {len(trades.fills)} fills and ended on the same value as ours (${trades.final_value:,.2f}), "
        "to 1e-6",
        flush=True,
    )
    runs = {
        "a": lambda: ours(signals),
        "b": lambda: run_plain(traded, trades, cash, slippage.value, direct=False),
        "c": lambda: run_plain(traded, trades, cash, slippage.value, direct=True),
        "z": lambda: ours(empty),
    }
    if work.floor:
        runs["d"] = lambda: run_plain(traded, trades, cash, slippage.value, direct=True, lean=True)
        runs["y"] = lambda: run_plain(traded, nothing, cash, slippage.value, direct=True, lean=True)
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeat):
        for key, fn in runs.items():
            times[key].append(timed(fn))
    return Outcome(
        work.name, plugin.name, len(traded.dates), len(market.symbols), trades.orders, len(trades.fills),
        {k: min(v) for k, v in times.items()}, {k: statistics.median(v) for k, v in times.items()}, repeat,
        signal_seconds,
    )


def report(o: Outcome) -> None:
    bars = o.sessions * o.symbols
    print(
        f"\n== {o.name}: {o.strategy}, {o.sessions} sessions x {o.symbols} symbols = {bars} bars, "
        f"{o.orders} orders, {o.fills} fills (best of {o.runs}; median beside)"
    )
    labels = {
        "a": "(a) trade backtest engine",
        "b": "(b) plain backtrader + PandasData",
        "c": "(c) plain backtrader + PandasDirectData",
        "z": "(z) trade backtest engine, no orders",
        "d": "(d) (c) on the engine's SimBroker",
        "y": "(y) (d) with no orders",
    }
    for key, label in ((k, v) for k, v in labels.items() if k in o.best):
        print(f"  {label:<42} {o.best[key]:7.3f} s {bars / o.best[key]:9.0f} bars/s   (median {o.median[key]:.3f} s)")
    for key, name, target in (("b", "PandasData", 3.0), ("c", "PandasDirectData", 2.0)):
        ratio, med = o.best[key] / o.best["a"], o.median[key] / o.median["a"]
        verdict = "met" if ratio >= target else "NOT met"
        print(f"  ratio vs {name:<17} {ratio:5.2f}x best, {med:5.2f}x median   (target >= {target:g}x: {verdict})")
    per_order = (o.best["a"] - o.best["z"]) / max(o.orders, 1) * 1e6
    per_bar = o.best["z"] / o.sessions * 1e6
    print(f"  ours per order, all-in: {per_order:5.0f} us   per session with no orders: {per_bar:6.0f} us")
    if "d" in o.best:
        floor(o)
    print(f"  signal computation ({o.strategy}, whole sample, training included): {o.signal_seconds:6.2f} s")


def floor(o: Outcome) -> None:
    """What each target leaves per order once backtrader's own order handling is paid."""
    handling = (o.best["d"] - o.best["y"]) / max(o.orders, 1) * 1e6
    print(f"  backtrader's own order handling on our broker, ((d) - (y)) / orders: {handling:5.0f} us per order")
    for key, name, target in (("b", "PandasData", 3.0), ("c", "PandasDirectData", 2.0)):
        allowed = o.best[key] / target
        per_order = (allowed - o.best["z"]) / max(o.orders, 1) * 1e6
        print(
            f"  {target:g}x {name:<17} allows {allowed:6.3f} s = (z) + {per_order:4.0f} us per order: "
            f"{per_order - handling:5.0f} us per order left beside backtrader's own"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), help="default: all four")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    base = load_market_data()
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workload or list(WORKLOADS):
            work = WORKLOADS[name]
            repeat = max(2, round(args.repeat * work.repeat_scale))
            outcomes.append(measure(work, work.data(base), repeat, Path(tmp)))
    for outcome in outcomes:
        report(outcome)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS of this process): {peak:.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
