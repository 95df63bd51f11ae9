"""Buying power as Alpaca grants it at submission (docs: "Orders at Alpaca", "Margin and Short
Selling").

- A margin account (multiplier 2) has ``max(equity − initial_margin, 0) × 2``, initial margin
  being 50% of the long and short market values; below $2,000 of equity the multiplier is 1.
  A cash account (multiplier 1) has its cash.
- Open orders that open or add to a position reduce it by their value: a buy at its limit (or
  stop, or the latest trade for a market order, also while the market is closed), an opening
  short at ``max(limit, 3% above the ask)``. Orders that close a position (pending sells of a
  long, covers of a short) free nothing until they fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from framework.enums import OrderSide, OrderType
from framework.venue.book import ZERO, BookOrder, VenueBook

MIN_MARGIN_EQUITY = Decimal(2000)
SHORT_PREMIUM = Decimal("1.03")  # an opening short is valued 3% above the ask
INITIAL_MARGIN = Decimal("0.5")  # Regulation T, marginable securities


def effective_multiplier(book: VenueBook, configured: int) -> int:
    """The account's multiplier: the configured one, or 1 below $2,000 of equity."""
    return configured if configured > 1 and book.equity >= MIN_MARGIN_EQUITY else 1


def initial_margin(book: VenueBook, multiplier: int) -> Decimal:
    gross = book.long_value + book.short_value
    return gross if multiplier == 1 else gross * INITIAL_MARGIN


def maintenance_margin(book: VenueBook) -> Decimal:
    """Alpaca's overnight table: longs 30% (100% under $2.50); shorts the greater of 30% and
    $5/share (100% and $2.50/share under $5)."""
    total = ZERO
    for pos in book.positions.values():
        price = pos.last_price
        value, qty = abs(pos.qty) * price, abs(pos.qty)
        if pos.qty > 0:
            total += value if price < Decimal("2.5") else value * Decimal("0.3")
        elif price < 5:
            total += max(value, qty * Decimal("2.5"))
        else:
            total += max(value * Decimal("0.3"), qty * 5)
    return total


def gross_buying_power(book: VenueBook, multiplier: int) -> Decimal:
    """Before open orders: what the account's equity and margin allow."""
    if multiplier == 1:
        return max(book.cash, ZERO)
    return max(book.equity - initial_margin(book, multiplier), ZERO) * multiplier


def opening_qty(side: OrderSide, qty: Decimal, position: Decimal) -> Decimal:
    """The part of an order that opens or adds to a position (the rest closes one)."""
    closing = max(-position, ZERO) if side is OrderSide.BUY else max(position, ZERO)
    return max(qty - closing, ZERO)


def unit_value(
    book: VenueBook, symbol: str, side: OrderSide, kind: OrderType, limit: Decimal | None, stop: Decimal | None
) -> Decimal | None:
    """What one share of an opening order counts for; None when no price is known."""
    latest = book.price(symbol)
    if side is OrderSide.SELL:
        ask = latest * SHORT_PREMIUM if latest is not None else None
        candidates = [p for p in (limit, ask) if p is not None]
        return max(candidates) if candidates else None
    if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        return limit
    if kind is OrderType.STOP:
        return stop
    return latest


def order_value(book: VenueBook, order: BookOrder) -> Decimal:
    """The buying power an open order holds."""
    opening = opening_qty(order.side, order.remaining_qty, book.position_qty(order.symbol))
    if not opening:
        return ZERO
    unit = unit_value(book, order.symbol, order.side, order.type, order.limit_price, order.stop_price)
    return opening * unit if unit is not None else ZERO


def held_by_orders(book: VenueBook) -> Decimal:
    """The buying power the open orders hold: their values summed in their order. A decision's
    books share the memo (:class:`~framework.venue.book.OrderValues`): each order is valued once,
    and a book holding the last total's orders and more adds only the more."""
    memo = book.order_values
    orders, totalled = book.open_orders, memo.totalled
    if len(totalled) <= len(orders) and orders[: len(totalled)] == totalled:
        held, rest = memo.held, orders[len(totalled):]
    else:  # an order left (filled, canceled): the total again, from the values kept
        held, rest = ZERO, orders
    for order in rest:
        value = memo.get(order)
        if value is None:
            value = memo[order] = order_value(book, order)
        held += value
    memo.totalled, memo.held = orders, held
    return held


def buying_power(book: VenueBook, multiplier: int) -> Decimal:
    """What the venue grants a new opening order: gross buying power less open orders' values."""
    held = held_by_orders(book)
    gross = book.gross_values.get(multiplier)
    if gross is None:
        gross = book.gross_values[multiplier] = gross_buying_power(book, multiplier)
    return max(gross - held, ZERO)


@dataclass(frozen=True, slots=True)
class MarginFigures:
    """The account fields Alpaca reports about margin."""

    multiplier: int
    initial_margin: Decimal
    maintenance_margin: Decimal
    buying_power: Decimal
    regt_buying_power: Decimal
    non_marginable_buying_power: Decimal


def margin_figures(book: VenueBook, configured: int) -> MarginFigures:
    multiplier = effective_multiplier(book, configured)
    granted = buying_power(book, multiplier)
    return MarginFigures(
        multiplier=multiplier,
        initial_margin=initial_margin(book, multiplier),
        maintenance_margin=maintenance_margin(book),
        buying_power=granted,
        regt_buying_power=granted,
        non_marginable_buying_power=min(buying_power(book, 1), granted),
    )
