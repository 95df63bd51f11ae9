"""One order at the sandbox venue, as a typed record: what Alpaca's order JSON says, in Python types.

The record is the venue's own book-keeping (an entity: it changes over its life, so it is not
frozen); the exchange moves it along Alpaca's statuses (new → partially filled → filled, or
canceled / expired / replaced). Its Alpaca JSON is written in one place,
:func:`brokers.sandbox.wire.order_json`, and read back from the state file by
:func:`brokers.sandbox.wire.order_from_json`.

Numbers are floats, as the sandbox's ledger keeps them; the wire writes each with
:func:`~brokers.sandbox.wire.money` (its shortest repr), so a value read back is the value written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce

TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REPLACED, OrderStatus.REJECTED}
)
AUCTIONS = frozenset({TimeInForce.OPG, TimeInForce.CLS})


@dataclass(slots=True)
class SandboxOrder:
    id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce
    qty: float  # a notional order's quantity is worked out when it is accepted
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime
    notional: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    trail_price: float | None = None
    trail_percent: float | None = None
    extended_hours: bool = False
    status: OrderStatus = OrderStatus.NEW
    filled_qty: float = 0.0
    filled_avg_price: float | None = None
    hwm: float | None = None  # a trailing stop's high-water mark (a buy's: its lowest low)
    elected: bool = False  # a stop-limit whose stop was reached: a limit order from then on (not in Alpaca's JSON)
    filled_at: datetime | None = None
    expired_at: datetime | None = None
    canceled_at: datetime | None = None
    replaced_at: datetime | None = None
    replaced_by: str | None = None
    replaces: str | None = None

    @property
    def working(self) -> bool:
        return self.status not in TERMINAL

    @property
    def remaining(self) -> float:
        return self.qty - self.filled_qty

    def filled(self, filled_qty: float, avg_price: float, at: datetime) -> None:
        """After a fill: ``filled_qty`` in all at ``avg_price`` on average, stamped ``at``."""
        done = filled_qty >= self.qty - 1e-9
        self.filled_qty, self.filled_avg_price, self.updated_at = filled_qty, avg_price, at
        self.status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
        self.filled_at = at if done else None

    def finish(self, status: OrderStatus, at: datetime) -> None:
        """Canceled or expired at ``at`` (its own timestamp field stamped too)."""
        self.status, self.updated_at = status, at
        if status is OrderStatus.CANCELED:
            self.canceled_at = at
        elif status is OrderStatus.EXPIRED:
            self.expired_at = at
        else:
            raise ValueError(f"an order finishes canceled or expired, not {status}")

    def replaced(self, by: str, at: datetime) -> None:
        self.status, self.replaced_by, self.replaced_at, self.updated_at = OrderStatus.REPLACED, by, at, at


__all__ = ["AUCTIONS", "TERMINAL", "SandboxOrder"]
