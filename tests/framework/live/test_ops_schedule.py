"""When the service does what: the schedule as pure policy on the venue's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from framework.live.schedule import Step, VenueTimes, plan

NY = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2019, 6, day, hour, minute, tzinfo=NY)


def times(now: datetime, *, is_open: bool, next_open: datetime, next_close: datetime,
          last_close: datetime | None = None) -> VenueTimes:
    return VenueTimes(now, is_open, next_open, next_close, last_close)


def run(t: VenueTimes, cycles: bool = True, **done) -> object:
    return plan(t, minutes_before_open=30, after_close_minutes=15, cycles=cycles, **done)


def test_the_cycle_is_due_minutes_before_the_open() -> None:
    early = run(times(at(4, 8), is_open=False, next_open=at(4, 9, 30), next_close=at(4, 16), last_close=at(3, 16)),
                closes_done=frozenset({date(2019, 6, 3)}))
    assert early.step is Step.WAIT and early.wait == 3600 and early.next_cycle == date(2019, 6, 4)
    due = run(times(at(4, 9), is_open=False, next_open=at(4, 9, 30), next_close=at(4, 16), last_close=at(3, 16)))
    assert due.step is Step.CYCLE and due.session == date(2019, 6, 4)


def test_started_mid_session_it_waits_for_the_next_sessions_cycle() -> None:
    p = run(times(at(4, 11), is_open=True, next_open=at(5, 9, 30), next_close=at(4, 16)))
    assert p.step is Step.WAIT and p.next_cycle == date(2019, 6, 5)
    assert p.cycle_in == (at(5, 9) - at(4, 11)).total_seconds()


def test_a_missed_after_close_runs_before_the_next_cycle_is_due() -> None:
    started_at_eight = times(at(4, 8), is_open=False, next_open=at(4, 9, 30), next_close=at(4, 16),
                             last_close=at(3, 16))
    assert run(started_at_eight).step is Step.AFTER_CLOSE


def test_after_close_runs_once_the_same_evening() -> None:
    evening = times(at(4, 16, 20), is_open=False, next_open=at(5, 9, 30), next_close=at(5, 16), last_close=at(4, 16))
    p = run(evening)
    assert p.step is Step.AFTER_CLOSE and p.session == date(2019, 6, 4)
    assert run(evening, closes_done=frozenset({date(2019, 6, 4)})).step is Step.WAIT
    too_early = run(times(at(4, 16, 5), is_open=False, next_open=at(5, 9, 30), next_close=at(5, 16),
                          last_close=at(4, 16)))
    assert too_early.step is Step.WAIT and too_early.wait == 600


def test_once_the_next_cycle_is_due_the_cycle_does_the_after_close_work() -> None:
    morning = times(at(5, 9, 5), is_open=False, next_open=at(5, 9, 30), next_close=at(5, 16), last_close=at(4, 16))
    assert run(morning).step is Step.CYCLE
    assert run(morning, cycles_done=frozenset({date(2019, 6, 5)})).step is Step.WAIT
    assert run(morning, cycles=False).step is Step.AFTER_CLOSE  # `trade watch` has no cycle to rely on


@given(now=st.integers(0, 3 * 24 * 60), minutes_before=st.integers(0, 120))
def test_never_a_cycle_for_a_session_already_done_nor_before_its_time(now, minutes_before) -> None:
    moment = at(3, 0) + timedelta(minutes=now)
    next_open = at(3, 9, 30) if moment < at(3, 9, 30) else at(4, 9, 30) if moment < at(4, 9, 30) else at(5, 9, 30)
    is_open = any(at(d, 9, 30) <= moment < at(d, 16) for d in (3, 4, 5))
    t = times(moment, is_open=is_open, next_open=next_open, next_close=next_open.replace(hour=16))
    done = frozenset({next_open.date()}) if now % 2 else frozenset()
    p = plan(t, minutes_before_open=minutes_before, after_close_minutes=15, cycles=True, cycles_done=done)
    if p.step is Step.CYCLE:
        assert p.session not in done and moment >= next_open - timedelta(minutes=minutes_before)
        assert p.session == next_open.date()  # never the session already trading
    assert p.wait >= 0
