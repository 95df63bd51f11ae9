"""pyfolio printed "Negative price detected, ignoring for round-trip." on stderr in the middle of a
report; the sheet now says what was left out, in its own words, and stderr stays quiet."""

from __future__ import annotations

import warnings

import pandas as pd

from analyzers.frames import Frames
from analyzers.roundtrips import round_trips

DAYS = pd.bdate_range("2019-01-01", periods=5, tz="UTC")


def test_a_negative_closing_mark_is_said_in_the_note_not_on_stderr() -> None:
    equity = pd.Series(10_000.0, index=DAYS)
    # fills leave 10 AAA held, but the last mark values the position below zero: they disagree
    positions = pd.DataFrame({"AAA": [0.0, 1000.0, 1000.0, 1000.0, -50.0], "BBB": [0.0, 500.0, 0.0, 0.0, 0.0],
                              "cash": 9000.0}, index=DAYS)
    fills = pd.DataFrame({"amount": [10.0, 5.0, -5.0], "price": [100.0, 100.0, 101.0],
                          "symbol": ["AAA", "BBB", "BBB"]},
                         index=pd.DatetimeIndex([DAYS[1], DAYS[1], DAYS[2]]) + pd.Timedelta(hours=15))
    frames = Frames(pd.Series(0.0, index=DAYS), positions, fills, equity, pd.Series(0.0, index=DAYS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = round_trips(frames)
    assert not [w for w in caught if "Negative price" in str(w.message)]
    assert "1 closing mark below zero" in found.note
    assert list(found.trips["symbol"]) == ["BBB"]
