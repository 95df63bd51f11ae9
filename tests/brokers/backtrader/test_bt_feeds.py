"""The numpy feed: bulk preloading builds exactly what backtrader's per-row loading builds."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest
from bt_scenarios import market

from brokers.backtrader.feeds import ArrayFeed, clock_feed, datenums, symbol_feeds

LINES = ("datetime", "open", "high", "low", "close", "volume", "openinterest")


def _late_and_early() -> object:
    """BBB delists after the sixth session of eight."""
    return market({"AAA": [float(100 + i) for i in range(8)], "BBB": [50.0, 51, 52, 53, 54, 55]})


class PerRow(ArrayFeed):
    """The same feed on backtrader's own path: one ``_load`` per row."""

    def _bulk_ok(self) -> bool:
        return False


def _preloaded(feed: ArrayFeed) -> dict[str, list[float]]:
    """The feed's line buffers after a real Cerebro run (preload on, the default)."""
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed)
    cerebro.addstrategy(bt.Strategy)
    cerebro.run()
    return {name: list(getattr(feed.lines, name).array) for name in LINES} | {"buflen": [feed.buflen()]}


def _per_row(feed: ArrayFeed) -> ArrayFeed:
    return PerRow(arrays=feed.p.arrays, name=feed._name, timeframe=bt.TimeFrame.Days)


@pytest.mark.parametrize("symbol", ["AAA", "BBB"])
def test_bulk_preload_equals_per_row_loading(symbol: str) -> None:
    mkt = _late_and_early()
    bulk = _preloaded(symbol_feeds(mkt)[symbol])
    rows = _preloaded(_per_row(symbol_feeds(mkt)[symbol]))
    assert bulk == rows
    assert bulk["buflen"] == [int(mkt.close[symbol].notna().sum())]


def test_feed_holds_only_traded_sessions_and_clock_holds_all() -> None:
    mkt = _late_and_early()
    feed, clock = symbol_feeds(mkt)["BBB"], clock_feed(mkt)
    got = _preloaded(feed)
    assert [bt.num2date(x).date() for x in got["datetime"]] == [d.date() for d in mkt.dates[:6]]
    assert got["close"] == [50.0, 51, 52, 53, 54, 55]
    assert len(_preloaded(clock)["datetime"]) == len(mkt.dates)


def test_one_feed_per_traded_symbol_with_its_own_columns() -> None:
    mkt = market({"AAA": [10.0, 11.0, 12.0], "BBB": [20.0, 21.0], "ZZZ": []}, opens={"AAA": [9.0, 10.5, 11.5]})
    feeds = symbol_feeds(mkt)
    assert list(feeds) == ["AAA", "BBB"]  # never traded: no feed
    for symbol, feed in feeds.items():
        traded = mkt.close[symbol].notna()
        for field in ("open", "high", "low", "close", "volume"):
            assert feed.p.arrays[field].tolist() == getattr(mkt, field)[symbol][traded].tolist()


def test_date_numbers_are_backtraders() -> None:
    dates = pd.DatetimeIndex(["1999-12-31", "2000-02-29", "2015-01-12", "2020-01-10", "2038-01-19 00:00"])
    assert datenums(dates).tolist() == [bt.date2num(d.to_pydatetime()) for d in dates]


def test_filters_fall_back_to_per_row_loading() -> None:
    """A feed given date bounds is not bulk-safe: backtrader's own loading drops the rows."""
    mkt = _late_and_early()
    feed = symbol_feeds(mkt)["AAA"]
    feed.p.todate = mkt.dates[3].to_pydatetime()
    assert feed.p.todate is not None
    got = _preloaded(feed)
    assert len(got["close"]) == 4
    assert not np.isnan(got["close"]).any()


def test_run_replays_the_bars_through_cerebro() -> None:
    """A plain strategy on the feed sees every bar's OHLC in order (runonce and next modes)."""
    mkt = _late_and_early()
    seen: dict[bool, list[tuple[pd.Timestamp, float, float]]] = {}

    class Record(bt.Strategy):
        def next(self) -> None:
            d = self.datas[0]
            self.seen.append((pd.Timestamp(bt.num2date(d.datetime[0]).date()), d.open[0], d.close[0]))

    for runonce in (True, False):
        cerebro = bt.Cerebro(stdstats=False, runonce=runonce)
        cerebro.adddata(symbol_feeds(mkt)["AAA"])
        Record.seen = []
        cerebro.addstrategy(Record)
        cerebro.run()
        seen[runonce] = Record.seen
    assert seen[True] == seen[False]
    assert [c for _, _, c in seen[True]] == mkt.close["AAA"].tolist()


def test_a_preloaded_feed_keeps_its_bars_once_in_its_lines() -> None:
    """After the bulk preload the given arrays are dropped and the bar times are read from the
    datetime line itself (issue 31: a whole market's bars would otherwise sit in memory three times)."""
    feed = symbol_feeds(_late_and_early())["AAA"]
    got = _preloaded(feed)
    assert feed.p.arrays is None
    assert feed._dts is feed.lines.datetime.array
    assert list(feed._dts) == got["datetime"]

