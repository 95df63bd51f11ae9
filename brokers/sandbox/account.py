"""The sandbox account as the venue model judges it and as Alpaca shows it.

:func:`venue_book` is the account as :class:`~framework.venue.VenueBook` (cash, positions at the
latest trade, working orders, prices of the symbols they name): what every order is judged
against, and what the margin figures come from. :class:`AccountView` and :class:`PositionView`
are ``/v2/account`` and ``/v2/positions`` as typed records, written as Alpaca's JSON by
:mod:`brokers.sandbox.wire` only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from brokers.sandbox.ledger import Holding, Ledger
from brokers.sandbox.order import SandboxOrder
from framework.venue import BookOrder, BookPosition, MarginFigures, VenueBook
from framework.venue.increments import to_decimal


class Priced(Protocol):
    """What the account's view reads of the market on the clock."""

    @property
    def is_open(self) -> bool: ...

    @property
    def now(self) -> datetime: ...

    def latest_trade(self, symbol: str) -> float: ...


def _book_position(held: Holding, price: float) -> BookPosition:
    last = price if math.isfinite(price) else held.cost / held.qty
    return BookPosition(to_decimal(float(held.qty)), to_decimal(last))


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _book_order(o: SandboxOrder) -> BookOrder:
    return BookOrder(o.id, o.symbol, o.side, o.type, to_decimal(o.remaining), _dec(o.limit_price), _dec(o.stop_price))


def venue_book(ledger: Ledger, working: Iterable[SandboxOrder], priced: Priced, symbol: str | None = None) -> VenueBook:
    """The account with its ``working`` orders, as the venue judges an order for ``symbol``."""
    return Books().book(ledger, working, priced, symbol)


class Books:
    """:func:`venue_book` for one exchange, built from what did not change since its last book:
    each working order converted once a state of it, and the last book's valuation of its
    orders kept while the account's money, positions, prices and clock are the same (a book
    is built for every order submitted: rebuilding both made a burst of n open orders cost n²
    order conversions and valuations)."""

    def __init__(self) -> None:
        self._orders: dict[tuple[object, ...], BookOrder] = {}
        self._last: VenueBook | None = None

    def _book_orders(self, working: Iterable[SandboxOrder]) -> tuple[BookOrder, ...]:
        known, kept = self._orders, {}
        for o in working:
            key = (o.id, o.symbol, o.side, o.type, o.qty, o.filled_qty, o.limit_price, o.stop_price)
            kept[key] = known.get(key) or _book_order(o)
        self._orders = kept  # only the working orders' current states
        return tuple(kept.values())

    def book(
        self, ledger: Ledger, working: Iterable[SandboxOrder], priced: Priced, symbol: str | None = None
    ) -> VenueBook:
        positions = {s: _book_position(h, priced.latest_trade(s)) for s, h in ledger.positions.items() if h.qty}
        orders = self._book_orders(working)
        wanted = ({o.symbol for o in orders} | ({symbol} if symbol else set())) - set(positions)
        prices = {s: to_decimal(p) for s in wanted if math.isfinite(p := priced.latest_trade(s)) and p > 0}
        cash = to_decimal(ledger.cash)
        last, open_, now = self._last, priced.is_open, priced.now
        if last is not None and (last.cash, last.positions, last.prices, last.market_open, last.now) == (
            cash, positions, prices, open_, now
        ):
            return last.with_orders(orders)  # keeps the orders' values (they depend on nothing else)
        self._last = VenueBook(cash, positions, orders, prices, market_open=open_, now=now)
        return self._last


@dataclass(frozen=True, slots=True)
class AccountView:
    """``/v2/account``: the ledger's money, the positions' values at their marks, the venue's margin."""

    cash: float
    equity: float
    last_equity: float
    long_market_value: float
    short_market_value: float
    margin: MarginFigures

    @classmethod
    def of(cls, ledger: Ledger, mark: Callable[[str], float], margin: MarginFigures) -> AccountView:
        held = ledger.positions.items()
        long = sum(h.qty * mark(s) for s, h in held if h.qty > 0)
        short = sum(h.qty * mark(s) for s, h in held if h.qty < 0)
        return cls(ledger.cash, ledger.equity(mark), ledger.last_equity, long, short, margin)


@dataclass(frozen=True, slots=True)
class PositionView:
    """``/v2/positions/{symbol}``: a holding at its mark (``price``) and the last session's close
    (``last``); ``available``: the shares not held for open orders (None: all of them)."""

    symbol: str
    qty: float
    cost: float
    price: float
    last: float
    available: float | None = None

    @property
    def avg_entry_price(self) -> float:
        return self.cost / self.qty if self.qty else 0.0

    @property
    def market_value(self) -> float:
        return self.qty * self.price


__all__ = ["AccountView", "Books", "PositionView", "Priced", "venue_book"]
