"""Times as a person reads them: in the venue's zone (New York), to the minute, zone named.

The journal keeps UTC ISO text (``2026-11-29T13:26:02.437957+00:00``); anything printed for a
trader goes through :func:`human`, so a halt "since 08:26 EST" lines up with the market's clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from framework.errors import BrokerError

VENUE_ZONE = ZoneInfo("America/New_York")
log = logging.getLogger(__name__)


def venue_or_local(read: Callable[[], datetime], unreadable: type[BrokerError] = BrokerError) -> datetime:
    """The venue's clock through ``read`` (one clock per venue); the local clock only when the
    venue cannot be read (``unreadable``), so what is being stamped (an operator's action, a
    failure's report) goes in regardless. The one definition of that fallback."""
    try:
        return read()
    except unreadable as e:
        log.warning("venue clock unavailable, stamped with the local clock: %s", e)
        return datetime.now(UTC)


def human(moment: datetime | str) -> str:
    """``2026-11-29 08:26 EST``; a naive time is taken as UTC, text as ISO 8601."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(VENUE_ZONE).strftime("%Y-%m-%d %H:%M %Z")


__all__ = ["VENUE_ZONE", "human", "venue_or_local"]
