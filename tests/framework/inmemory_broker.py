"""A Broker for unit tests only: acknowledges at once, fills on demand, throws scripted faults."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import UTC, datetime
from decimal import Decimal

from framework.broker import BrokerCapabilities, OrderUpdate
from framework.enums import OrderEvent, OrderStatus
from framework.errors import (
    BrokerError,
    BrokerTimeout,
    BrokerUnavailable,
    DuplicateClientOrderId,
    OrderNotFound,
    RateLimited,
)
from framework.fills import Fill
from framework.orders import Order
from framework.positions import Account, Position

NOW = datetime(2020, 1, 2, 14, 30, tzinfo=UTC)

#: Fault kinds: raised before the order lands, or after (the answer is lost).
FAULTS = {
    "429": (RateLimited, False),
    "503": (BrokerUnavailable, False),
    "timeout_before": (BrokerTimeout, False),
    "timeout_after": (BrokerTimeout, True),
    "lost_answer": (BrokerUnavailable, True),
}


class InMemoryBroker:
    def __init__(self, cash: float = 100_000.0) -> None:
        self.cash = Decimal(str(cash))
        self.positions: dict[str, Decimal] = {}
        self.avg: dict[str, Decimal] = {}
        self.orders: dict[str, Order] = {}  # client id -> order
        self.submit_calls: list[str] = []  # every client id that reached "the exchange"
        self.faults: deque[str] = deque()
        self.lookup_faults: deque[str] = deque()
        self.handlers = []
        self._ids = itertools.count(1)
        self._exec = itertools.count(1)

    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(native_stop=False, native_trailing_stop=False)

    def _fault(self, queue: deque[str]) -> tuple[type[BrokerError], bool] | None:
        return FAULTS[queue.popleft()] if queue else None

    def submit_order(self, order: Order) -> Order:
        fault = self._fault(self.faults)
        if fault and not fault[1]:
            raise fault[0]("injected", status_code=503)
        if order.client_order_id in self.orders:
            raise DuplicateClientOrderId("client_order_id must be unique", status_code=422)
        self.submit_calls.append(order.client_order_id)
        acked = order.transition(OrderStatus.NEW, broker_order_id=f"b{next(self._ids)}", updated_at=NOW)
        self.orders[order.client_order_id] = acked
        if fault:
            raise fault[0]("injected after accept", status_code=504)
        return acked

    def cancel_order(self, broker_order_id: str) -> None:
        for cid, o in self.orders.items():
            if o.broker_order_id == broker_order_id and o.is_open:
                self.orders[cid] = o.transition(OrderStatus.CANCELED, updated_at=NOW)
                self._emit(OrderEvent.CANCELED, self.orders[cid], None)
                return
        raise OrderNotFound(broker_order_id, status_code=404)

    def replace_order(self, broker_order_id: str, **changes: object) -> Order:
        raise NotImplementedError

    def get_order(self, broker_order_id: str) -> Order:
        for o in self.orders.values():
            if o.broker_order_id == broker_order_id:
                return o
        raise OrderNotFound(broker_order_id, status_code=404)

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        fault = self._fault(self.lookup_faults)
        if fault:
            raise fault[0]("injected on lookup", status_code=503)
        return self.orders.get(client_order_id)

    def get_orders(self, status: str = "open") -> list[Order]:
        return [o for o in self.orders.values() if status == "all" or (o.is_open == (status == "open"))]

    def get_positions(self) -> list[Position]:
        return [Position(s, q, self.avg[s]) for s, q in sorted(self.positions.items()) if q]

    def get_account(self) -> Account:
        return Account(cash=self.cash, equity=self.cash, buying_power=self.cash, timestamp=NOW)

    def subscribe(self, handler) -> None:
        self.handlers.append(handler)

    # -- test controls --------------------------------------------------------------------

    def fill_open(self, prices: dict[str, float], commission: float = 0.0, fraction: float = 1.0,
                  at: datetime = NOW) -> list[Fill]:
        """Fill every open order at ``prices`` (``fraction`` of the remainder) at time ``at``."""
        fills = []
        for cid, o in list(self.orders.items()):
            if not o.is_open or o.symbol not in prices:
                continue
            qty = (o.remaining_qty or Decimal(0)) * Decimal(str(fraction))
            qty = qty.quantize(Decimal(1)) if fraction < 1 else qty
            if qty <= 0:
                continue
            price = Decimal(str(prices[o.symbol]))
            fill = Fill(
                f"x{next(self._exec)}",
                cid,
                o.symbol,
                o.side,
                qty,
                price,
                at,
                Decimal(str(commission)),
                o.broker_order_id,
            )
            total = o.filled_qty + qty
            status = OrderStatus.FILLED if total == o.qty else OrderStatus.PARTIALLY_FILLED
            o = o.evolve(filled_qty=total, filled_avg_price=price).transition(status, updated_at=NOW)
            self.orders[cid] = o
            self._book(fill)
            self._emit(OrderEvent.FILL if status is OrderStatus.FILLED else OrderEvent.PARTIAL_FILL, o, fill)
            fills.append(fill)
        return fills

    def _book(self, fill: Fill) -> None:
        q = self.positions.get(fill.symbol, Decimal(0))
        new = q + fill.signed_qty
        if q == 0 or (q > 0) == (fill.signed_qty > 0):
            self.avg[fill.symbol] = (self.avg.get(fill.symbol, Decimal(0)) * abs(q) + fill.price * fill.qty) / abs(new)
        self.positions[fill.symbol] = new
        self.cash -= fill.signed_qty * fill.price + fill.commission

    def _emit(self, event: OrderEvent, order: Order, fill: Fill | None) -> None:
        for h in self.handlers:
            h(OrderUpdate(event=event, order=order, timestamp=NOW, fill=fill))
