"""backtrader's run-once loop over a whole market, without touching every feed every session.

Cerebro's ``_runonce`` asks each feed for its next bar's time (``advance_peek``), takes the
earliest, advances every feed whose bar that is (each of its seven lines moved on), and each
strategy then works out whether every feed has enough bars (``_getminperstatus``: the length of
each feed). That is Python work per feed and session, whether the feed is read that day or not:
with 5,000 symbols it was most of a whole-market backtest, the floor under it. When every feed
is a bulk-preloaded :class:`ArrayFeed`, every bar time is known before the first session, so
:class:`SessionCerebro` works the sequence out once with numpy — the session times in order, how
many bars each feed has had by each session, and each strategy's min-period status — and a
feed's lines (:class:`SessionLine`) read their position off a shared session counter: a session
moves one number, and a line read (a price the broker or the adapter wants) finds the position
its feed would have reached. The rest of the loop (broker, timers, notifications, the
strategies' ``_oncepost``, writers) runs as backtrader's own code. With any other feed it runs
backtrader's loop untouched.

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


class SessionLine(bt.LineBuffer):
    """A feed's line whose position is its feed's bar count at the session the run is on.

    backtrader keeps a line's position in ``_idx`` and its length in ``lencount``; here both
    are read off ``counts[clock[0]]`` (the feed's bars up to the session the shared clock says),
    plus whatever a write moved them by (none in a run: kept so that ``home``, ``advance`` or a
    rewind still do what they do on a plain line)."""

    _counts: memoryview
    _clock: list[int]
    _idx_shift: int
    _len_shift: int

    def follow(self, counts: np.ndarray, clock: list[int]) -> None:
        """From now on, be where ``counts[clock[0]]`` puts the feed (from where it is now).

        ``counts`` is read through a memoryview: every price the broker or the adapter reads
        goes through :attr:`_idx`, and a memoryview's item is a plain int at a third of the
        cost of a numpy scalar made into one."""
        idx, length = self.__dict__.pop("_idx"), self.__dict__.pop("lencount")
        self._counts, self._clock = memoryview(np.ascontiguousarray(counts)), clock
        at = self._counts[clock[0]]
        self._idx_shift, self._len_shift = idx - (at - 1), length - at

    @property  # type: ignore[override]
    def _idx(self) -> int:
        return self._counts[self._clock[0]] - 1 + self._idx_shift

    @_idx.setter
    def _idx(self, value: int) -> None:
        self._idx_shift += value - self._idx

    @property  # type: ignore[override]
    def lencount(self) -> int:
        return self._counts[self._clock[0]] + self._len_shift

    @lencount.setter
    def lencount(self, value: int) -> None:
        self._len_shift += value - self.lencount


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
        # bars of each feed up to each session (row 0: before the first), and one clock for all
        # (a feed's column contiguous, int32: 23 MB for 5,000 feeds over 1,132 sessions)
        counts = np.zeros((len(schedule.times) + 1, len(datas)), dtype=np.int32, order="F")
        np.cumsum(schedule.bars, axis=0, out=counts[1:])
        clock = [0]
        start = np.array([len(data) for data in datas], dtype=np.int64)
        for j, data in enumerate(datas):
            for line in data.lines_to_advance():
                line.__class__ = SessionLine
                line.follow(counts[:, j], clock)
        # each strategy's datas (in its order) and their minimum periods
        where = {id(data): j for j, data in enumerate(datas)}
        columns = [np.array([where[id(d)] for d in strat.datas], dtype=np.intp) for strat in runstrats]
        minimum = [np.array(strat._minperiods, dtype=np.int64) for strat in runstrats]
        for session, dt0 in enumerate(schedule.times.tolist(), start=1):
            clock[0] = session  # every feed with a bar now has advanced to it
            lengths = start + counts[session]
            self._check_timers(runstrats, dt0, cheat=True)
            self._brokernotify()
            if self._event_stop:
                return
            self._check_timers(runstrats, dt0, cheat=False)
            for strat, cols, mins in zip(runstrats, columns, minimum, strict=True):
                strat.__dict__[KNOWN_STATUS] = int((mins - lengths[cols]).max())
                strat._oncepost(dt0)
                if self._event_stop:
                    return
                self._next_writers(runstrats)


__all__ = ["KNOWN_STATUS", "Schedule", "SessionCerebro", "SessionLine"]
