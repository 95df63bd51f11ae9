"""Throughput of `trade backtest` against plain backtrader, in one run, on the embedded data.

(a) ours: the execution core on backtrader with the numpy feed (signals, sizing, risk, order
    manager, journal), exactly what `trade backtest` runs;
(b) plain: a bare backtrader strategy fed by ``bt.feeds.PandasData`` that replays the very
    target quantities (a) decided, with the same costs.
Prints bars/s of each (bars = sessions × symbols), the ratio, and peak memory. Not a test.

    .venv/bin/python benchmarks/backtest_throughput.py [--strategy momentum] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import backtrader as bt
import pandas as pd

from brokers.backtrader.commission import configure_broker
from brokers.backtrader.feeds import symbol_feed
from brokers.backtrader.runner import run_backtest
from framework.config import load_settings
from framework.data import MarketData, load_market_data
from framework.journal import Journal
from framework.registry import get_strategy
from framework.strategy import compute_signals


def targets_from_journal(path: Path) -> dict[pd.Timestamp, dict[str, float]]:
    """Signed target quantity per symbol after each decision date, from (a)'s orders."""
    orders = Journal(path).table("orders")
    orders["date"] = (
        pd.to_datetime(orders["created_at"]).dt.tz_convert("America/New_York").dt.normalize().dt.tz_localize(None)
    )
    orders["signed"] = orders["qty"].astype(float) * orders["side"].map({"buy": 1.0, "sell": -1.0})
    held: dict[str, float] = {}
    plan: dict[pd.Timestamp, dict[str, float]] = {}
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


def run_plain(market: MarketData, start: pd.Timestamp, plan: dict, settings, numpy_feed: bool = False) -> float:
    """The bare replay; ``numpy_feed`` swaps PandasData for our feed (isolates the feed)."""
    t0 = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)
    configure_broker(cerebro.broker, settings.backtest)
    traded = market.between(start, market.dates[-1])
    for symbol in traded.symbols:
        if numpy_feed:
            cerebro.adddata(symbol_feed(traded, symbol), name=symbol)
            continue
        frame = pd.DataFrame(
            {f: getattr(traded, f)[symbol] for f in ("open", "high", "low", "close", "volume")}
        ).dropna()
        cerebro.adddata(bt.feeds.PandasData(dataname=frame), name=symbol)
    cerebro.addstrategy(Replay, plan=plan)
    cerebro.run()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--strategy", default=None, help="plugin (default: the configured one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    overrides = {"strategy": {"name": args.strategy}} if args.strategy else {}
    settings = load_settings([], overrides)
    market = load_market_data()
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)

    t0 = time.perf_counter()
    compute_signals(plugin, market)
    signal_seconds = time.perf_counter() - t0

    ours, plain, feed_only = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            t0 = time.perf_counter()
            result = run_backtest(market, plugin, settings, Path(tmp) / f"j{i}.sqlite")
            ours.append(time.perf_counter() - t0)
        plan = targets_from_journal(result.journal_path)
        for _ in range(args.repeat):
            plain.append(run_plain(market, result.start, plan, settings))
            feed_only.append(run_plain(market, result.start, plan, settings, numpy_feed=True))
    bars = result.sessions * len(market.symbols)
    best_ours, best_plain = min(ours), min(plain)
    print(f"strategy {plugin.name}: {result.sessions} sessions x {len(market.symbols)} symbols = {bars} bars")
    print(f"signal computation (inside (a)):   {signal_seconds:6.2f} s")
    best_feed = min(feed_only)
    for label, seconds in (("(a) trade backtest engine + numpy feed", best_ours),
                           ("(b) plain backtrader + PandasData", best_plain),
                           ("(c) plain backtrader + our numpy feed", best_feed)):
        print(f"{label:<39} {seconds:6.2f} s  {bars / seconds:9.0f} bars/s  (best of {args.repeat})")
    print(f"ratio (a)/(b) throughput: {best_plain / best_ours:.2f}x   (the whole execution core vs a bare replay)")
    print(f"ratio (c)/(b) throughput: {best_plain / best_feed:.2f}x   (numpy feed vs PandasData, same replay)")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
