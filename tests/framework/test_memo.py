"""framework.memo.cached_property: computed once, then read from the instance (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass

from framework.memo import cached_property


@dataclass(frozen=True)
class Book:
    cash: int

    @cached_property
    def doubled(self) -> list[int]:
        """Twice the cash."""
        calls.append(self.cash)
        return [self.cash * 2]


calls: list[int] = []


def test_computed_on_the_first_read_only_and_kept_on_the_instance() -> None:
    calls.clear()
    book = Book(3)
    first = book.doubled
    assert first == [6] and book.doubled is first and calls == [3]
    assert book.__dict__["doubled"] is first  # a frozen instance too: later reads never reach the descriptor
    other = Book(4)
    assert other.doubled == [8] and calls == [3, 4]
    assert Book.doubled.__doc__ == "Twice the cash."  # type: ignore[attr-defined]
