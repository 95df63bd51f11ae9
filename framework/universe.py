"""The symbol universe: one fixed, sorted order of symbols that every vector in the core follows.

Sizing, risk and the portfolio's views work on float arrays aligned to a :class:`Universe`
(position ``i`` is ``symbols[i]`` everywhere), so a bar costs a handful of numpy operations
instead of a cascade of labelled pandas alignments. Labels come back only at the edges
(:meth:`Universe.series`) for people, reports and tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False, slots=True)
class Universe:
    """Sorted, unique symbols and their positions."""

    symbols: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if list(self.symbols) != sorted(set(self.symbols)):
            raise ValueError("a universe's symbols must be sorted and unique (use Universe.of)")
        object.__setattr__(self, "_index", {s: i for i, s in enumerate(self.symbols)})

    @classmethod
    def of(cls, symbols: Iterable[str]) -> Universe:
        return cls(tuple(sorted(set(symbols))))

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Universe) and other.symbols == self.symbols

    def __hash__(self) -> int:
        return hash(self.symbols)

    @property
    def positions(self) -> Mapping[str, int]:
        """Each symbol's index (read-only by contract: a view of the universe's own map, for a
        caller that looks up many symbols or tests a set of them at once)."""
        return self._index

    def position(self, symbol: str) -> int:
        """The index of ``symbol``; KeyError names it when it is not in the universe."""
        return self._index[symbol]

    def vector(self, values: Mapping[str, float] | pd.Series, fill: float = np.nan) -> np.ndarray:
        """A float array in universe order; symbols not in ``values`` get ``fill``, and
        symbols of ``values`` outside the universe are ignored."""
        out = np.full(len(self.symbols), fill, dtype=float)
        index = self._index
        for symbol, value in values.items():
            i = index.get(symbol)
            if i is not None:
                out[i] = value
        return out

    def series(self, values: np.ndarray, *, drop: float | None = None) -> pd.Series:
        """Labelled view of an aligned array (``drop``: leave out entries equal to it)."""
        s = pd.Series(np.asarray(values, dtype=float), index=pd.Index(self.symbols, dtype=object))
        return s[s != drop] if drop is not None else s

    def extended(self, symbols: Iterable[str]) -> Universe:
        """This universe plus ``symbols`` (itself when nothing is new)."""
        extra = [s for s in symbols if s not in self._index]
        return self if not extra else Universe.of((*self.symbols, *extra))

    def take(self, values: np.ndarray, source: Universe, fill: float = np.nan) -> np.ndarray:
        """Re-align ``values`` (in ``source`` order) to this universe."""
        if source is self or source.symbols == self.symbols:
            return values
        out = np.full(len(self.symbols), fill, dtype=float)
        for i, symbol in enumerate(source.symbols):
            j = self._index.get(symbol)
            if j is not None:
                out[j] = values[i]
        return out


__all__ = ["Universe"]
