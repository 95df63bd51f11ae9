"""backtrader's run-once loop over a whole market, without asking every feed every session.

Cerebro's ``_runonce`` asks each feed for its next bar's time (``advance_peek``), takes the
earliest, advances every feed whose bar that is, and each strategy then works out whether every
feed has enough bars (``_getminperstatus``: the length of each feed). That is a few Python calls
per feed and session, whether the feed trades that day or not: with 5,000 symbols it is most of
a whole-market backtest. When every feed is a bulk-preloaded :class:`ArrayFeed`, every bar time
is known before the first session, so :class:`SessionCerebro` works the same sequence out once
with numpy — the session times in order, the feeds with a bar at each (advanced in backtrader's
order), and each strategy's min-period status — and runs the rest of the loop (broker, timers,
notifications, the strategies' ``_oncepost``, writers) as backtrader's own code. With any other
feed it runs backtrader's loop untouched.

The same sequence: a feed whose bar times rise strictly advances at each of its bar times and
nowhere else, exactly as backtrader's "advance every feed whose next time is the earliest" does;
a feed whose times do not rise strictly takes backtrader's loop for the whole run.
"""

from __future__ import annotations

from collections.abc import Sequence

import backtrader as bt
import numpy as np

from brokers.backtrader.feeds import ArrayFeed

#: The min-period status a strategy would compute this session (set by :class:`SessionCerebro`
#: before each ``_oncepost``; read by a strategy that overrides ``_getminperstatus`` with it).
KNOWN_STATUS = "_session_minperstatus"


class Schedule:
    """The sessions of a run over preloaded feeds: the times, and which feeds have a bar at each.

    ``bars[s, j]``: feed ``j`` has a bar at session ``s`` (a sessions × feeds boolean matrix:
    one byte a cell, 5.7 MB for 5,000 symbols over 1,132 sessions)."""

    def __init__(self, times: np.ndarray, bars: np.ndarray) -> None:
        self.times, self.bars = times, bars

    @classmethod
    def of(cls, feeds: Sequence[bt.feed.DataBase]) -> Schedule | None:
        """The schedule of ``feeds`` from their next bar on; None when a feed is not a bulk
        :class:`ArrayFeed` or its times do not rise strictly (backtrader's loop then runs)."""
        remaining = []
        for feed in feeds:
            if not isinstance(feed, ArrayFeed) or not feed.bulk:
                return None
            times = feed.remaining_times()
            if len(times) > 1 and not bool(np.all(np.diff(times) > 0)):
                return None
            remaining.append(times)
        union = np.unique(np.concatenate(remaining)) if remaining else np.empty(0)
        bars = np.zeros((len(union), len(remaining)), dtype=bool)
        for j, times in enumerate(remaining):
            bars[np.searchsorted(union, times), j] = True
        return cls(union, bars)


class SessionCerebro(bt.Cerebro):
    """Cerebro whose run-once loop follows a :class:`Schedule` when the feeds allow one."""

    def _runonce(self, runstrats: list[bt.Strategy]) -> None:
        datas = sorted(self.datas, key=lambda x: (x._timeframe, x._compression))  # backtrader's order
        schedule = Schedule.of(datas)
        if schedule is None or self.p.cheat_on_open:
            super()._runonce(runstrats)
            return
        for strat in runstrats:
            strat._once()
            strat.reset()  # as backtrader: the strategy is called next by next
        # a bulk ArrayFeed's advance is each of its lines moved on by one (ArrayFeed.advance):
        # done here inline, as method calls and attribute reads on a feed cost more than the moves
        lines = [data.lines_to_advance() for data in datas]
        # each strategy's lengths of its datas, in its order, and its minimum periods
        where = {id(data): j for j, data in enumerate(datas)}
        columns = [np.array([where[id(d)] for d in strat.datas], dtype=np.intp) for strat in runstrats]
        lengths = np.array([len(data) for data in datas], dtype=np.int64)
        minimum = [np.array(strat._minperiods, dtype=np.int64) for strat in runstrats]
        for dt0, row in zip(schedule.times.tolist(), schedule.bars, strict=True):
            for j in np.flatnonzero(row).tolist():
                for line in lines[j]:
                    line._idx += 1
                    line.lencount += 1
            lengths += row
            self._check_timers(runstrats, dt0, cheat=True)
            self._brokernotify()
            if self._event_stop:
                return
            self._check_timers(runstrats, dt0, cheat=False)
            for strat, cols, mins in zip(runstrats, columns, minimum, strict=True):
                strat.__dict__[KNOWN_STATUS] = int((mins - lengths[cols]).max()) if len(cols) else 0
                strat._oncepost(dt0)
                if self._event_stop:
                    return
                self._next_writers(runstrats)


__all__ = ["KNOWN_STATUS", "Schedule", "SessionCerebro"]
