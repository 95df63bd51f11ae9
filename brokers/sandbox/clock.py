"""The sandbox's simulated clock: which session it is and in which phase, and what time that is
on the venue's clock (New York), as Alpaca's ``/v2/clock`` and ``/v2/calendar`` answer it.

Session i has two phases. ``pre_open`` (9:00): bars of sessions before i are visible and the
market is closed. ``open`` (10:00, or the intraday path's time in wall-clock mode): session i
trades. The exchange moves the clock; this module only tells the time.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from brokers.sandbox.wire import iso

NEW_YORK = ZoneInfo("America/New_York")
OPEN, CLOSE = time(9, 30), time(16, 0)
PRE_OPEN_AT, OPEN_AT = time(9, 0), time(10, 0)


def at(day: pd.Timestamp, when: time) -> datetime:
    return datetime.combine(day.date(), when, NEW_YORK)


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


__all__ = ["CLOSE", "NEW_YORK", "OPEN", "at", "calendar_json", "clock_json"]
