"""`--dry-run`: the real broker for every read, a recorder for every write.

An adapter, not a flag in the engine: the engine runs unchanged and its orders stop here.
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

    @property
    def capabilities(self) -> BrokerCapabilities:
        return self.inner.capabilities

    def submit_order(self, order: Order) -> Order:
        self.would_send.append(order)
        return order.transition(OrderStatus.ACCEPTED, updated_at=datetime.now(UTC),
                                broker_order_id=f"dry-{order.client_order_id}")

    def cancel_order(self, broker_order_id: str) -> None:
        return None

    def replace_order(self, broker_order_id: str, **changes: Any) -> Order:
        raise NotImplementedError("dry run does not replace orders")

    def get_order(self, broker_order_id: str) -> Order:
        return self.inner.get_order(broker_order_id)

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        return None  # nothing was sent, so nothing can be found

    def get_orders(self, status: OrderQuery = "open") -> list[Order]:
        return self.inner.get_orders(status)

    def get_positions(self) -> list[Position]:
        return self.inner.get_positions()

    def get_account(self) -> Account:
        return self.inner.get_account()

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        return None


__all__ = ["DryRunBroker"]
