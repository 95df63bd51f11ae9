"""The sandbox's request budget, as Alpaca enforces it: so many requests per API key per window,
trading and market data counted apart; over it, 429.

A window opens with the first request after the previous one ended and ends on a whole unix
second, so the ``X-Ratelimit-Reset`` every answer carries is exactly when the budget refills.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spend:
    """One request's outcome: allowed or not, and the headers to send with the answer."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # unix seconds

    def headers(self) -> dict[str, str]:
        return {"X-Ratelimit-Limit": str(self.limit), "X-Ratelimit-Remaining": str(self.remaining),
                "X-Ratelimit-Reset": str(self.reset)}


class RequestBudgets:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}  # (key, api) -> (ends, used)
        self.refused = 0  # observability, tests

    def spend(self, key: str, api: str) -> Spend:
        now = self._clock()
        ends, used = self._windows.get((key, api), (0, 0))
        if now >= ends:
            ends, used = math.ceil(now + self.window), 0
        if used >= self.limit:
            self.refused += 1
            return Spend(False, self.limit, 0, ends)
        self._windows[(key, api)] = (ends, used + 1)
        return Spend(True, self.limit, self.limit - used - 1, ends)

    def retry_after(self, spend: Spend) -> int:
        """Whole seconds until the refused budget refills (at least 1)."""
        return max(math.ceil(spend.reset - self._clock()), 1)
