"""Times as a person reads them: in the venue's zone (New York), to the minute, zone named.

The journal keeps UTC ISO text (``2026-11-29T13:26:02.437957+00:00``); anything printed for a
trader goes through :func:`human`, so a halt "since 08:26 EST" lines up with the market's clock.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

VENUE_ZONE = ZoneInfo("America/New_York")


def human(moment: datetime | str) -> str:
    """``2026-11-29 08:26 EST``; a naive time is taken as UTC, text as ISO 8601."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(VENUE_ZONE).strftime("%Y-%m-%d %H:%M %Z")


__all__ = ["VENUE_ZONE", "human"]
