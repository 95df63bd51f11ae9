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
applied at an ex-date's open (the engine subscribes when the adapter has it).

Optional for a live venue (what the applications in :mod:`framework.live` need; a broker with all
of them is a :class:`LiveBroker`, and the next adapter gets the paper service free):

==========================  ==============================================================
``seed(orders, fills)``     what the journal knows, so no fill is delivered twice (:class:`Seeded`)
``poll()`` ``dispatch()``   ask for tracked orders now; deliver queued updates (:class:`Polled`)
``adopt(order, when)``      track an order we never placed, as the venue reports it (:class:`Adopting`)
``get_clock()``             the venue's clock (:class:`ClockReading`) (:class:`VenueCalendar`)
``get_calendar(a, b)``      the venue's sessions between two days (:class:`SessionDay`)
``stream_connected``        whether updates arrive pushed (else polled) (:class:`StreamHealth`)
``cancel_all_orders()``     and ``close_all_positions()``: the operator's flatten (:class:`Flattening`)
==========================  ==============================================================

Adapters raise only
:mod:`framework.errors` broker errors; timeouts and lost answers are ``BrokerTimeout``, so
the order manager knows to look the order up by client order id before any retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
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
    # The venue holds an order until its ``created_at`` by itself (the backtest's simulator places
    # a TWAP child on its minutes). Otherwise an order stamped later than now is kept journaled by
    # the order manager and sent when due (a live venue fills what it receives at once).
    timed_orders: bool = False
    # The venue judges every order it receives by the venue model (:mod:`framework.venue`) in this
    # process, against its own book (the simulators: backtrader's adapter, the lean path): its
    # refusal costs no round trip, so the order manager does not judge the order first — one
    # venue check per order, the venue's own — and journals a refusal by a rule as its own
    # ("venue_rule"). Elsewhere the order manager judges first, so a refused order is never sent.
    judges_orders: bool = False


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One event on one order, with the broker's view of the order after it."""

    event: OrderEvent
    order: Order
    timestamp: datetime
    fill: Fill | None = None

    def __post_init__(self) -> None:
        if type(self.event) is not OrderEvent:  # every adapter passes the enum: no lookup then
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


# -- optional protocols of a live venue -------------------------------------------------------


class ClockReading(Protocol):
    """One answer of the venue's clock."""

    @property
    def timestamp(self) -> datetime: ...

    @property
    def is_open(self) -> bool: ...

    @property
    def next_open(self) -> datetime: ...

    @property
    def next_close(self) -> datetime: ...


class SessionDay(Protocol):
    """One session of the venue's calendar."""

    @property
    def date(self) -> date: ...


@runtime_checkable
class Seeded(Protocol):
    def seed(self, orders: Iterable[Order], fills: Iterable[Fill]) -> None: ...


@runtime_checkable
class Polled(Protocol):
    def poll(self) -> int: ...

    def dispatch(self, timeout: float = 0.0) -> int: ...


@runtime_checkable
class Adopting(Protocol):
    def adopt(self, order: Order, when: datetime) -> OrderUpdate | None: ...


@runtime_checkable
class VenueCalendar(Protocol):
    def get_clock(self) -> ClockReading: ...

    def get_calendar(self, start: date, end: date) -> list[SessionDay]: ...


@runtime_checkable
class StreamHealth(Protocol):
    @property
    def stream_connected(self) -> bool: ...


@runtime_checkable
class Flattening(Protocol):
    def cancel_all_orders(self) -> int: ...

    def close_all_positions(self) -> list[Order]:
        """Every open order canceled, every position closed: the closing orders the venue accepted."""
        ...


@runtime_checkable
class LiveBroker(Broker, Seeded, Polled, Adopting, VenueCalendar, StreamHealth, Flattening, Protocol):
    """A broker the paper service can run on: the core's protocol and every live option."""

    def get_orders(self, status: OrderQuery = "open", *, after: datetime | None = None) -> list[Order]: ...

    def start(self) -> None: ...

    def close(self) -> None: ...
