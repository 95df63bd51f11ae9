"""When to try a failed request again, as pure policy: exponential backoff with jitter, bounded
by a number of attempts and by a total deadline. The caller supplies the elapsed time and the
random draw, and does the waiting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts every try, the first included; ``deadline`` is seconds from the first."""

    attempts: int = 6
    initial: float = 0.5
    maximum: float = 30.0
    deadline: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.initial <= 0 or self.maximum < self.initial:
            raise ValueError(f"invalid retry policy: {self}")
        if self.deadline < 0:
            raise ValueError(f"invalid retry policy: {self}")

    def delay(self, failed: int, elapsed: float, draw: float, floor: float = 0.0) -> float | None:
        """Seconds to wait before the next try after try number ``failed`` (1-based) failed,
        ``elapsed`` seconds after the first began; None: give up.

        ``draw`` in [0, 1) spreads the wait over [½, 1] of the backoff so that clients that
        failed together do not come back together; ``floor`` is the least the venue asked for
        (``Retry-After``, a rate limit's reset). The deadline bounds the retries of failures: a
        wait the venue asked for is honoured whatever is left of it (the caller leaves such waits
        out of ``elapsed``; a cycle's own deadline bounds the whole).
        """
        if failed >= self.attempts:
            return None
        backoff = min(self.maximum, self.initial * 2.0 ** (failed - 1))
        wait = max(floor, backoff * (0.5 + draw / 2))
        if floor > 0 and wait == floor:
            return wait
        return None if elapsed + wait > self.deadline else wait
