"""The exchange's sessions come from one calendar per exchange, whatever years a run asks for:
building one costs ~0.2 s, and a calendar per year range (eight kept) was rebuilt run after run."""

from __future__ import annotations

import pandas as pd

from framework.data.sessions import _calendar, calendar_timezone, sessions


def test_runs_over_different_years_share_one_calendar() -> None:
    _calendar.cache_clear()
    for first, last in [("2015-01-02", "2019-12-31"), ("2016-03-01", "2016-10-31"), ("2019-03-01", "2019-03-13"),
                        ("2018-01-02", "2019-12-31"), ("2024-12-30", "2025-01-03")]:
        assert len(sessions("XNYS", pd.Timestamp(first), pd.Timestamp(last))) > 0
    calendar_timezone("XNYS")
    assert _calendar.cache_info().misses == 1


def test_bounds_that_are_no_session_still_give_the_sessions_between() -> None:
    got = sessions("XNYS", pd.Timestamp("2018-12-29"), pd.Timestamp("2019-01-05"))
    assert [d.strftime("%m-%d") for d in got] == ["12-31", "01-02", "01-03", "01-04"]  # 2019-01-01: a holiday
    assert got.dtype == "datetime64[ns]" and got.tz is None
    assert sessions("XNYS", pd.Timestamp("2019-01-01"), pd.Timestamp("2019-01-01")).empty
