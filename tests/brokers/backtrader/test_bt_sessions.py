"""The session loop: SessionCerebro runs the very sequence backtrader's own run-once loop runs."""

from __future__ import annotations

from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd
import pytest
from bt_scenarios import fixed, market, settings

import brokers.backtrader.runner as runner
from brokers.backtrader.feeds import ArrayFeed, clock_feed, symbol_feeds
from brokers.backtrader.host import EngineHost, HostHooks
from brokers.backtrader.sessions import Schedule, SessionCerebro, SessionLine
from framework.journal import Journal

NAN = float("nan")


def _listings() -> Any:
    """CCC lists on the third session, BBB delists after the fifth, DDD misses the fourth."""
    return market({
        "AAA": [float(100 + i) for i in range(8)],
        "BBB": [50.0, 51, 52, 53, 54],
        "CCC": [NAN, NAN, 30.0, 31, 32, 33, 34, 35],
        "DDD": [70.0, 71, 72, NAN, 74, 75, 76, 77],
    })


class _PerRow(ArrayFeed):
    """The same feed loaded one row at a time (not bulk: no schedule can be made of it)."""

    def _bulk_ok(self) -> bool:
        return False


def _record(cerebro: bt.Cerebro, mkt: Any, per_row: bool = False) -> list[tuple[Any, ...]]:
    """What the host sees each session under ``cerebro``'s loop: the call backtrader made
    (prenext, nextstart or next), the min-period status, each feed's length and close."""
    cerebro.adddata(clock_feed(mkt))
    feeds = symbol_feeds(mkt)
    for feed in feeds.values():
        cerebro.adddata(_PerRow(arrays=feed.p.arrays, name=feed._name, timeframe=bt.TimeFrame.Days)
                        if per_row else feed)
    seen: list[tuple[Any, ...]] = []
    calls: list[str] = []

    class Recorder(EngineHost):
        def prenext(self) -> None:
            calls.append("prenext")
            super().prenext()

        def nextstart(self) -> None:
            calls.append("nextstart")
            super().nextstart()

        def on(self, day: pd.Timestamp) -> None:
            status = self._minperstatus
            assert bt.Strategy._getminperstatus(self) == status  # backtrader's own computation agrees
            closes = tuple(d.close[0] if len(d) else None for d in self.datas)
            seen.append((day, calls[-1] if calls else "next", status, tuple(len(d) for d in self.datas), closes))
            calls.clear()

    hosts: list[Recorder] = []

    class Host(Recorder):
        def start(self) -> None:
            hosts.append(self)

    cerebro.addstrategy(Host, hooks=HostHooks(lambda day: hosts[0].on(day), lambda _order: None))
    cerebro.run()
    return seen


def test_session_loop_equals_backtraders_loop() -> None:
    mkt = _listings()
    stock = _record(bt.Cerebro(stdstats=False), mkt)
    ours = _record(SessionCerebro(stdstats=False), mkt)
    assert ours == stock
    assert [day for day, *_ in ours] == list(mkt.dates)
    assert [call for _, call, *_ in ours][:3] == ["prenext", "prenext", "nextstart"]  # CCC listed on the third
    assert ours[4][3] == (5, 5, 5, 3, 4)  # clock, AAA, BBB, CCC, DDD (DDD missed a session)


def test_schedule_lists_each_feeds_bars() -> None:
    mkt = _listings()
    feeds = [clock_feed(mkt), *symbol_feeds(mkt).values()]
    cerebro = bt.Cerebro(stdstats=False)
    for feed in feeds:
        cerebro.adddata(feed)
    cerebro.addstrategy(bt.Strategy)
    assert Schedule.of(feeds) is None  # not preloaded yet: backtrader's loop
    cerebro.run()  # preloads (and runs to the end)
    for feed in feeds:
        feed.home()  # back to before the first bar, as a run starts
    schedule = Schedule.of(feeds)
    assert schedule is not None
    assert schedule.times.tolist() == [bt.date2num(d.to_pydatetime()) for d in mkt.dates]
    expected = np.column_stack([np.ones(len(mkt.dates), bool), *(mkt.close[s].notna().to_numpy() for s in mkt.symbols)])
    assert (schedule.bars == expected).all()


def test_feeds_loaded_row_by_row_take_backtraders_loop() -> None:
    mkt = _listings()
    assert _record(SessionCerebro(stdstats=False), mkt, per_row=True) == _record(bt.Cerebro(stdstats=False), mkt)


@pytest.mark.parametrize("name", ["fills", "equity", "order_events", "positions"])
def test_a_backtest_journals_the_same_under_either_loop(tmp_path, monkeypatch, name: str) -> None:
    """Listings, a delisting, a missing bar and orders every session: the journal is the same."""
    mkt = _listings()
    pattern = [1.0, 0.05, 1.0, 1.0, 0.05, 1.0, 0.05, 1.0]  # under the threshold: out; above: in
    signals = pd.DataFrame({s: np.roll(pattern, i) for i, s in enumerate(mkt.symbols)}, index=mkt.dates)
    cfg = settings()
    tables = {}
    for loop in (SessionCerebro, bt.Cerebro):
        monkeypatch.setattr(runner, "SessionCerebro", loop)
        result = runner.run_backtest(mkt, fixed(signals), cfg, tmp_path / f"{loop.__name__}.sqlite")
        journal = Journal(result.journal_path)
        tables[loop] = journal.table(name)
        journal.close()
    ours, stock = tables[SessionCerebro], tables[bt.Cerebro]
    assert len(ours) > 0
    pd.testing.assert_frame_equal(ours, stock)


def test_a_session_line_still_moves_as_backtraders_lines_do() -> None:
    """After a run its lines sit at the last bar; ``home`` and ``advance`` move them as a plain
    line moves (what a second pass over the feed would do)."""
    mkt = _listings()
    cerebro = SessionCerebro(stdstats=False)
    feeds = symbol_feeds(mkt)
    cerebro.adddata(clock_feed(mkt))
    for feed in feeds.values():
        cerebro.adddata(feed)
    cerebro.addstrategy(bt.Strategy)
    cerebro.run()
    ccc = feeds["CCC"]
    assert isinstance(ccc.lines.close, SessionLine)
    assert (len(ccc), ccc.close[0], ccc.close[-1]) == (6, 35.0, 34.0)
    ccc.home()
    assert (len(ccc), ccc.lines.close.idx) == (0, -1)
    ccc.advance()
    ccc.advance()
    assert (len(ccc), ccc.close[0], ccc.close[-1]) == (2, 31.0, 30.0)
