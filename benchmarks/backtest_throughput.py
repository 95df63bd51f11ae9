"""Throughput of `trade backtest` against plain backtrader, in one run, on the embedded data.

(a) ours: the execution core on backtrader exactly as `trade backtest` runs it (numpy feed,
    signal processing, sizing, risk, order manager, SQLite journal), given the strategy's
    signals: like (b), it is handed the decisions' inputs and timed on executing them;
(b) plain: a bare backtrader strategy fed by ``bt.feeds.PandasData`` that replays the very
    target quantities (a) decided, with the same costs and no observers (``stdstats=False``);
(c) the same bare replay on our numpy feed (isolates the feed).
Then the whole sample backtest once, the strategy's own signal computation included.

Runs are interleaved (a, b, c, a, b, c, ...) so that a noisy machine slows all three alike; the
best of ``--repeat`` is reported, with the median beside it. bars = sessions x symbols.
Prints peak memory. A measurement, not a test: nothing here asserts a speed.

    .venv/bin/python benchmarks/backtest_throughput.py [--strategy momentum] [--repeat 5]
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
from pathlib import Path

import backtrader as bt
import pandas as pd

from brokers.backtrader.commission import configure_broker
from brokers.backtrader.feeds import symbol_feeds
from brokers.backtrader.runner import BacktestResult, run_backtest
from framework.config import Settings, load_settings
from framework.data import MarketData, load_market_data
from framework.journal import Journal
from framework.registry import get_strategy
from framework.strategy import compute_signals
from framework.venue import venue_from_config

Plan = dict[pd.Timestamp, dict[str, float]]


def targets_from_journal(path: Path) -> Plan:
    """Signed target quantity per symbol after each decision date, from (a)'s orders."""
    orders = Journal(path).table("orders")
    orders["date"] = (
        pd.to_datetime(orders["created_at"]).dt.tz_convert("America/New_York").dt.normalize().dt.tz_localize(None)
    )
    orders["signed"] = orders["qty"].astype(float) * orders["side"].map({"buy": 1.0, "sell": -1.0})
    held: dict[str, float] = {}
    plan: Plan = {}
    for date, group in orders.groupby("date", sort=True):
        for symbol, qty in group.groupby("symbol")["signed"].sum().items():
            held[symbol] = held.get(symbol, 0.0) + qty
        plan[date] = {s: held[s] for s in group["symbol"].unique()}
    return plan


class Replay(bt.Strategy):
    params = (("plan", None),)

    def next(self) -> None:
        today = pd.Timestamp(bt.num2date(self.datas[0].datetime[0]).date())
        for symbol, target in (self.p.plan.get(today) or {}).items():
            self.order_target_size(data=self.getdatabyname(symbol), target=target)


def run_plain(market: MarketData, start: pd.Timestamp, plan: Plan, settings: Settings, numpy_feed: bool) -> None:
    """The bare replay; ``numpy_feed`` swaps PandasData for our feed (isolates the feed)."""
    cerebro = bt.Cerebro(stdstats=False)
    cfg = settings.backtest
    configure_broker(cerebro.broker, venue_from_config(settings.venue), cfg.cash, cfg.volume_cap)
    traded = market.between(start, market.dates[-1])
    if numpy_feed:
        feeds = symbol_feeds(traded)
    else:
        fields = ("open", "high", "low", "close", "volume")
        feeds = {
            symbol: bt.feeds.PandasData(dataname=pd.DataFrame({f: getattr(traded, f)[symbol] for f in fields}).dropna())
            for symbol in traded.symbols
        }
    for symbol, feed in feeds.items():
        cerebro.adddata(feed, name=symbol)
    cerebro.addstrategy(Replay, plan=plan)
    cerebro.run()


def timed(fn: Callable[[], object]) -> float:
    gc.collect()  # each run starts from a clean heap: no run pays for the previous one's garbage
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--strategy", default=None, help="plugin (default: the configured one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    overrides = {"strategy": {"name": args.strategy}} if args.strategy else {}
    settings = load_settings([], overrides)
    market = load_market_data()
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)

    t0 = time.perf_counter()
    signals = compute_signals(plugin, market)
    signal_seconds = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        runs: list[BacktestResult] = []

        def ours(i: int) -> None:
            runs.append(run_backtest(market, plugin, settings, Path(tmp) / f"a{i}.sqlite", signals=signals))

        ours(-1)  # warm-up, and the plan the plain replays follow
        plan = targets_from_journal(runs[0].journal_path)
        start = runs[0].start
        times: dict[str, list[float]] = {"a": [], "b": [], "c": []}
        for i in range(args.repeat):
            times["a"].append(timed(lambda i=i: ours(i)))
            times["b"].append(timed(lambda: run_plain(market, start, plan, settings, numpy_feed=False)))
            times["c"].append(timed(lambda: run_plain(market, start, plan, settings, numpy_feed=True)))
        whole = timed(lambda: run_backtest(market, plugin, settings, Path(tmp) / "whole.sqlite"))

    result = runs[0]
    bars = result.sessions * len(market.symbols)
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"strategy {plugin.name}: {result.sessions} sessions x {len(market.symbols)} symbols = {bars} bars, "
        f"{len(plan)} decision days replayed"
    )
    labels = {
        "a": "(a) trade backtest engine + numpy feed",
        "b": "(b) plain backtrader + PandasData",
        "c": "(c) plain backtrader + our numpy feed",
    }
    for key, label in labels.items():
        print(
            f"{label:<40} {best[key]:6.3f} s  {bars / best[key]:8.0f} bars/s   (best of {args.repeat}; "
            f"median {median[key]:.3f} s)"
        )
    print(
        f"ratio (a)/(b) throughput: {best['b'] / best['a']:.2f}x best, {median['b'] / median['a']:.2f}x median"
        "   (target >= 2x)"
    )
    print(f"ratio (c)/(b) throughput: {best['b'] / best['c']:.2f}x best   (numpy feed vs PandasData, same replay)")
    print(f"signal computation ({plugin.name}, whole sample): {signal_seconds:6.2f} s")
    print(f"whole sample backtest incl. signal computation: {whole:6.2f} s   (target: well under a minute)")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
