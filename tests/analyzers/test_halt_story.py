"""Halts told as a story: dates, sessions covered, the limit that fired, what lifts it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import pairwise

import pandas as pd
import pytest
from cli_invoke import trade_here
from hypothesis import given
from hypothesis import strategies as st

from analyzers.halts import HaltEpisode, episodes, stories, story
from analyzers.records import load_halt_inputs, load_run

DAYS = [date(2018, 12, 17) + timedelta(days=i) for i in range(30)]


def events(*rows: tuple[str, str, date, str]) -> pd.DataFrame:
    """Journal order_events rows: (event, scope, day, detail), stamped at the day's close (UTC)."""
    return pd.DataFrame(
        [
            {"seq": i, "client_order_id": "*", "event": e, "status": scope,
             "time": f"{day}T21:00:00+00:00", "detail": detail}
            for i, (e, scope, day, detail) in enumerate(rows)
        ]
    )


def test_a_drawdown_halt_to_the_end_reads_as_the_issue_asks() -> None:
    found = episodes(events(("halt", "persistent", DAYS[4], "max_drawdown")), DAYS)
    assert found == [HaltEpisode(DAYS[4], None, 25, "max_drawdown", "persistent", None)]
    line = story(found[0], {"max_drawdown": 0.25}, paper=True)
    assert line == "halted 2018-12-21 → now (25 sessions): max drawdown 25% reached; resume with `trade resume`"
    backtest = story(found[0], {"max_drawdown": 0.25}, paper=False)
    assert backtest.startswith("halted 2018-12-21 → end (25 sessions): max drawdown 25% reached;")
    assert "resume with `trade resume`" in backtest


def test_a_daily_loss_halt_covers_one_session_and_says_how_far_it_fell() -> None:
    rows = events(("halt", "session", DAYS[2], "daily_loss_limit"),
                  ("resume", "session", DAYS[3], "new session after daily_loss_limit"))
    equity = pd.Series([100.0, 101.0, 97.0] + [97.0] * 27, index=DAYS)
    (found,) = episodes(rows, DAYS, equity)
    assert (found.start, found.end, found.sessions) == (DAYS[2], DAYS[3], 1)
    assert found.move == pytest.approx(97 / 101 - 1)
    assert story(found, {"daily_loss_limit": 0.03}, paper=False) == (
        "halted 2018-12-19 for 1 session: daily loss limit 3% reached (-4.0% that session); lifted at the next session"
    )


def test_a_manual_halt_then_resume() -> None:
    rows = events(("halt", "persistent", DAYS[1], "manual halt"), ("resume", "persistent", DAYS[6], "resumed"))
    (found,) = episodes(rows, DAYS)
    assert story(found, {}, paper=True) == "halted 2018-12-18 → 2018-12-23 (5 sessions): manual halt; resumed"


def test_many_one_session_halts_are_summarised_after_the_latest() -> None:
    rows = []
    for i in range(0, 20, 2):
        rows += [("halt", "session", DAYS[i], "daily_loss_limit"), ("resume", "session", DAYS[i + 1], "new session")]
    rows.append(("halt", "persistent", DAYS[25], "max_drawdown"))
    lines = stories(episodes(events(*rows), DAYS), {"daily_loss_limit": 0.03, "max_drawdown": 0.25}, paper=False,
                    limit=4)
    assert len(lines) == 5 and lines[-1] == "… and 7 earlier one-session halts (daily loss limit)"
    assert "max drawdown 25% reached" in lines[-2] and lines[0].startswith(f"halted {DAYS[14]} for 1 session")


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 29)), max_size=12))
def test_episodes_never_overlap_nor_cover_more_sessions_than_the_run(steps) -> None:
    rows = [("halt" if h else "resume", "persistent", DAYS[i], "x") for h, i in sorted(steps, key=lambda s: s[1])]
    found = episodes(events(*rows), DAYS) if rows else []
    assert sum(e.sessions for e in found) <= len(DAYS)
    for a, b in pairwise(found):
        assert a.end is not None and a.end <= b.start
    assert all(e.end is None or e.end >= e.start for e in found)


def test_the_backtest_summary_tells_a_drawdown_halt_in_words(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "tight.yaml").write_text("risk:\n  max_drawdown: 0.02\n  daily_loss_limit: 0.5\n")
    out = tmp_path / "run"
    result = trade_here(
        ["backtest", "--strategy", "momentum", "--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN", "--start", "2018-09-04",
         "--end", "2019-03-29", "--config", str(tmp_path / "tight.yaml"), "--out", str(out), "--no-report"],
        capsys, monkeypatch, tmp_path,
    )
    assert result.returncode == 0, result.stderr
    halted = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("halted ")]
    assert len(halted) == 1, result.stdout
    start = halted[0].split()[1]
    dates = pd.read_csv(out / "returns.csv")["date"]
    after = int((dates > start).sum())
    assert halted[0].startswith(f"halted {start} → end ({after} sessions): max drawdown 2% reached (")
    assert json.loads((out / "summary.json").read_text())["figures"]["halts"] == 1
    assert start in set(dates)  # the story's date is a session of the run
    # --no-report tells the halts from the journal's equity and events alone (issue 31: a whole
    # market's journal holds a million signal rows): the same inputs the full records give
    events_read, days, equity = load_halt_inputs(out)
    records = load_run(out)
    assert days == records.days
    pd.testing.assert_series_equal(equity, records.equity.set_index("day")["equity"].set_axis(records.days))
    pd.testing.assert_frame_equal(events_read, records.events)
    assert stories(episodes(events_read, days, equity), {"max_drawdown": 0.02}, paper=False)[0] == halted[0]
