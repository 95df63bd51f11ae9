"""The shared request budget (pure policy) against a simulated venue that enforces a fixed
window per key, like Alpaca and the sandbox: threads interleaved, answers late and out of
order, the venue's clock offset from ours and its Date header cut to whole seconds."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.sandbox.budget import RequestBudgets
from framework.rate_limit import BudgetReport, RequestBudget
from framework.retry import RetryPolicy


@dataclass
class Venue:
    """A fixed-window budget on its own clock (ours + offset); answers as Alpaca's headers."""

    limit: int
    window: float
    offset: float
    now: float = 0.0
    refused: int = 0
    budgets: RequestBudgets = field(init=False)

    def __post_init__(self) -> None:
        self.budgets = RequestBudgets(self.limit, self.window, clock=lambda: self.now + self.offset)

    def answer(self, at: float) -> BudgetReport:
        self.now = at
        spend = self.budgets.spend("key", "trading")
        self.refused += not spend.allowed
        date = math.floor(at + self.offset)  # the Date header: whole seconds, the venue's clock
        return BudgetReport(spend.limit, spend.remaining, spend.reset, spend.reset - date)


def simulate(budget: RequestBudget, venue: Venue, threads: list[list[tuple[float, float, float]]]
             ) -> list[float]:
    """Each thread sends its requests one after another: (think, to venue, back) seconds.

    Returns the send times. A waiting thread asks again when told, or when an answer arrives.
    """
    events: list[tuple[float, int, str, int, int]] = []  # (time, seq, kind, thread, generation)
    seq = 0
    generation = [0] * len(threads)  # only a thread's latest "ask" counts

    def push(t: float, kind: str, thread: int) -> None:
        nonlocal seq
        if kind == "ask":
            generation[thread] += 1
        heapq.heappush(events, (t, seq, kind, thread, generation[thread]))
        seq += 1

    position = [0] * len(threads)
    waiting: set[int] = set()
    sent: list[float] = []
    pending: dict[int, BudgetReport] = {}
    for i, plan in enumerate(threads):
        push(plan[0][0], "ask", i)
    while events:
        now, _, kind, i, gen = heapq.heappop(events)
        if kind == "arrive":
            pending[i] = venue.answer(now)
        elif kind == "answer":
            budget.settle(now, pending.pop(i))
            position[i] += 1
            if position[i] < len(threads[i]):
                push(now + threads[i][position[i]][0], "ask", i)
            for j in sorted(waiting):
                push(now, "ask", j)
            waiting.clear()
        elif gen == generation[i]:
            wait = budget.reserve(now)
            if wait > 0:
                waiting.add(i)
                push(now + wait, "ask", i)
                continue
            waiting.discard(i)
            sent.append(now)
            _, there, back = threads[i][position[i]]
            push(now + there, "arrive", i)
            push(now + there + back, "answer", i)
    return sent


step = st.tuples(st.floats(0, 2), st.floats(0, 0.5), st.floats(0, 0.5))


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 8), window=st.sampled_from([1.0, 2.0, 5.0]),
       local=st.integers(1, 30), offset=st.floats(-1e6, 1e6),
       threads=st.lists(st.lists(step, min_size=1, max_size=25), min_size=1, max_size=4))
def test_budget_is_never_overdrawn_and_every_request_goes(limit, window, local, offset, threads):
    venue = Venue(limit, window, offset)
    budget = RequestBudget(local, window=60.0)

    sent = simulate(budget, venue, threads)

    assert venue.refused == 0  # the venue never had to say 429
    assert len(sent) == sum(map(len, threads))  # and nothing was starved
    assert all(a + 60.0 <= b or j - i < local  # at most `local` in any 60 s
               for i, a in enumerate(sent) for j, b in enumerate(sent) if j > i)


def test_without_venue_counts_the_local_window_holds():
    budget = RequestBudget(3, window=10.0)
    for t in (0.0, 1.0, 2.0):
        assert budget.reserve(t) == 0.0
        budget.settle(t, None)
    assert budget.reserve(3.0) == pytest.approx(7.0)  # the first send leaves the window at 10
    assert budget.reserve(10.0) == 0.0


def test_the_first_request_probes_alone_until_an_answer():
    budget = RequestBudget(100)
    assert budget.reserve(0.0) == 0.0
    assert budget.reserve(0.0) > 0  # a second sender waits for what the venue says
    budget.settle(0.1, BudgetReport(200, 150, 1_000_060, 59.0))
    assert budget.reserve(0.1) == 0.0


def test_a_stale_answer_never_raises_the_count():
    budget = RequestBudget(100)
    assert budget.reserve(0.0) == 0.0  # the probe
    budget.settle(0.1, BudgetReport(10, 5, 500, 30.0))
    assert budget.reserve(0.1) == 0.0 and budget.reserve(0.1) == 0.0  # 3 left, 2 in flight
    budget.settle(0.2, BudgetReport(10, 3, 500, 30.0))  # the other may not be counted: 2 left
    budget.settle(0.3, BudgetReport(10, 9, 500, 30.0))  # an older answer, arriving late
    assert budget.reserve(0.4) == 0.0 and budget.reserve(0.4) == 0.0
    assert budget.reserve(0.4) == pytest.approx(29.9)  # spent until the venue's reset


def test_a_refusal_stops_every_sender_for_retry_after_then_probes():
    budget = RequestBudget(100)
    budget.reserve(0.0)
    budget.settle(0.1, BudgetReport(200, 0, 1_000_060, 50.0))
    budget.hold(0.1, 2.0)
    assert budget.reserve(1.0) == pytest.approx(1.1)
    assert budget.reserve(2.2) == 0.0  # the venue asked for 2 s: one probe then
    assert budget.reserve(2.2) > 0


@pytest.mark.parametrize(("failed", "elapsed", "draw", "expected"), [
    (1, 0.0, 0.0, 0.25), (1, 0.0, 1.0, 0.5), (3, 0.0, 1.0, 2.0), (10, 0.0, 1.0, None),
    (2, 9.9, 1.0, None), (1, 0.0, 0.0, 3.0),
])
def test_retry_delay_doubles_with_jitter_within_attempts_and_deadline(failed, elapsed, draw,
                                                                      expected):
    policy = RetryPolicy(attempts=6, initial=0.5, maximum=4.0, deadline=10.0)
    floor = 3.0 if expected == 3.0 else 0.0
    assert policy.delay(failed, elapsed, draw, floor) == expected


@given(failed=st.integers(1, 20), elapsed=st.floats(0, 100), draw=st.floats(0, 1, exclude_max=True))
def test_retry_delay_is_bounded(failed, elapsed, draw):
    policy = RetryPolicy(attempts=5, initial=0.1, maximum=2.0, deadline=30.0)
    wait = policy.delay(failed, elapsed, draw)
    if wait is not None:
        assert 0.05 <= wait <= 2.0 and elapsed + wait <= 30.0 and failed < 5
