"""`--dry-run`: the real broker for every read, a recorder for every write.

An adapter, not a flag in the engine: the engine runs unchanged (on a private copy of the real
journal, so halts, loss guards and open orders count) and its writes stop here. What it would
have sent or canceled is answered as if it had happened, so the rest of the cycle plays out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from framework.broker import Broker, BrokerCapabilities, OrderQuery, OrderUpdateHandler
from framework.enums import OrderStatus
from framework.orders import Order
from framework.positions import Account, Position


class DryRunBroker:
    def __init__(self, inner: Broker) -> None:
        self.inner = inner
        self.would_send: list[Order] = []
        self.would_cancel: list[str] = []
        self._local: dict[str, Order] = {}  # broker id -> what the dry run made of it

    @property
    def capabilities(self) -> BrokerCapabilities:
        return self.inner.capabilities

    def submit_order(self, order: Order) -> Order:
        self.would_send.append(order)
        acked = order.transition(OrderStatus.ACCEPTED, updated_at=datetime.now(UTC),
                                 broker_order_id=f"dry-{order.client_order_id}")
        self._local[acked.broker_order_id] = acked  # type: ignore[index]
        return acked

    def cancel_order(self, broker_order_id: str) -> None:
        view = self.get_order(broker_order_id)
        self.would_cancel.append(broker_order_id)
        if view.is_open:
            self._local[broker_order_id] = view.transition(OrderStatus.CANCELED)

    def replace_order(self, broker_order_id: str, **changes: Any) -> Order:
        raise NotImplementedError("dry run does not replace orders")

    def get_order(self, broker_order_id: str) -> Order:
        local = self._local.get(broker_order_id)
        return local if local is not None else self.inner.get_order(broker_order_id)

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        for order in self._local.values():
            if order.client_order_id == client_order_id:
                return order
        return self.inner.get_order_by_client_id(client_order_id)  # sent by an earlier, real run

    def get_orders(self, status: OrderQuery = "open") -> list[Order]:
        return self.inner.get_orders(status)

    def get_positions(self) -> list[Position]:
        return self.inner.get_positions()

    def get_account(self) -> Account:
        return self.inner.get_account()

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        return None


__all__ = ["DryRunBroker"]
