"""The floor under a whole-market `trade backtest`: plain backtrader advancing the very feeds a
backtest builds, with a strategy that does nothing.

Run as its own process by ``benchmarks/scale.py`` beside each `trade backtest --no-report`, so
that both are measured from outside the same way. It reads the universe's long Parquet file with
pandas (no checks, no corporate actions: what the least a backtrader user must do), makes the
wide price frames, and runs Cerebro as `trade backtest` runs it (``stdstats=False``; preload,
runonce and exactbars left at backtrader's defaults, as ``brokers/backtrader/runner.py`` leaves
them) over the clock feed and one :class:`ArrayFeed` per symbol for the same sessions
(``--start``/``--end``: the run's trading window), with BackBroker and a no-op strategy that runs
from ``prenext`` too (late listings). What remains is backtrader's own cost per feed and session:
the floor under anything a strategy or the execution core adds.

``--loop session``: the same under :class:`SessionCerebro` with the backtest's own host strategy
(:class:`EngineHost`) handing each session to hooks that do nothing — what remains of
backtrader's cost under the session loop `trade backtest` runs: the floor under its engine.

Prints one line of JSON: CPU seconds of the load, the feeds and ``cerebro.run()``, and the
sessions run (a check that the window matched).

    .venv/bin/python benchmarks/scale_floor.py PRICES.parquet --start 2015-07-15 --end 2020-01-10
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace

import backtrader as bt
import pandas as pd

from brokers.backtrader.feeds import clock_feed, datenums, symbol_feeds
from framework.data import FIELDS


class Nothing(bt.Strategy):
    """A strategy that decides nothing, on every session (``prenext`` too, as the host)."""

    sessions = 0

    def prenext(self) -> None:
        self.next()

    def next(self) -> None:
        Nothing.sessions += 1


def _count(_day: pd.Timestamp) -> None:
    Nothing.sessions += 1


def wide(prices: str, start: pd.Timestamp, end: pd.Timestamp) -> SimpleNamespace:
    """The file's bars from ``start`` to ``end`` as wide date × symbol frames (what
    :func:`symbol_feeds` reads of a ``MarketData``)."""
    long = pd.read_parquet(prices, columns=["date", "symbol", *FIELDS])
    long["date"] = pd.to_datetime(long["date"])
    long = long[(long["date"] >= start) & (long["date"] <= end)]
    frames = {f: long.pivot(index="date", columns="symbol", values=f).sort_index() for f in FIELDS}
    close = frames["close"]
    return SimpleNamespace(dates=pd.DatetimeIndex(close.index), symbols=list(close.columns), **frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prices")
    parser.add_argument("--start", type=pd.Timestamp, required=True)
    parser.add_argument("--end", type=pd.Timestamp, required=True)
    parser.add_argument("--loop", choices=["backtrader", "session"], default="backtrader")
    args = parser.parse_args()
    t0 = time.process_time()
    market = wide(args.prices, args.start, args.end)
    t1 = time.process_time()
    if args.loop == "session":  # imported here: the plain floor runs on code without them too
        from brokers.backtrader.host import EngineHost, HostHooks
        from brokers.backtrader.sessions import SessionCerebro
    cerebro = SessionCerebro(stdstats=False) if args.loop == "session" else bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(100_000.0)
    dates = datenums(market.dates)
    cerebro.adddata(clock_feed(market, dates))  # type: ignore[arg-type]
    feeds = symbol_feeds(market, dates)  # type: ignore[arg-type]
    for feed in feeds.values():
        cerebro.adddata(feed)
    del market
    if args.loop == "session":
        cerebro.addstrategy(EngineHost, hooks=HostHooks(_count, lambda _order: None))
    else:
        cerebro.addstrategy(Nothing)
    t2 = time.process_time()
    cerebro.run()
    t3 = time.process_time()
    print(json.dumps({"load": t1 - t0, "feeds": t2 - t1, "run": t3 - t2, "sessions": Nothing.sessions,
                      "symbols": len(feeds)}))


if __name__ == "__main__":
    main()
