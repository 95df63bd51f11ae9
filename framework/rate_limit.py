"""Request pacing, as pure policy: the caller passes the time and does the waiting.

:class:`RequestBudget` is one venue budget (Alpaca: 200 requests a minute per account on the
trading API, a separate budget on market data) shared by everything in the process that spends
it. It never lets a request go unless both agree:

- **the venue's count**: each answer says how many requests are left until the budget refills
  (``X-Ratelimit-Remaining`` / ``X-Ratelimit-Reset``). Requests sent but not yet answered are
  subtracted, so several threads cannot overdraw it; a stale answer never raises the count;
  until the first answer, and after a refusal (HTTP 429, which stops every sender for as long
  as the venue asks), one request goes at a time until an answer gives the count again.
- **a local sliding window**: at most ``limit`` requests in any ``window`` seconds, which holds
  before the first answer and with a venue that sends no counts.

Times are seconds on one monotonic clock of the caller's; the venue's reset arrives as a
duration (the venue's reset minus the venue's own time), so the two clocks are never mixed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MIN_WAIT = 0.001  # a wait is never shorter: the clock always moves past the boundary


@dataclass(frozen=True, slots=True)
class BudgetReport:
    """What one answer said about the budget.

    ``window`` identifies the venue's budget window (its reset, in the venue's unix seconds);
    ``reset_in`` is how long after this answer the budget refills, by the venue's clock.
    """

    limit: int
    remaining: int
    window: float
    reset_in: float


@dataclass(frozen=True, slots=True)
class BudgetView:
    """What a budget knows, for a person: the venue's limit, what the venue last said is left
    (None until it has said), and the requests this process sent in the last window."""

    limit: int
    remaining: int | None
    sent_in_window: int


class RequestBudget:
    """One shared request budget. Not thread-safe: the caller holds a lock around it."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"a budget needs limit >= 1 and window > 0, got {limit}, {window}")
        self.limit, self.window = limit, window
        self.in_flight = 0  # sent, not yet answered
        self._sent: deque[float] = deque()  # send times inside the sliding window
        self._answered = False  # until the first answer, one request at a time
        self._venue_limit = limit
        self._known: int | None = None  # requests the venue still allows (None: not told yet)
        self._window = float("-inf")  # the venue window the count belongs to
        self._turned = False  # that window has ended by our clock; its late answers are stale
        self._refill_at = 0.0  # when the venue's budget refills (caller's clock)
        self._held_until = 0.0  # after a 429: nothing goes out before this

    def reserve(self, now: float) -> float:
        """0.0: go, the request is counted; otherwise seconds to wait before asking again
        (an answer arriving meanwhile may shorten the wait: ask again then)."""
        wait = max(self._held_until - now, self._local_wait(now), self._venue_wait(now))
        if wait > 0:
            return max(wait, MIN_WAIT)
        self._sent.append(now)
        self.in_flight += 1
        if self._known is not None:
            self._known -= 1
        return 0.0

    def settle(self, now: float, report: BudgetReport | None) -> None:
        """A reserved request ended: answered (with the venue's count, if it sent one) or failed."""
        self.in_flight = max(self.in_flight - 1, 0)
        self._answered = True
        if report is None or report.window < self._window:
            return
        left = report.remaining - self.in_flight  # the others may not be counted yet
        refill = now + max(report.reset_in, 0.0)
        if report.window > self._window:
            self._window, self._turned = report.window, False
            self._known, self._refill_at = left, refill
        elif not self._turned:
            self._known = left if self._known is None else min(self._known, left)
            self._refill_at = max(self._refill_at, refill)
        self._venue_limit = report.limit

    def hold(self, now: float, seconds: float) -> None:
        """The venue refused a request for the rate: send nothing for ``seconds``, then one
        request at a time until an answer says what the budget is."""
        self._held_until = max(self._held_until, now + max(seconds, 0.0))
        self._known, self._window, self._turned, self._answered = None, float("-inf"), False, False

    def view(self, now: float) -> BudgetView:
        """Read only: nothing in the budget changes."""
        if self._known is None:
            remaining = None
        elif now >= self._refill_at:
            remaining = self._venue_limit
        else:
            remaining = max(self._known, 0)
        sent = sum(1 for t in self._sent if t + self.window > now)
        return BudgetView(self._venue_limit, remaining, sent)

    def _local_wait(self, now: float) -> float:
        while self._sent and self._sent[0] + self.window <= now:
            self._sent.popleft()
        return 0.0 if len(self._sent) < self.limit else self._sent[0] + self.window - now

    def _venue_wait(self, now: float) -> float:
        if self._known is None:
            return self.window if self.in_flight and not self._answered else 0.0
        if now >= self._refill_at:  # the venue's window has ended: a fresh budget
            self._known = self._venue_limit - self.in_flight
            self._turned = True
            self._refill_at = now + self.window  # until an answer says when it really refills
        return 0.0 if self._known > 0 else self._refill_at - now
