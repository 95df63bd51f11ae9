"""The Broker protocol: the only way the execution core talks to the world.

Required of every adapter (backtrader simulator, Alpaca over alpaca-py):

==========================  ==============================================================
``capabilities``            what the venue supports natively (stops, trailing stops, ...)
``submit_order(order)``     send a CREATED order; returns it as acknowledged by the broker
``cancel_order(id)``        cancel by broker order id
``replace_order(id, ...)``  cancel/replace; returns the *new* order
``get_order(id)``           by broker order id
``get_order_by_client_id``  by client order id; ``None`` if the broker never saw it
``get_orders(status)``      "open", "closed" or "all"
``get_positions()``         current positions (signed quantities)
``get_account()``           cash, equity, buying power
``subscribe(handler)``      deliver :class:`OrderUpdate` values to ``handler``
==========================  ==============================================================

Optional: ``close(self)`` to release connections; ``subscribe_corporate_actions(handler)`` to
deliver the :class:`framework.venue.CorporateAction` values (splits, paid dividends) the broker
applied at an ex-date's open (the engine subscribes when the adapter has it). Adapters raise only
:mod:`framework.errors` broker errors; timeouts and lost answers are ``BrokerTimeout``, so
the order manager knows to look the order up by client order id before any retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from framework.enums import OrderEvent, TimeInForce
from framework.fills import Fill
from framework.orders import Order
from framework.positions import Account, Position
from framework.serialization import to_utc

OrderQuery = Literal["open", "closed", "all"]


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    native_stop: bool = True
    native_trailing_stop: bool = True
    fractional: bool = False
    short_selling: bool = True


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One event on one order, with the broker's view of the order after it."""

    event: OrderEvent
    order: Order
    timestamp: datetime
    fill: Fill | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "event", OrderEvent(self.event))
        object.__setattr__(self, "timestamp", to_utc(self.timestamp))


OrderUpdateHandler = Callable[[OrderUpdate], None]


@runtime_checkable
class Broker(Protocol):
    @property
    def capabilities(self) -> BrokerCapabilities: ...

    def submit_order(self, order: Order) -> Order: ...

    def cancel_order(self, broker_order_id: str) -> None: ...

    def replace_order(
        self,
        broker_order_id: str,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        trail: Decimal | None = None,
        time_in_force: TimeInForce | None = None,
        client_order_id: str | None = None,
    ) -> Order: ...

    def get_order(self, broker_order_id: str) -> Order: ...

    def get_order_by_client_id(self, client_order_id: str) -> Order | None: ...

    def get_orders(self, status: OrderQuery = "open") -> list[Order]: ...

    def get_positions(self) -> list[Position]: ...

    def get_account(self) -> Account: ...

    def subscribe(self, handler: OrderUpdateHandler) -> None: ...
