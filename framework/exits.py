"""Position-aware exits: what a plugin's ``exits`` hook sees, and how its answer becomes targets.

A plugin that overrides :meth:`framework.strategy.Strategy.exits` is asked at every decision, in
a backtest and in paper trading alike (the planner calls it, before risk), which of the
positions held it wants closed. It sees each position's entry session and price, the current
price, its P&L and how many sessions it has been held; the symbols it returns are closed at the
next open (order tag ``exit``, risk decision ``exit_rule``). Nothing is asked of a plugin that
does not override the hook, and the view is built from the bar's arrays only (no history is
sliced), so the hook costs what the plugin's own code costs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from framework.errors import StrategyError

#: (positions, decision session) -> the symbols to close
ExitRule = Callable[["PositionsView", pd.Timestamp], Collection[str]]


@dataclass(frozen=True, slots=True)
class PositionInfo:
    """One held position as the exits hook sees it (prices as traded)."""

    symbol: str
    quantity: float  # signed: negative is short
    entry_session: pd.Timestamp  # the session it was opened in (from flat), a naive date
    entry_price: float  # average cost
    price: float  # the decision price (the last known price when the symbol has no bar)
    sessions_held: int  # sessions from the entry session to the decision, both counted

    @property
    def pnl(self) -> float:
        """Unrealised P&L in currency."""
        return (self.price - self.entry_price) * self.quantity

    @property
    def pnl_pct(self) -> float:
        """Unrealised P&L as a fraction of the cost (0.05 = +5%), for longs and shorts alike."""
        cost = abs(self.entry_price * self.quantity)
        return self.pnl / cost if cost else 0.0

    @property
    def is_long(self) -> bool:
        return self.quantity > 0


@dataclass(frozen=True)
class PositionsView(Mapping[str, PositionInfo]):
    """The positions held at a decision, by symbol (read-only)."""

    session: pd.Timestamp
    positions: Mapping[str, PositionInfo] = field(default_factory=dict)

    def __getitem__(self, symbol: str) -> PositionInfo:
        return self.positions[symbol]

    def __iter__(self) -> Iterator[str]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


class SessionCounter:
    """Sessions between two dates on the exchange's calendar (``data.calendar``), looked up in
    an array loaded once and widened when a date falls outside it."""

    def __init__(self, calendar: str) -> None:
        self.calendar = calendar
        self._days = np.array([], dtype="datetime64[D]")

    def _cover(self, first: np.datetime64, last: np.datetime64) -> None:
        if len(self._days) and self._days[0] <= first and self._days[-1] >= last:
            return
        from framework.data.sessions import sessions

        lo = min(first, self._days[0]) if len(self._days) else first
        hi = max(last, self._days[-1]) if len(self._days) else last
        start = pd.Timestamp(lo) - pd.Timedelta(days=400)
        end = pd.Timestamp(hi) + pd.Timedelta(days=400)
        self._days = sessions(self.calendar, start, end).to_numpy().astype("datetime64[D]")

    def held(self, entries: np.ndarray, session: date) -> np.ndarray:
        """Sessions from each entry date to ``session``, both counted (1 on the entry session)."""
        entries = np.asarray(entries, dtype="datetime64[D]")
        today = np.datetime64(session, "D")
        known = entries[~np.isnat(entries)]
        self._cover(min(known.min(), today) if known.size else today, today)
        end = np.searchsorted(self._days, today, side="right")
        start = np.searchsorted(self._days, np.where(np.isnat(entries), today, entries), side="left")
        return np.where(np.isnat(entries), 0, np.maximum(end - start, 0)).astype(int)


def session_date(when: datetime) -> np.datetime64:
    """The New York date of a venue time: the session a fill or an adoption belongs to."""
    from framework.data.sessions import NEW_YORK

    return np.datetime64(when.astimezone(NEW_YORK).date(), "D")


def checked_answer(name: str, answer: object, positions: PositionsView, session: pd.Timestamp) -> frozenset[str]:
    """A set of held symbols; anything else is the plugin's bug, named with the date."""
    if answer is None:
        return frozenset()
    if isinstance(answer, str) or not isinstance(answer, Iterable):
        raise StrategyError(f"strategy {name!r} exits() returned {type(answer).__name__} on {session.date()}, "
                            "expected a set of symbols")
    symbols = frozenset(answer)
    odd = sorted(s for s in symbols if not isinstance(s, str) or s not in positions)
    if odd:
        raise StrategyError(f"strategy {name!r} exits() returned {odd[:5]} on {session.date()}: not held "
                            f"(held: {', '.join(sorted(positions)) or 'nothing'})")
    return symbols


@dataclass(frozen=True, eq=False)
class ExitHook:
    """The planner's side of the hook: a view of the bar's positions in, a mask of exits out."""

    rule: ExitRule
    counter: SessionCounter

    def view(self, session: datetime, symbols: tuple[str, ...] | list[str], held: np.ndarray,
             opened: np.ndarray, avg_cost: np.ndarray, values: np.ndarray) -> PositionsView:
        day = pd.Timestamp(session_date(session))
        idx = np.flatnonzero(held != 0)
        sessions_held = self.counter.held(opened[idx], day.date()) if idx.size else np.array([], dtype=int)
        positions = {
            symbols[i]: PositionInfo(
                symbols[i], float(held[i]),
                pd.Timestamp(opened[i]) if not np.isnat(opened[i]) else day,
                float(avg_cost[i]), float(values[i]), int(n))
            for i, n in zip(idx, sessions_held, strict=True)
        }
        return PositionsView(day, positions)

    def exits(self, view: PositionsView, symbols: tuple[str, ...] | list[str]) -> np.ndarray:
        wanted = self.rule(view, view.session) if len(view) else frozenset()
        return np.array([s in wanted for s in symbols], dtype=bool)


__all__ = [
    "ExitHook",
    "ExitRule",
    "PositionInfo",
    "PositionsView",
    "SessionCounter",
    "checked_answer",
    "session_date",
]
