"""Translation between backtrader orders and the project's domain types."""

from __future__ import annotations

import backtrader as bt

from framework.enums import OrderEvent, OrderStatus, OrderType

EXEC_TYPES: dict[OrderType, int] = {
    OrderType.MARKET: bt.Order.Market,
    OrderType.LIMIT: bt.Order.Limit,
    OrderType.STOP: bt.Order.Stop,
    OrderType.STOP_LIMIT: bt.Order.StopLimit,
    OrderType.TRAILING_STOP: bt.Order.StopTrail,
}

#: backtrader status → (our event, our status); None: not worth an update.
STATUS: dict[int, tuple[OrderEvent, OrderStatus] | None] = {
    bt.Order.Created: None,
    bt.Order.Submitted: None,
    bt.Order.Accepted: (OrderEvent.NEW, OrderStatus.NEW),
    bt.Order.Partial: (OrderEvent.PARTIAL_FILL, OrderStatus.PARTIALLY_FILLED),
    bt.Order.Completed: (OrderEvent.FILL, OrderStatus.FILLED),
    bt.Order.Canceled: (OrderEvent.CANCELED, OrderStatus.CANCELED),
    bt.Order.Expired: (OrderEvent.EXPIRED, OrderStatus.EXPIRED),
    bt.Order.Margin: (OrderEvent.REJECTED, OrderStatus.REJECTED),
    bt.Order.Rejected: (OrderEvent.REJECTED, OrderStatus.REJECTED),
}
