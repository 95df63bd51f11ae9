"""TWAP children in the backtest, filled on minute bars (``trade backtest --minutes FILE``).

The engine sends a TWAP parent's children at the decision (each a journaled intent, stamped
with the minute it is due); the adapter hands each child here as it is sent, grouped by
(symbol, session): the children of one parent. On the session's bar the simulator asks for a
child's fills: the group is filled once by :func:`framework.twap.fill_on_minutes` (the one fill
model: the child's minutes from when it is due until the next child is, at the venue's slipped
minute open, at most ``participation_cap`` of each minute's volume) on that symbol's minutes.
A session the minute bars do not cover is an input error, not a silent miss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from framework.data.cache import read_minutes
from framework.data.sessions import NEW_YORK
from framework.errors import DataError
from framework.orders import Order
from framework.twap import ChildFill, fill_on_minutes, window_end
from framework.venue import Venue

Group = tuple[str, date]


@dataclass(frozen=True, slots=True)
class ChildMinutes:
    """One child on its minutes: its fills, the price when it reached the market (the open of
    its first minute: its arrival price) and when its turn ended (the next child's minute, or
    the window's end: what is left then is canceled)."""

    fills: tuple[ChildFill, ...]
    arrival: float
    until: datetime


class MinuteFills:
    """The children sent so far and, per (symbol, session), their fills once asked for."""

    def __init__(self, minutes: Callable[[str], pd.DataFrame], *, participation_cap: float, window_minutes: int,
                 venue: Venue, source: str) -> None:
        self._minutes, self._source = minutes, source
        self.participation_cap, self.window_minutes, self.venue = participation_cap, window_minutes, venue
        self._frames: dict[str, pd.DataFrame] = {}
        self._children: dict[Group, list[Order]] = {}
        self._fills: dict[Group, dict[str, ChildMinutes]] = {}

    @classmethod
    def from_cache(cls, path: Path, **kwargs: object) -> MinuteFills:
        """Minute bars from the cache ``trade data fetch --timeframe 1Min`` writes."""
        if not path.exists():
            raise DataError(f"--minutes {path}: file not found")
        return cls(lambda symbol: read_minutes(path, symbol), source=str(path), **kwargs)  # type: ignore[arg-type]

    def add(self, child: Order) -> Group:
        """Record a child as it is sent; returns its group (the simulator asks by it)."""
        key = (child.symbol, pd.Timestamp(child.created_at).tz_convert(NEW_YORK).date())
        self._children.setdefault(key, []).append(child)
        return key

    def fills(self, key: Group, client_order_id: str) -> ChildMinutes:
        """One child's fills, its group filled on its session's minutes at the first ask."""
        if key not in self._fills:
            children = sorted(self._children[key], key=lambda c: c.created_at)
            minutes = self._session(*key)
            end = window_end(children[0], self.window_minutes)
            outcome = fill_on_minutes(children, minutes, participation_cap=self.participation_cap, venue=self.venue,
                                      window_end=end)
            ends = [c.created_at for c in children[1:]] + [end]
            out = {}
            for child, until in zip(children, ends, strict=True):
                due = minutes[minutes.index >= pd.Timestamp(child.created_at)]
                arrival = float(due["open"].iloc[0]) if len(due) else float("nan")
                mine = tuple(f for f in outcome.fills if f.client_order_id == child.client_order_id)
                out[child.client_order_id] = ChildMinutes(mine, arrival, until)
            self._fills[key] = out
        return self._fills[key][client_order_id]

    def _session(self, symbol: str, day: date) -> pd.DataFrame:
        if symbol not in self._frames:
            self._frames[symbol] = self._minutes(symbol)
        frame = self._frames[symbol]
        local = frame.index.tz_convert(NEW_YORK)
        minutes = frame[local.date == day]
        if minutes.empty:
            raise DataError(f"--minutes {self._source}: no minute bars of {symbol} on {day}, where a TWAP child "
                            f"trades (fetch them: trade data fetch --timeframe 1Min)")
        return minutes


__all__ = ["ChildMinutes", "MinuteFills"]
