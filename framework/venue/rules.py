"""Alpaca's order rules as pure functions of one order against one :class:`VenueBook`.

Each rule returns a :class:`Rejection` with Alpaca's status, code and message, or None;
:data:`RULES` runs them in the order Alpaca answers (the order's own validity, 422, before what
the account can take, 403).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from framework.enums import OrderSide, OrderType, Rule, TimeInForce
from framework.orders import Order
from framework.venue.auctions import refused_at
from framework.venue.book import ZERO, AssetFlags, VenueBook
from framework.venue.buying_power import buying_power, unit_value
from framework.venue.extended import refusal as extended_refusal
from framework.venue.increments import CENT, is_valid_price, plain
from framework.venue.rejection import Rejection, forbidden, invalid
from framework.venue.reservations import held_for_orders, holding_orders, qty_available

FRACTIONAL_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT})


def is_fractional(qty: Decimal | None) -> bool:
    return qty is not None and qty != qty.to_integral_value()


class Ticket(NamedTuple):
    """One order against one book, with what every rule needs worked out once (a named tuple:
    one a submission)."""

    order: Order
    book: VenueBook
    qty: Decimal | None  # shares; a notional order's at the latest trade (None: no price known)
    position: Decimal
    multiplier: int  # the account's effective margin multiplier
    asset: AssetFlags
    minimum: Decimal
    closes: bool  # the order reduces the position (two rules ask)
    opening: Decimal  # the shares that open or add to a position (:func:`opening_qty`)
    unit: Decimal | None  # what one share counts for (:func:`unit`), where a buy or an opening asks

    @property
    def symbol(self) -> str:
        return self.order.symbol

    @property
    def fractional(self) -> bool:
        return self.order.notional is not None or is_fractional(self.order.qty)



def extended_hours(t: Ticket) -> Rejection | None:
    """``extended_hours`` only on a DAY limit (:mod:`framework.venue.extended`)."""
    o = t.order
    return extended_refusal(o.type, o.time_in_force, o.extended_hours)


def price_increments(t: Ticket) -> Rejection | None:
    for name in ("limit_price", "stop_price"):
        price = getattr(t.order, name)
        if price is not None and not is_valid_price(price):
            return invalid(
                Rule.PRICE_INCREMENT,
                f"invalid {name} {plain(price)}. sub-penny increment does not fulfill minimum pricing criteria",
            )
    return None


def auction_window(t: Ticket) -> Rejection | None:
    """An ``opg``/``cls`` order sent after its auction's cut-off (judged only where the book
    carries the venue's time: the sandbox; the backtest models orders sent before the open,
    as the paper schedule sends them)."""
    if t.book.now is None:
        return None
    why = refused_at(t.order.time_in_force, t.book.now)
    return None if why is None else invalid(Rule.AUCTION_WINDOW, why)


def fractional(t: Ticket) -> Rejection | None:
    """Fractional orders (decimal qty or notional): DAY only, simple types, fractionable assets,
    never short (selling beyond the long position)."""
    if not t.fractional:
        return None
    o = t.order
    if o.time_in_force is not TimeInForce.DAY:
        return invalid(Rule.FRACTIONAL, "fractional orders must be DAY orders")
    if o.type not in FRACTIONAL_TYPES:
        return invalid(Rule.FRACTIONAL, f"fractional orders are not supported for {o.type.value} orders")
    if not t.asset.fractionable:
        return invalid(Rule.FRACTIONAL, f"asset {t.symbol} is not fractionable")
    beyond = t.position <= 0 or (t.qty is not None and t.qty > t.position)
    if o.side is OrderSide.SELL and beyond:
        return invalid(Rule.FRACTIONAL, "fractional orders cannot be sold short")
    return None


def shortable(t: Ticket) -> Rejection | None:
    """Opening a short needs a margin account (≥ $2,000 of equity) and an easy-to-borrow asset."""
    if t.order.side is not OrderSide.SELL or t.position > 0:
        return None
    if t.multiplier < 2:
        return forbidden(Rule.SHORTABLE, "account is not allowed to short")
    if not (t.asset.shortable and t.asset.easy_to_borrow):
        return invalid(Rule.SHORTABLE, f"asset {t.symbol} cannot be sold short")
    return None


def _insufficient_qty(t: Ticket, rule: Rule) -> Rejection:
    available = qty_available(t.book, t.symbol)
    return forbidden(
        rule,
        f"insufficient qty available for order (requested: {plain(t.qty or ZERO)}, available: {plain(available)})",
        available=plain(available),
        existing_qty=plain(abs(t.position)),
        held_for_orders=plain(held_for_orders(t.book, t.symbol)),
        related_orders=[o.order_id for o in holding_orders(t.book, t.symbol)],
        symbol=t.symbol,
    )


def long_to_short(t: Ticket) -> Rejection | None:
    """One order cannot cross zero: sell to flat, then open the short (and the reverse)."""
    if t.closes and t.qty is not None and t.qty > abs(t.position):
        return _insufficient_qty(t, Rule.LONG_TO_SHORT)
    return None


def shares_held(t: Ticket) -> Rejection | None:
    """A closing order may use only the shares no open closing order holds."""
    if t.closes and t.qty is not None and t.qty > qty_available(t.book, t.symbol):
        return _insufficient_qty(t, Rule.QTY_AVAILABLE)
    return None


def unit(order: Order, book: VenueBook) -> Decimal | None:
    """What one share of ``order`` counts for (:func:`unit_value`), priced once a ticket: the
    minimum order and the buying power both value a buy by it."""
    return unit_value(book, order.symbol, order.side, order.type, order.limit_price, order.stop_price)


def cost_basis(t: Ticket) -> Decimal | None:
    """What a buy costs at its price (a notional buy: its notional)."""
    if t.order.notional is not None:
        return t.order.notional
    unit = t.unit
    return None if unit is None or t.qty is None else t.qty * unit


def minimum_order(t: Ticket) -> Rejection | None:
    if t.order.side is not OrderSide.BUY:
        return None
    cost = cost_basis(t)
    if cost is not None and cost < t.minimum:
        return forbidden(Rule.MINIMUM_ORDER, f"cost basis must be >= minimal amount of order {plain(t.minimum)}")
    return None


def opening_value(t: Ticket) -> Decimal:
    """The buying power the order needs: its opening part at the venue's valuation."""
    opening = t.opening
    if not opening:
        return ZERO
    if t.order.notional is not None and t.order.side is OrderSide.BUY and t.position >= 0:
        return t.order.notional
    unit = t.unit
    return opening * unit if unit is not None else ZERO


def enough_buying_power(t: Ticket) -> Rejection | None:
    needed = opening_value(t)
    if not needed:
        return None
    granted = buying_power(t.book, t.multiplier)
    if needed > granted:
        return forbidden(
            Rule.BUYING_POWER,
            "insufficient buying power",
            buying_power=str(granted.quantize(CENT)),
            cost_basis=str(needed.quantize(CENT)),
        )
    return None


#: Every rule, in the order Alpaca answers.
RULES: tuple[Callable[[Ticket], Rejection | None], ...] = (
    extended_hours,
    price_increments,
    auction_window,
    fractional,
    shortable,
    long_to_short,
    shares_held,
    minimum_order,
    enough_buying_power,
)


def first_rejection(ticket: Ticket) -> Rejection | None:
    for rule in RULES:
        found = rule(ticket)
        if found is not None:
            return found
    return None
