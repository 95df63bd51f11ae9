"""Portfolio accounting: positions, cash, realised/unrealised P&L, exposures, reconciliation.

Money is Decimal so ``cash + Σ qty × price == equity`` holds exactly after any sequence of
fills; sizing and risk work on float views of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from operator import mul

import numpy as np
import pandas as pd

from framework.exits import session_date
from framework.fills import Fill
from framework.positions import Position
from framework.universe import Universe
from framework.venue.corporate import ActionKind, CorporateAction, dividend_cash, split_price, split_quantity

ZERO = Decimal(0)
NOT_OPEN = np.datetime64("NaT", "D")


COST_STEP = Decimal("1e-10")


@lru_cache(maxsize=16384)
def _float_decimal(price: float) -> Decimal:
    """``Decimal(str(price))`` of a non-zero float (±0.0 are one key: not cached): a holding's
    mark recurs bar after bar, each converted once."""
    return Decimal(str(price))


def _as_mark(price: float | Decimal) -> Decimal:
    """A price as the books keep a mark: a float's shortest text as a Decimal (memoised)."""
    return _float_decimal(price) if type(price) is float and price else Decimal(str(price))


@dataclass
class Holding:
    """Signed quantity and signed cost basis (qty × average price paid).

    Keeping the cost basis, not the average, makes realised + unrealised P&L exact: the cost
    taken out on a close plus the cost left always add up to what was paid.
    """

    qty: Decimal = ZERO
    cost: Decimal = ZERO
    high_water: Decimal = ZERO  # best price since entry (trailing stops)
    opened: np.datetime64 = NOT_OPEN  # the session it was opened in from flat (the exits hook)
    _floats: tuple[Decimal, Decimal, Decimal, tuple[float, float, float]] | None = field(
        default=None, init=False, repr=False, compare=False)
    _avg: tuple[Decimal, Decimal, Decimal] | None = field(default=None, init=False, repr=False, compare=False)
    _texts: tuple[Decimal, Decimal, tuple[str, str]] | None = field(default=None, init=False, repr=False,
                                                                    compare=False)

    @property
    def avg_cost(self) -> Decimal:
        """cost ÷ qty, divided again only when either changed (read for every holding at every
        decision and journaled with it)."""
        memo = self._avg
        if memo is not None and memo[0] is self.qty and memo[1] is self.cost:
            return memo[2]
        value = self.cost / self.qty if self.qty else ZERO
        self._avg = (self.qty, self.cost, value)
        return value

    def floats(self) -> tuple[float, float, float]:
        """Quantity, average cost and high-water mark as floats (the decision's view), converted
        again only when one of them changed: a holding keeps the same Decimals bar after bar."""
        memo = self._floats
        if memo is not None and memo[0] is self.qty and memo[1] is self.cost and memo[2] is self.high_water:
            return memo[3]
        view = (float(self.qty), float(self.avg_cost), float(self.high_water))
        self._floats = (self.qty, self.cost, self.high_water, view)
        return view


    def lift_high_water(self, mark: Decimal) -> None:
        """The best mark since entry (trailing stops): the highest for a long, the lowest for a short."""
        self.high_water = max(self.high_water, mark) if self.qty > 0 else min(self.high_water or mark, mark)

    def value(self, mark: Decimal | None) -> Decimal:
        """Market value at ``mark``; at cost where there is no mark yet."""
        return self.cost if mark is None else self.qty * mark

    def texts(self) -> tuple[str, str]:
        """Quantity and average cost as journaled (``str`` of the Decimals), converted again only
        when either changed: every holding is journaled at every decision."""
        memo = self._texts
        if memo is not None and memo[0] is self.qty and memo[1] is self.cost:
            return memo[2]
        view = (str(self.qty), str(self.avg_cost))
        self._texts = (self.qty, self.cost, view)
        return view


class _Layout:
    """The holdings as a decision reads them, fixed until a fill, split, adoption or restored
    high-water changes one (the books then drop it): a hold day reuses it, so a bar's marks,
    high-water lifts, views and value are a few array operations, not a pass of Python per
    holding. Decimal stays the truth; the float arrays are views of it, as :meth:`Holding.floats`."""

    __slots__ = ("_at", "_rows", "_universe", "best", "high", "holdings", "opened", "qtys", "side", "symbols", "views")

    def __init__(self, holdings: Mapping[str, Holding]) -> None:
        self.symbols = list(holdings)
        self.holdings = list(holdings.values())
        self.qtys = [h.qty for h in self.holdings]
        self.opened = np.array([h.opened for h in self.holdings], dtype=NOT_OPEN.dtype)
        # rows: quantity, average cost, high-water (the float views), one column a holding
        self.views = np.array([h.floats() for h in self.holdings], dtype=float).reshape(-1, 3).T.copy()
        self.high = self.views[2]
        self.side = np.where(self.views[0] > 0, 1.0, -1.0)
        # the high-water as "more is better" (negated for a short; a short without one: -inf, any
        # mark is its first): one comparison with side × price finds a new best or a tie
        self.best = np.where((self.side < 0) & (self.high == 0), -np.inf, self.side * self.high)
        self._rows: list[tuple[str, str, str]] | None = None
        self._universe: Universe | None = None
        self._at = np.zeros(0, dtype=np.intp)

    def at(self, universe: Universe) -> np.ndarray:
        """Each holding's position in ``universe`` (every holding is in a decision's universe:
        a KeyError names the one that is not); looked up again only for another universe."""
        if self._universe is not universe:
            index = universe.positions
            self._at = np.fromiter((index[s] for s in self.symbols), dtype=np.intp, count=len(self.symbols))
            self._universe = universe
        return self._at

    def lift(self, marks: list[Decimal | None], prices: np.ndarray) -> None:
        """:meth:`Holding.lift_high_water` over the arrays. Rounding to a float keeps the order
        of Decimals, so a float mark strictly beyond the float high-water (above it for a long,
        below for a short, or a short without one) is a new best: the mark itself; one strictly
        inside cannot lift it; only a tie is decided by the Decimal rule. (A price's float is its
        mark's: the mark is that float's shortest text. NaN, no mark, compares as neither.)"""
        signed, best, holdings = self.side * prices, self.best, self.holdings
        for j in np.flatnonzero(signed >= best).tolist():
            h = holdings[j]
            if signed[j] > best[j]:
                h.high_water = marks[j]  # type: ignore[assignment]  # priced: a mark
                self._set_high(j, float(prices[j]))
            else:
                h.lift_high_water(marks[j])  # type: ignore[arg-type]
                self._set_high(j, float(h.high_water))

    def _set_high(self, j: int, high: float) -> None:
        """Holding ``j``'s float high-water and its "more is better" key (a short at 0 has none)."""
        side = self.side[j]
        self.high[j] = high
        self.best[j] = -np.inf if side < 0 and not high else side * high

    def rows(self) -> list[tuple[str, str, str]]:
        """Symbol, quantity and average cost as journaled, in symbol order (the texts of
        :meth:`Holding.texts`, collected once for the layout)."""
        if self._rows is None:
            self._rows = sorted((s, *h.texts()) for s, h in zip(self.symbols, self.holdings, strict=True))
        return self._rows


def _valued(layout: _Layout, marks: list[Decimal | None], complete: bool) -> Decimal:
    """Σ :meth:`Holding.value` at ``marks`` (in holding order, from zero: the same sum, to the
    last digit, as one holding at a time); ``complete``: every holding has a mark (none is None,
    said by the caller: ``None in marks`` would compare each Decimal with None)."""
    if complete:
        return sum(map(mul, layout.qtys, marks), ZERO)  # type: ignore[arg-type]
    return sum((h.value(p) for h, p in zip(layout.holdings, marks, strict=True)), ZERO)


@dataclass(frozen=True, slots=True)
class Difference:
    """One disagreement between our books and the broker's."""

    symbol: str
    field: str
    ours: Decimal
    broker: Decimal

    def __str__(self) -> str:
        return f"{self.symbol}: {self.field} ours={self.ours} broker={self.broker}"


class Portfolio:
    def __init__(self, cash: Decimal | float | int) -> None:
        self.initial_cash = Decimal(str(cash))
        self.cash = self.initial_cash
        self.holdings: dict[str, Holding] = {}
        self.prices: dict[str, Decimal] = {}
        self.realised = ZERO
        self.commissions = ZERO
        self._seen: set[str] = set()
        # the books' version: every change to a holding or a mark moves it (a holding's value is
        # then recomputed; a bar without a fill after its decision reuses the decision's sum)
        self._version = 0
        self._value: tuple[int, Decimal] | None = None  # positions_value at a version
        self._layout: _Layout | None = None  # the holdings' arrays; dropped whenever a holding changes

    # -- fills ----------------------------------------------------------------------------

    def apply_fill(self, fill: Fill) -> bool:
        """Apply one fill; a fill seen before (same execution id) is ignored → False."""
        if fill.execution_id in self._seen:
            return False
        self._seen.add(fill.execution_id)
        self._version += 1
        self._layout = None
        h = self.holdings.setdefault(fill.symbol, Holding())
        signed = fill.signed_qty
        if h.qty == 0:
            h.opened = session_date(fill.timestamp)
        if h.qty == 0 or (h.qty > 0) == (signed > 0):
            h.cost += signed * fill.price
            h.qty += signed
        else:
            closed = min(abs(signed), abs(h.qty))
            direction = Decimal(1) if h.qty > 0 else Decimal(-1)
            removed = (h.cost * closed / abs(h.qty)).quantize(COST_STEP)
            self.realised += direction * closed * fill.price - removed
            h.cost -= removed
            h.qty += signed
            if h.qty and (h.qty > 0) != (direction > 0):  # flipped: the rest opens at fill price
                h.cost = h.qty * fill.price
                h.opened = session_date(fill.timestamp)
        if h.qty == 0:
            h.cost = ZERO
            h.high_water = ZERO
        elif h.high_water == 0:
            h.high_water = fill.price
        self.cash -= signed * fill.price + fill.commission
        self.commissions += fill.commission
        self.prices.setdefault(fill.symbol, fill.price)  # until the next mark
        if h.qty == 0:
            del self.holdings[fill.symbol]
            del self.prices[fill.symbol]  # a mark is a holding's: none outlives it
        return True

    def apply_corporate_action(self, action: CorporateAction) -> None:
        """A split rescales a holding's quantity, mark and high-water (its cost basis stays); a
        dividend the venue paid moves cash (a short pays it). Nothing held: nothing changes."""
        h = self.holdings.get(action.symbol)
        if h is None:
            return
        self._version += 1
        self._layout = None
        if action.kind is ActionKind.SPLIT:
            h.qty = split_quantity(h.qty, action.value)
            h.high_water = split_price(h.high_water, action.value)
            if action.symbol in self.prices:
                self.prices[action.symbol] = split_price(self.prices[action.symbol], action.value)
        else:
            self.cash += dividend_cash(h.qty, action.value)

    # -- marks and views ------------------------------------------------------------------

    def mark(self, prices: Mapping[str, float | Decimal]) -> None:
        """Mark the holdings at ``prices`` (missing or NaN: keep the last). Only holdings are
        valued, so only they are converted to Decimal."""
        for symbol in self.holdings:
            price = prices.get(symbol)
            if price is not None and price == price:  # not NaN
                self.prices[symbol] = _as_mark(price)
        self._version += 1
        self._layout = None
        self._mark_high_waters()

    def marked_vectors(self, universe: Universe, prices: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Decimal]:
        """:meth:`mark` at ``prices`` (aligned to ``universe``) then :meth:`vectors`, each
        holding's mark as a float (NaN where none) and :attr:`positions_value` after the marks:
        a decision's views of the books, every bar, over the holdings' arrays (:class:`_Layout`)."""
        n = len(universe)
        views, marks = np.zeros((3, n)), np.full(n, np.nan)
        total = ZERO
        if self.holdings:
            layout = self._arrays()
            at = layout.at(universe)
            bar = prices[at]  # each holding's price, in holding order
            decimals, complete = self._take_marks(layout.symbols, bar)
            layout.lift(decimals, bar)
            views[:, at], marks[at] = layout.views, bar
            total = _valued(layout, decimals, complete)
        qty, avg, high = views
        self._version += 1
        self._value = (self._version, total)
        return qty, avg, high, marks, total

    def _take_marks(self, symbols: list[str], bar: np.ndarray) -> tuple[list[Decimal | None], bool]:
        """Each holding marked at its price in ``bar`` (its Decimal is exactly that float); NaN
        keeps the last mark, if any, whose float is written into ``bar``. The marks, in order, and
        whether every holding has one."""
        marked, values = self.prices, bar.tolist()
        total = sum(values)  # NaN where any price is (an infinite one too: the general path then)
        if total == total and 0.0 not in values:  # non-zero, non-NaN floats: the memo's own path
            decimals: list[Decimal | None] = list(map(_float_decimal, values))
            marked.update(zip(symbols, decimals, strict=True))
            return decimals, True
        decimals = [_as_mark(x) if x == x else marked.get(s)  # x == x: not NaN
                    for s, x in zip(symbols, values, strict=True)]
        for j in np.flatnonzero(np.isnan(bar)).tolist():
            kept = decimals[j]
            if kept is not None:
                bar[j] = float(kept)
        marked.update((s, p) for s, p in zip(symbols, decimals, strict=True) if p is not None)
        return decimals, not np.isnan(bar).any()

    def _arrays(self) -> _Layout:
        """The holdings' arrays, built again after any change to a holding."""
        layout = self._layout
        if layout is None:
            layout = self._layout = _Layout(self.holdings)
        return layout

    def restore_high_waters(self, marks: Iterable[tuple[datetime, str, Decimal]],
                            splits: Iterable[CorporateAction] = ()) -> None:
        """The best mark since entry, from the marks journaled at each decision: fills alone
        know only the entry price, and a restarted process (each `trade paper --once`) must
        trail its stops from the same high as one that never stopped. Marks from before the
        session a holding was opened in belong to an earlier holding and are skipped; a mark
        from before a split is restated in today's shares (a 4-for-1 divides it by 4)."""
        by_symbol: dict[str, list[CorporateAction]] = {}
        for split in splits:
            by_symbol.setdefault(split.symbol, []).append(split)
        for when, symbol, price in marks:
            h = self.holdings.get(symbol)
            day = session_date(when)
            if h is None or np.isnat(h.opened) or day < h.opened:
                continue
            for split in by_symbol.get(symbol, ()):
                if np.datetime64(split.ex_date, "D") > day:
                    price = split_price(price, split.value)
            h.lift_high_water(price)
        self._layout = None

    def _mark_high_waters(self) -> None:
        for symbol, h in self.holdings.items():
            p = self.prices.get(symbol)
            if p is not None:
                h.lift_high_water(p)

    def market_value(self, symbol: str) -> Decimal:
        h = self.holdings.get(symbol)
        if h is None:
            return ZERO
        return h.value(self.prices.get(symbol))

    @property
    def positions_value(self) -> Decimal:
        """Σ :meth:`market_value`, summed in holding order from zero; the sum a decision's
        :meth:`marked_vectors` made while nothing has changed since (a bar's journaled value, most
        bars: its fills come at the next open)."""
        memo = self._value
        if memo is not None and memo[0] == self._version:
            return memo[1]
        prices = self.prices
        if not self.holdings:
            total = ZERO
        else:
            complete = prices.keys() >= self.holdings.keys()
            total = _valued(self._arrays(), [prices.get(s) for s in self.holdings], complete)
        self._value = (self._version, total)
        return total

    @property
    def equity(self) -> Decimal:
        return self.cash + self.positions_value

    @property
    def unrealised(self) -> Decimal:
        return sum((self.market_value(s) - h.cost for s, h in self.holdings.items()), ZERO)

    def journal_rows(self) -> list[tuple[str, str, str, str | None]]:
        """Each holding as the journal's positions table keeps it, in symbol order: symbol,
        quantity, average cost, mark (``str`` of the Decimals; None where no mark)."""
        if not self.holdings:
            return []
        prices = self.prices
        return [(s, qty, avg, None if (p := prices.get(s)) is None else str(p))
                for s, qty, avg in self._arrays().rows()]

    def vectors(self, universe: Universe) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Signed quantity, average cost and high-water mark of each symbol, aligned to
        ``universe`` (0 where nothing is held)."""
        views = np.zeros((3, len(universe)))
        if self.holdings:
            layout = self._arrays()
            views[:, layout.at(universe)] = layout.views
        qty, avg, high = views
        return qty, avg, high

    def entries(self, universe: Universe) -> np.ndarray:
        """The session each position was opened in, aligned to ``universe`` (NaT where flat)."""
        opened = np.full(len(universe), NOT_OPEN)
        if self.holdings:
            layout = self._arrays()
            opened[layout.at(universe)] = layout.opened
        return opened

    def quantity_vector(self, universe: Universe) -> np.ndarray:
        qty = np.zeros(len(universe))
        for symbol, h in self.holdings.items():
            qty[universe.position(symbol)] = float(h.qty)
        return qty

    def quantities(self) -> pd.Series:
        return pd.Series({s: float(h.qty) for s, h in sorted(self.holdings.items())}, dtype=float)

    def avg_costs(self) -> pd.Series:
        return pd.Series({s: float(h.avg_cost) for s, h in sorted(self.holdings.items())}, dtype=float)

    def high_waters(self) -> pd.Series:
        return pd.Series({s: float(h.high_water) for s, h in sorted(self.holdings.items())}, dtype=float)

    def exposure_by_symbol(self) -> pd.Series:
        eq = float(self.equity) or 1.0
        return pd.Series({s: float(self.market_value(s)) / eq for s in sorted(self.holdings)}, dtype=float)

    def exposure_by_sector(self, sectors: Mapping[str, str]) -> pd.Series:
        by_symbol = self.exposure_by_symbol()
        if by_symbol.empty:
            return by_symbol
        keys = [sectors.get(s, "Unknown") for s in by_symbol.index]
        return by_symbol.abs().groupby(keys).sum()

    def positions(self) -> list[Position]:
        return [Position(s, h.qty, h.avg_cost, self.prices.get(s)) for s, h in sorted(self.holdings.items())]

    # -- reconciliation -------------------------------------------------------------------

    def reconcile(
        self,
        broker_positions: Iterable[Position],
        broker_cash: Decimal | None = None,
        cash_tolerance: Decimal = Decimal("0.01"),
    ) -> list[Difference]:
        """Every difference between our books and the broker's snapshot."""
        theirs = {p.symbol: p for p in broker_positions if p.qty != 0}
        diffs: list[Difference] = []
        for symbol in sorted(set(theirs) | set(self.holdings)):
            ours = self.holdings.get(symbol, Holding()).qty
            broker = theirs[symbol].qty if symbol in theirs else ZERO
            if ours != broker:
                diffs.append(Difference(symbol, "qty", ours, broker))
        if broker_cash is not None and abs(self.cash - broker_cash) > cash_tolerance:
            diffs.append(Difference("*", "cash", self.cash, broker_cash))
        return diffs

    def adopt(self, broker_positions: Iterable[Position], broker_cash: Decimal | None = None,
              when: datetime | None = None) -> None:
        """Make the broker's snapshot our truth (after a reported reconciliation) at ``when``."""
        theirs = {p.symbol: p for p in broker_positions if p.qty != 0}
        for symbol in sorted(set(self.holdings) | set(theirs)):
            p = theirs.get(symbol)
            if p is None:
                self.set_position(symbol, ZERO, ZERO)
            else:
                self.set_position(symbol, p.qty, p.avg_entry_price, p.market_price, when=when)
        if broker_cash is not None:
            self.cash = broker_cash

    def set_position(self, symbol: str, qty: Decimal, avg_cost: Decimal, mark: Decimal | None = None,
                     when: datetime | None = None) -> None:
        """One position as the broker reports it (a reconciliation adoption, or its replay).
        A position on the same side keeps its entry session; one we did not hold (or held on the
        other side) is counted from ``when``, the adoption (unknown without it)."""
        self._version += 1
        self._layout = None
        if qty == 0:
            self.holdings.pop(symbol, None)
            self.prices.pop(symbol, None)
            return
        current = self.holdings.get(symbol)
        same_side = current is not None and (current.qty > 0) == (qty > 0)
        keep_high = same_side and current is not None and current.high_water
        high = current.high_water if keep_high and current is not None else (mark or avg_cost)
        if same_side and current is not None:
            opened = current.opened
        else:
            opened = session_date(when) if when is not None else NOT_OPEN
        self.holdings[symbol] = Holding(qty, qty * avg_cost, high, opened)
        if mark is not None:
            self.prices[symbol] = mark
        else:
            self.prices.setdefault(symbol, avg_cost)
