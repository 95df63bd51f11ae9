"""Session dates: the exchange calendar, the local date of a timestamp, and a bar's stamp.

A daily bar belongs to a session of the exchange, named by the exchange's local date. The
calendar comes from ``exchange-calendars`` (XNYS by default, ``data.calendar``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import pandas as pd

from framework.errors import ConfigError, DataError

NEW_YORK = ZoneInfo("America/New_York")


def session_time(date: pd.Timestamp | datetime) -> datetime:
    """The aware UTC timestamp of a daily bar: New York midnight, as Alpaca stamps it."""
    day = pd.Timestamp(date).date()
    return _midnight_new_york(day.year, day.month, day.day)


@lru_cache(maxsize=16384)
def _midnight_new_york(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=NEW_YORK).astimezone(UTC)


@contextmanager
def _quiet() -> Iterator[None]:
    """exchange-calendars reads ``Series.values`` of aware series, which pandas 3.1 deprecates."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Series.values returning", category=DeprecationWarning)
        yield


CALENDAR_FROM = 1990  # one calendar a name, from here (or earlier if asked) to next year or the last year asked


def _covering(name: str, start_year: int, end_year: int):
    """A calendar of ``name`` covering ``start_year`` to ``end_year``: the one shared calendar
    unless the years lie outside it. Building one costs ~0.2 s of CPU whatever its span, and a
    calendar a year range made every run over other years build its own."""
    return _calendar(name, min(start_year, CALENDAR_FROM), max(end_year, pd.Timestamp.now().year + 1))


@lru_cache(maxsize=8)
def _calendar(name: str, start_year: int, end_year: int):
    import exchange_calendars as xcals

    try:
        with _quiet():
            return xcals.get_calendar(name, start=f"{start_year}-01-01", end=f"{end_year}-12-31")
    except xcals.errors.InvalidCalendarName:
        raise ConfigError(f"data.calendar: unknown exchange calendar {name!r} (e.g. XNYS, XNAS, XLON)") from None
    except ValueError as e:  # a range outside what the calendar covers
        raise DataError(f"exchange calendar {name}: {str(e).splitlines()[0]}") from None


def calendar_timezone(name: str) -> ZoneInfo:
    """The exchange's time zone: dates are that zone's local dates."""
    year = pd.Timestamp.now().year
    return ZoneInfo(str(_covering(name, year - 1, year).tz))


def sessions(name: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """The exchange's sessions from ``first`` to ``last`` (naive midnight dates).

    The calendar covers whole years (from January 1 of ``first``'s year at the latest), so a
    bound that is no session (New Year's Day, a weekend) can lie outside it: the bounds are held
    to the calendar's own first and last sessions (exchange-calendars refuses them otherwise)."""
    cal = _covering(name, first.year, max(last.year, first.year))
    lo = max(pd.Timestamp(first).normalize(), pd.Timestamp(cal.first_session).tz_localize(None))
    hi = min(pd.Timestamp(last).normalize(), pd.Timestamp(cal.last_session).tz_localize(None))
    if lo > hi:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    with _quiet():
        out = cal.sessions_in_range(lo, hi)
    return pd.DatetimeIndex(out).tz_localize(None).astype("datetime64[ns]")


def holidays_and_weekends(dates: pd.DatetimeIndex) -> list[str]:
    """A word for why each date is not a session: its weekday for a weekend, else holiday."""
    return [f"a {d.day_name()}" if d.day_of_week >= 5 else "a holiday" for d in dates]


__all__ = ["NEW_YORK", "calendar_timezone", "holidays_and_weekends", "session_time", "sessions"]
