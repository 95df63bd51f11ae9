"""The sandbox's simulated clock: which session it is and in which phase, and what time that is
on the venue's clock (New York), as Alpaca's ``/v2/clock`` and ``/v2/calendar`` answer it.

Session i has two phases. ``pre_open`` (9:00): bars of sessions before i are visible and the
market is closed. ``open`` (10:00, or the intraday path's time in wall-clock mode): session i
trades. :class:`SessionClock` is where the clock stands; the exchange moves it (what happens at
an open or a close is the exchange's); this module tells the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from brokers.sandbox.wire import iso

NEW_YORK = ZoneInfo("America/New_York")
OPEN, CLOSE = time(9, 30), time(16, 0)
PRE_OPEN_AT, OPEN_AT = time(9, 0), time(10, 0)


def at(day: pd.Timestamp, when: time) -> datetime:
    return datetime.combine(day.date(), when, NEW_YORK)


class Phase(StrEnum):
    PRE_OPEN = "pre_open"
    OPEN = "open"


@dataclass
class SessionClock:
    """Which of ``dates`` is the session and in which phase (the state document stores both)."""

    dates: pd.DatetimeIndex
    session: int
    phase: Phase = Phase.PRE_OPEN

    @property
    def day(self) -> pd.Timestamp:
        return self.dates[min(self.session, len(self.dates) - 1)]

    @property
    def is_open(self) -> bool:
        return self.phase is Phase.OPEN

    def scheduled(self) -> datetime:
        """The phase's time on the venue's clock (the intraday path moves an open session's)."""
        return at(self.day, PRE_OPEN_AT if self.phase is Phase.PRE_OPEN else OPEN_AT)

    def next_open_day(self) -> pd.Timestamp:
        return self.day if self.phase is Phase.PRE_OPEN else self.dates[min(self.session + 1, len(self.dates) - 1)]

    def visible(self) -> pd.DatetimeIndex:
        """Sessions whose bar has closed."""
        return self.dates[: self.session]

    @property
    def exhausted(self) -> bool:
        """No session left to open or close."""
        last = len(self.dates) - 1
        return (self.session >= last and self.is_open) or self.session >= len(self.dates)

    def opened(self) -> None:
        self.phase = Phase.OPEN

    def closed(self) -> None:
        """Past the close: the next session, before its open."""
        self.session += 1
        self.phase = Phase.PRE_OPEN


def clock_json(now: datetime, is_open: bool, next_open_day: pd.Timestamp, day: pd.Timestamp) -> dict[str, Any]:
    return {
        "timestamp": iso(now),
        "is_open": is_open,
        "next_open": iso(at(next_open_day, OPEN)),
        "next_close": iso(at(day, CLOSE)),
    }


def calendar_json(dates: pd.DatetimeIndex, start: str | None, end: str | None) -> list[dict[str, str]]:
    if start:
        dates = dates[dates >= pd.Timestamp(start)]
    if end:
        dates = dates[dates <= pd.Timestamp(end)]
    return [{"date": f"{d:%Y-%m-%d}", "open": "09:30", "close": "16:00"} for d in dates]


__all__ = ["CLOSE", "NEW_YORK", "OPEN", "Phase", "SessionClock", "at", "calendar_json", "clock_json"]
