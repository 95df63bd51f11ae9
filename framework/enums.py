"""Closed sets of the order domain and of the venue that judges orders. Members are UPPER, wire
values lowercase (as Alpaca's)."""

from __future__ import annotations

from enum import StrEnum


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells: signed quantity = sign × qty."""
        return 1 if self is OrderSide.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"
    TRAILING_STOP = "trailing_stop"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    OPG = "opg"
    CLS = "cls"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    """Alpaca's order statuses plus ``CREATED``: intent recorded, broker not yet told.

    ``CREATED`` never crosses the wire; an order in it may or may not exist at the broker
    after a crash, which is why the order manager looks it up by client order id first.
    """

    CREATED = "created"
    PENDING_NEW = "pending_new"
    ACCEPTED = "accepted"
    NEW = "new"
    ACCEPTED_FOR_BIDDING = "accepted_for_bidding"
    HELD = "held"
    CALCULATED = "calculated"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    PARTIALLY_FILLED = "partially_filled"
    DONE_FOR_DAY = "done_for_day"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REPLACED = "replaced"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        return not self.is_terminal


TERMINAL_STATUSES: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REPLACED,
        OrderStatus.REJECTED,
    }
)


class OrderEvent(StrEnum):
    """What an order update reports (Alpaca's trade-update events)."""

    PENDING_NEW = "pending_new"
    NEW = "new"
    ACCEPTED = "accepted"
    PARTIAL_FILL = "partial_fill"
    FILL = "fill"
    DONE_FOR_DAY = "done_for_day"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REPLACED = "replaced"
    REJECTED = "rejected"
    STOPPED = "stopped"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CALCULATED = "calculated"
    SUSPENDED = "suspended"
    HELD = "held"
    ORDER_REPLACE_REJECTED = "order_replace_rejected"
    ORDER_CANCEL_REJECTED = "order_cancel_rejected"


class VenueProfile(StrEnum):
    """Whose economics and order rules a run trades by (``venue.profile``, see framework.venue)."""

    ALPACA_PAPER = "alpaca_paper"
    ALPACA_LIVE = "alpaca_live"
    PER_SHARE = "per_share"


class Rule(StrEnum):
    """A venue rule an order can break at submission (checked by framework.venue.rules, in this
    order). Each maps to one :class:`framework.errors.OrderRejected` subclass."""

    EXTENDED_HOURS = "extended_hours"
    PRICE_INCREMENT = "price_increment"
    AUCTION_WINDOW = "auction_window"
    FRACTIONAL = "fractional"
    SHORTABLE = "shortable"
    LONG_TO_SHORT = "long_to_short"
    QTY_AVAILABLE = "qty_available"
    MINIMUM_ORDER = "minimum_order"
    BUYING_POWER = "buying_power"
