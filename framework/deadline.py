"""The deadline a piece of work runs under (a paper cycle's), visible to the layers under it that
wait — the HTTP session's waits before retrying a read, which a rate limit can make long — without
passing it through every call. A wait longer than what is left fails at once, naming the deadline,
instead of sleeping past it (the caller's deadline is otherwise only checked between calls)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from framework.errors import TransientBrokerError


class DeadlineExceeded(TransientBrokerError):
    """A wait was refused because it would end after the deadline the work runs under."""


@dataclass(frozen=True, slots=True)
class Bound:
    """``name`` says which deadline, for a person (``cycle deadline (paper.cycle_deadline_seconds
    = 300 s)``); ``left`` reads the seconds left on the deadline's own clock."""

    name: str
    left: Callable[[], float]

    def refuse(self, wait: float, what: str) -> DeadlineExceeded | None:
        """The error to raise if waiting ``wait`` seconds would outlast the deadline, else None."""
        left = self.left()
        if wait <= left:
            return None
        return DeadlineExceeded(f"{what}: would wait {wait:.1f} s, but only {left:.1f} s is left of the {self.name}")


_current: ContextVar[Bound | None] = ContextVar("deadline", default=None)


@contextmanager
def bounded(bound: Bound) -> Iterator[Bound]:
    """Run the block under ``bound`` (in this thread / context)."""
    token = _current.set(bound)
    try:
        yield bound
    finally:
        _current.reset(token)


def current() -> Bound | None:
    return _current.get()


__all__ = ["Bound", "DeadlineExceeded", "bounded", "current"]
