"""Execution styles: how an intent becomes an order at the venue (``orders.style``).

A style names a type, a time in force and, for the limit styles, where the limit sits. It is
policy only (no I/O): the engine asks :func:`terms` for each intent, the analyzers ask
:func:`style_of` which style an order was sent in (from the order itself, so a journal written
before styles existed reads as ``market`` / ``limit``).

Alpaca's rules for the auction styles (``opg``: the opening auction, ``cls``: the closing
auction; market or limit only; refused when sent too late) live in the venue model
(:mod:`framework.venue.rules`); what each style fills at in the simulators is documented in
docs/DEVELOPMENT.md ("Execution styles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from framework.enums import OrderSide, OrderType, TimeInForce
from framework.errors import ConfigError


class OrderStyle(StrEnum):
    MARKET = "market"  # market, orders.time_in_force (day: queued for the open)
    LIMIT = "limit"  # limit at the decision price ± orders.limit_offset_bps
    MARKET_ON_OPEN = "market_on_open"  # market, opg: the opening auction's price
    LIMIT_ON_OPEN = "limit_on_open"  # limit, opg: the opening auction if its price is within the limit
    MARKET_ON_CLOSE = "market_on_close"  # market, cls: the next session's closing auction
    LIMIT_ON_CLOSE = "limit_on_close"  # limit, cls
    MARKETABLE_LIMIT = "marketable_limit"  # limit at the arrival price ± orders.collar_bps, day
    TWAP = "twap"  # a parent sliced into children over a window (minute bars only)

    @property
    def intraday(self) -> bool:
        """Needs prices inside the session (minute bars) to be simulated honestly."""
        return self is OrderStyle.TWAP


AUCTION_STYLES = frozenset(
    {OrderStyle.MARKET_ON_OPEN, OrderStyle.LIMIT_ON_OPEN, OrderStyle.MARKET_ON_CLOSE, OrderStyle.LIMIT_ON_CLOSE}
)


@dataclass(frozen=True, slots=True)
class Terms:
    """What a style makes of one intent: the order's type, time in force and limit price."""

    type: OrderType
    time_in_force: TimeInForce
    limit_price: float | None = None  # unrounded: the venue's increment is applied by the caller


_FIXED: dict[OrderStyle, tuple[OrderType, TimeInForce]] = {
    OrderStyle.MARKET_ON_OPEN: (OrderType.MARKET, TimeInForce.OPG),
    OrderStyle.LIMIT_ON_OPEN: (OrderType.LIMIT, TimeInForce.OPG),
    OrderStyle.MARKET_ON_CLOSE: (OrderType.MARKET, TimeInForce.CLS),
    OrderStyle.LIMIT_ON_CLOSE: (OrderType.LIMIT, TimeInForce.CLS),
    OrderStyle.MARKETABLE_LIMIT: (OrderType.LIMIT, TimeInForce.DAY),
}


def terms(
    style: OrderStyle,
    side: OrderSide,
    price: float,
    *,
    time_in_force: TimeInForce,
    limit_offset_bps: float,
    collar_bps: float,
) -> Terms:
    """The order terms of ``style`` for an intent priced at ``price`` (the decision price: the
    latest trade when the order is sent before the open, which is the arrival price a
    marketable limit is collared around). ``MARKET``/``LIMIT`` keep ``orders.time_in_force``."""
    if style is OrderStyle.MARKET:
        kind, tif = OrderType.MARKET, time_in_force
    elif style is OrderStyle.LIMIT:
        kind, tif = OrderType.LIMIT, time_in_force
    elif style is OrderStyle.TWAP:
        kind, tif = OrderType.MARKET, TimeInForce.DAY  # each child; the parent is never sent
    else:
        kind, tif = _FIXED[style]
    if kind is not OrderType.LIMIT:
        return Terms(kind, tif)
    bps = collar_bps if style is OrderStyle.MARKETABLE_LIMIT else limit_offset_bps
    return Terms(kind, tif, price * (1 + bps / 1e4 * side.sign))


def style_of(
    order_type: str, time_in_force: str, *, configured: OrderStyle | None = None, client_order_id: str = ""
) -> str:
    """The style an order was sent in, read off the order (for the by-style reports).

    ``configured``: the run's ``orders.style`` (a marketable limit is a DAY limit on the wire;
    only the run's setting tells it from a plain one). Contingent orders (stop, stop_limit,
    trailing_stop) report their type; a TWAP child is known by its client id."""
    if TWAP_CHILD.search(client_order_id):
        return OrderStyle.TWAP.value
    tif = TimeInForce(time_in_force)
    if order_type == OrderType.MARKET:
        auction = {TimeInForce.OPG: OrderStyle.MARKET_ON_OPEN, TimeInForce.CLS: OrderStyle.MARKET_ON_CLOSE}
        return auction.get(tif, OrderStyle.MARKET).value
    if order_type == OrderType.LIMIT:
        if configured is OrderStyle.MARKETABLE_LIMIT and tif is TimeInForce.DAY:
            return OrderStyle.MARKETABLE_LIMIT.value
        auction = {TimeInForce.OPG: OrderStyle.LIMIT_ON_OPEN, TimeInForce.CLS: OrderStyle.LIMIT_ON_CLOSE}
        return auction.get(tif, OrderStyle.LIMIT).value
    return str(order_type)


def require_daily_style(style: OrderStyle, where: str) -> None:
    """Refuse a style daily bars cannot simulate (one line, exit 2): a TWAP places children
    inside a session, which daily bars do not hold."""
    if style.intraday:
        raise ConfigError(
            f"orders.style {style.value}: {where} trades daily bars, which hold no minutes to place its "
            f"children on; simulate it on minute bars (trade backtest --minutes FILE, the cache of "
            f"trade data fetch --timeframe 1Min)"
        )


def require_service_for(style: OrderStyle, once: bool, where: str = "trade paper --once") -> None:
    """Refuse a TWAP in single cycles (one line, exit 2): a cycle journals its children, and only
    the paper service, running through the session, sends each at its minute."""
    if once and style.intraday:
        raise ConfigError(
            f"orders.style {style.value}: {where} runs single paper cycles, which would journal its children "
            f"and send none; the paper service (trade paper without --once) sends each at its minute"
        )


#: A TWAP child's client id ends with its slice number (:func:`framework.twap.child_id`).
TWAP_CHILD = re.compile(r"-tw\d{2}$")


def is_twap_child(client_order_id: str) -> bool:
    """A TWAP child's client id: its parent's with ``-twNN`` (:func:`framework.twap.slice_parent`)."""
    return TWAP_CHILD.search(client_order_id) is not None


__all__ = [
    "AUCTION_STYLES",
    "TWAP_CHILD",
    "OrderStyle",
    "Terms",
    "is_twap_child",
    "require_daily_style",
    "require_service_for",
    "style_of",
    "terms",
]
