"""A computed attribute kept on its instance after the first read, without the lock.

``functools.cached_property`` takes a lock at each first read on Python 3.11 (~3 µs); the objects
that use this one (a venue book, a decision's context) are built and read within one thread, many
times a session, and what they compute is a pure function of their fields: two threads computing
it at once would compute the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class cached_property(Generic[T]):
    """The value of ``compute(instance)``, stored in the instance's ``__dict__`` on the first read
    (later reads find it there: the descriptor is not asked again)."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute, self.name, self.__doc__ = compute, compute.__name__, compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


__all__ = ["cached_property"]
