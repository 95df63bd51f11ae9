"""alpaca-py models ↔ the project's values (Order, Fill, Position, Account, OrderUpdate).

alpaca-py returns quantities and prices as strings or floats; everything here becomes a
``Decimal`` through ``str`` so no binary-float noise reaches the books.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from alpaca.trading import enums as ae
from alpaca.trading import models as am
from alpaca.trading import requests as ar

from framework.broker import OrderUpdate
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.fills import Fill
from framework.orders import Order
from framework.positions import Account, Position

log = logging.getLogger(__name__)


def dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _value(enum_or_str: Any) -> str:
    return getattr(enum_or_str, "value", enum_or_str)


# -- Order ------------------------------------------------------------------------------

def order_from_alpaca(o: am.Order) -> Order:
    """The broker's view of one order as a project :class:`Order`."""
    kind = o.type or o.order_type
    return Order(
        client_order_id=o.client_order_id,
        symbol=o.symbol or "",
        side=OrderSide(_value(o.side)),
        type=OrderType(_value(kind)),
        qty=dec(o.qty),
        notional=dec(o.notional) if o.qty is None else None,
        time_in_force=TimeInForce(_value(o.time_in_force)),
        limit_price=dec(o.limit_price),
        stop_price=dec(o.stop_price),
        trail_price=dec(o.trail_price),
        trail_percent=dec(o.trail_percent) if o.trail_price is None else None,
        extended_hours=bool(o.extended_hours),
        status=OrderStatus(_value(o.status)),
        broker_order_id=str(o.id),
        filled_qty=dec(o.filled_qty) or Decimal(0),
        filled_avg_price=dec(o.filled_avg_price),
        created_at=o.created_at,
        updated_at=o.updated_at,
    )


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def order_request(order: Order) -> ar.OrderRequest:
    """The alpaca-py request for a CREATED order (client order id always set)."""
    common: dict[str, Any] = {
        "symbol": order.symbol, "side": ae.OrderSide(order.side.value),
        "time_in_force": ae.TimeInForce(order.time_in_force.value),
        "client_order_id": order.client_order_id, "extended_hours": order.extended_hours or None,
        "qty": _f(order.qty), "notional": _f(order.notional),
    }
    t = order.type
    if t is OrderType.MARKET:
        return ar.MarketOrderRequest(**common)
    if t is OrderType.LIMIT:
        return ar.LimitOrderRequest(**common, limit_price=_f(order.limit_price))
    if t is OrderType.STOP:
        return ar.StopOrderRequest(**common, stop_price=_f(order.stop_price))
    if t is OrderType.STOP_LIMIT:
        return ar.StopLimitOrderRequest(**common, stop_price=_f(order.stop_price),
                                        limit_price=_f(order.limit_price))
    return ar.TrailingStopOrderRequest(**common, trail_price=_f(order.trail_price),
                                       trail_percent=_f(order.trail_percent))


def replace_request(*, qty: Decimal | None, limit_price: Decimal | None,
                    stop_price: Decimal | None, trail: Decimal | None,
                    time_in_force: TimeInForce | None,
                    client_order_id: str | None) -> ar.ReplaceOrderRequest:
    return ar.ReplaceOrderRequest(
        qty=None if qty is None else int(qty),
        limit_price=_f(limit_price), stop_price=_f(stop_price), trail=_f(trail),
        time_in_force=None if time_in_force is None else ae.TimeInForce(time_in_force.value),
        client_order_id=client_order_id,
    )


# -- positions, account -----------------------------------------------------------------

def position_from_alpaca(p: am.Position) -> Position:
    qty = Decimal(str(p.qty))
    if _value(p.side) == "short" and qty > 0:
        qty = -qty
    return Position(symbol=p.symbol, qty=qty, avg_entry_price=Decimal(str(p.avg_entry_price)),
                    market_price=dec(getattr(p, "current_price", None)))


def account_from_alpaca(a: am.TradeAccount, now: datetime) -> Account:
    return Account(
        cash=Decimal(str(a.cash)), equity=Decimal(str(a.equity)),
        buying_power=Decimal(str(a.buying_power)), timestamp=now,
        currency=a.currency or "USD", last_equity=dec(a.last_equity),
        trading_blocked=bool(a.trading_blocked),
    )


# -- trade updates ----------------------------------------------------------------------

def event_from_alpaca(event: Any) -> OrderEvent | None:
    try:
        return OrderEvent(_value(event))
    except ValueError:
        log.warning("ignoring unknown trade update event %r", _value(event))
        return None


def fill_from_update(u: am.TradeUpdate, order: Order) -> Fill | None:
    """The execution a fill/partial_fill event reports, keyed by Alpaca's execution id."""
    if u.qty is None or u.price is None or not u.qty:
        return None
    execution_id = (str(u.execution_id) if u.execution_id
                    else f"{order.broker_order_id}:{order.filled_qty}")
    return Fill(execution_id=execution_id, client_order_id=order.client_order_id,
                symbol=order.symbol, side=order.side, qty=Decimal(str(u.qty)),
                price=Decimal(str(u.price)), timestamp=u.timestamp,
                broker_order_id=order.broker_order_id)


def update_from_alpaca(u: am.TradeUpdate) -> OrderUpdate | None:
    event = event_from_alpaca(u.event)
    if event is None:
        return None
    order = order_from_alpaca(u.order)
    is_fill = event in (OrderEvent.FILL, OrderEvent.PARTIAL_FILL)
    fill = fill_from_update(u, order) if is_fill else None
    return OrderUpdate(event=event, order=order, timestamp=u.timestamp, fill=fill)
