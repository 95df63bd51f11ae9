"""When the long-running `trade paper` (and `trade watch`) does what, as pure policy on the
venue's clock: the caller reads ``/v2/clock`` (and the calendar), asks :func:`plan`, does the
step and waits.

- **cycle** for session D: ``paper.minutes_before_open`` before D's open, once. Started while a
  session is open, the next cycle is the *next* session's (``next_open`` is tomorrow's then): the
  runner never trades mid-session.
- **after close** of session D: ``paper.after_close_minutes`` after D's close, once, until the
  next cycle is due (which would do its work anyway): the day's fills and equity reach the
  journal the same evening.
- the **loss watch** runs while the market is open, on its own interval (the caller's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from framework.venue_time import VENUE_ZONE


class Step(StrEnum):
    CYCLE = "cycle"
    AFTER_CLOSE = "after_close"
    WAIT = "wait"


@dataclass(frozen=True, slots=True)
class VenueTimes:
    """One reading of the venue's clock; ``last_close``: the close of the latest session that
    closed at or before ``now`` (from the calendar; None when unknown)."""

    now: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime
    last_close: datetime | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    step: Step
    session: date | None  # the session the step is for
    wait: float  # seconds until the next scheduled step (0 when ``step`` is due now)
    next_cycle: date  # the session the next cycle trades
    cycle_in: float  # seconds until that cycle is due


def session_of(moment: datetime) -> date:
    return moment.astimezone(VENUE_ZONE).date()


def plan(t: VenueTimes, *, minutes_before_open: float, after_close_minutes: float, cycles: bool,
         cycles_done: frozenset[date] = frozenset(), closes_done: frozenset[date] = frozenset()) -> Plan:
    """The step due now (or WAIT) and how long until the next one."""
    next_cycle = session_of(t.next_open)
    cycle_at = t.next_open - timedelta(minutes=minutes_before_open)
    cycle_in = max((cycle_at - t.now).total_seconds(), 0.0)
    waits: list[float] = []
    if cycles and next_cycle not in cycles_done:
        if cycle_in <= 0:
            return Plan(Step.CYCLE, next_cycle, 0.0, next_cycle, 0.0)
        waits.append(cycle_in)
    if t.last_close is not None and not t.is_open:
        closed = session_of(t.last_close)
        due = t.last_close + timedelta(minutes=after_close_minutes)
        before_next_cycle = t.now < cycle_at or not cycles
        if closed not in closes_done and before_next_cycle:
            until = (due - t.now).total_seconds()
            if until <= 0:
                return Plan(Step.AFTER_CLOSE, closed, 0.0, next_cycle, cycle_in)
            waits.append(until)
    wait = min(waits) if waits else max((t.next_open - t.now).total_seconds(), 0.0)
    return Plan(Step.WAIT, None, wait, next_cycle, cycle_in)


__all__ = ["Plan", "Step", "VenueTimes", "plan", "session_of"]
