"""Shares held for open orders: a position's ``qty_available`` is its quantity less what open
closing orders (sells of a long, stops and trailing stops included; buys of a short) already
claim. Alpaca refuses a closing order beyond it, so an exit must see its protective stop
canceled before it sells."""

from __future__ import annotations

from decimal import Decimal

from framework.enums import OrderSide
from framework.venue.book import ZERO, BookOrder, VenueBook


def closing_side(position: Decimal) -> OrderSide | None:
    """The side that reduces ``position`` (None when flat)."""
    if position > 0:
        return OrderSide.SELL
    return OrderSide.BUY if position < 0 else None


def holding_orders(book: VenueBook, symbol: str) -> list[BookOrder]:
    side = closing_side(book.position_qty(symbol))
    return [o for o in book.orders_for(symbol) if o.side is side and o.remaining_qty > 0]


def held_for_orders(book: VenueBook, symbol: str) -> Decimal:
    return sum((o.remaining_qty for o in holding_orders(book, symbol)), ZERO)


def qty_available(book: VenueBook, symbol: str) -> Decimal:
    """Shares of the position a new closing order may still use; never negative."""
    return max(abs(book.position_qty(symbol)) - held_for_orders(book, symbol), ZERO)
