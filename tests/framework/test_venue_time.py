"""One clock per venue, and one definition of the fallback to the local clock (issue 27, part 3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from framework.errors import PermanentBrokerError, TransientBrokerError
from framework.venue_time import human, venue_or_local

VENUE = datetime(2020, 1, 2, 14, 30, tzinfo=UTC)


def _unanswered() -> datetime:
    raise TransientBrokerError("clock: no answer in time")


def _refused() -> datetime:
    raise PermanentBrokerError("clock: forbidden")


def test_the_venues_clock_when_it_answers() -> None:
    assert venue_or_local(lambda: VENUE) == VENUE


def test_the_local_clock_only_when_the_venue_cannot_be_read(caplog) -> None:
    before = datetime.now(UTC)
    stamped = venue_or_local(_unanswered)
    assert before <= stamped <= datetime.now(UTC)
    assert "venue clock unavailable" in caplog.text


def test_what_counts_as_unreadable_is_the_callers_choice() -> None:
    with pytest.raises(PermanentBrokerError):
        venue_or_local(_refused, TransientBrokerError)
    assert venue_or_local(_refused).tzinfo is UTC  # any broker error, by default


def test_human_prints_new_york_time() -> None:
    assert human(VENUE) == "2020-01-02 09:30 EST"
