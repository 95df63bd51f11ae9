"""Dates a new user types: New Year's Day, a holiday, a Sunday, a year before the data.

`trade backtest --start 2017-01-01` crashed with exchange-calendars' DateOutOfBounds (the
calendar is built from January 1 of the start year, which is no session); an --end on a Sunday
closed out every position as "delisted". Each is now moved to a session and said in one line.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_invoke import trade_here

from framework.data.sessions import sessions


@pytest.mark.parametrize("first", ["2017-01-01", "2017-01-02", "2016-12-31"])
def test_sessions_from_a_day_before_the_calendars_first_session(first) -> None:
    found = sessions("XNYS", pd.Timestamp(first), pd.Timestamp("2017-01-10"))
    assert str(found[0].date()) == "2017-01-03" if first != "2016-12-31" else len(found) == 6
    assert str(found[-1].date()) == "2017-01-10"


@pytest.mark.parametrize(("start", "end", "first", "last", "why"), [
    ("2017-01-01", "2017-03-31", "2017-01-03", "2017-03-31", "start 2017-01-01 is not a session"),
    ("2017-01-02", "2017-03-31", "2017-01-03", "2017-03-31", "start 2017-01-02 is not a session"),
    ("2010-01-04", "2015-12-31", "2015-07-15", "2015-12-31", "start 2010-01-04 is before the data's first session"),
])
def test_a_start_that_is_no_session_is_moved_and_said(tmp_path, capsys, monkeypatch, start, end, first, last,
                                                     why) -> None:
    out = tmp_path / "run"
    result = trade_here(["backtest", "--strategy", "momentum", "--start", start, "--end", end, "--no-report",
                         "--out", str(out)], capsys, monkeypatch, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    note = next(line for line in result.stderr.splitlines() if line.startswith("note: start"))
    assert why in note and note.endswith(f"the backtest starts on {first}")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["start"], summary["end"]) == (first, last)
    assert f"{first} → {last}" in result.stdout


def test_an_end_on_a_sunday_ends_on_the_friday_and_closes_nothing_out(tmp_path, capsys, monkeypatch) -> None:
    """Every symbol was "delisted and closed out" and 30 orders never filled."""
    out = tmp_path / "run"
    result = trade_here(["backtest", "--strategy", "momentum", "--start", "2019-01-02", "--end", "2019-03-31",
                         "--no-report", "--out", str(out)], capsys, monkeypatch, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "note: end 2019-03-31 is not a session" in result.stderr
    assert "delisted" not in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["end"] == "2019-03-29"
    assert summary["figures"]["orders"] == summary["figures"]["fills"]
    ended = summary["figures"]["order_outcomes"]
    assert sum(v for k, v in ended.items() if k != "canceled_at_split") == summary["figures"]["orders"]
