"""Fill de-duplication: one order's executions are counted by cumulative filled quantity.

The stream and the poller may both report the same execution (or the poller may see two
executions at once). Whatever the source, an update only carries a :class:`Fill` for the
quantity not yet seen, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from framework.broker import OrderUpdate
from framework.enums import OrderEvent, OrderStatus
from framework.fills import Fill
from framework.orders import Order

_EVENTS = {e.value for e in OrderEvent}
_EVENT_FOR_STATUS = {s: OrderEvent(s.value) for s in OrderStatus if s.value in _EVENTS}
_EVENT_FOR_STATUS[OrderStatus.FILLED] = OrderEvent.FILL
_EVENT_FOR_STATUS[OrderStatus.PARTIALLY_FILLED] = OrderEvent.PARTIAL_FILL


@dataclass(slots=True)
class _Seen:
    filled_qty: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)  # filled_qty × average price of what we counted
    status: OrderStatus | None = None


class FillTracker:
    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def seed(self, orders: Iterable[Order], fills: Iterable[Fill]) -> None:
        """Start from what the journal already holds (after a restart)."""
        orders = list(orders)
        with self._lock:
            for order in orders:
                self._seen.setdefault(order.client_order_id, _Seen()).status = order.status
            for fill in fills:
                seen = self._seen.setdefault(fill.client_order_id, _Seen())
                seen.filled_qty += fill.qty
                seen.notional += fill.qty * fill.price
            for order in orders:
                if order.filled_qty > self._seen[order.client_order_id].filled_qty:
                    self._seen[order.client_order_id].status = None  # fills owed: poll it

    def track(self, client_order_id: str) -> None:
        with self._lock:
            self._seen.setdefault(client_order_id, _Seen())

    def forget(self, client_order_id: str) -> None:
        """An order the broker refused outright: there is nothing to poll for."""
        with self._lock:
            seen = self._seen.get(client_order_id)
            if seen is not None and seen.status is None and seen.filled_qty == 0:
                del self._seen[client_order_id]

    def tracked(self) -> set[str]:
        with self._lock:
            return set(self._seen)

    def open_ids(self) -> set[str]:
        with self._lock:
            return {k for k, v in self._seen.items() if v.status is None or v.status.is_open}

    def observe(self, order: Order, timestamp: datetime, event: OrderEvent | None = None,
                fill: Fill | None = None) -> OrderUpdate | None:
        """The update to deliver for this broker view, or None if nothing new."""
        with self._lock:
            seen = self._seen.setdefault(order.client_order_id, _Seen())
            delta = order.filled_qty - seen.filled_qty
            if delta <= 0 and order.status == seen.status:
                return None
            new_fill = self._fill_for(order, seen, delta, timestamp, fill) if delta > 0 else None
            if new_fill is not None:
                seen.filled_qty += new_fill.qty
                seen.notional += new_fill.qty * new_fill.price
            seen.status = order.status
        fill_event = event in (OrderEvent.FILL, OrderEvent.PARTIAL_FILL)
        keep = event is not None and (new_fill is not None or not fill_event)
        chosen = (event if keep else None) or _EVENT_FOR_STATUS.get(order.status, OrderEvent.NEW)
        return OrderUpdate(event=chosen, order=order, timestamp=timestamp, fill=new_fill)

    @staticmethod
    def _fill_for(order: Order, seen: _Seen, delta: Decimal, timestamp: datetime,
                  reported: Fill | None) -> Fill | None:
        if reported is not None and reported.qty == delta:
            return reported
        if order.filled_avg_price is None:
            return None
        price = (order.filled_avg_price * order.filled_qty - seen.notional) / delta
        if price <= 0:
            price = order.filled_avg_price
        return Fill(execution_id=f"{order.broker_order_id}:{order.filled_qty}",
                    client_order_id=order.client_order_id, symbol=order.symbol, side=order.side,
                    qty=delta, price=price.quantize(Decimal("0.000001")), timestamp=timestamp,
                    broker_order_id=order.broker_order_id)
