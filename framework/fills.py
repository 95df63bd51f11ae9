"""Fills: one execution of (part of) an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from framework.enums import OrderSide
from framework.serialization import from_dict, to_decimal, to_dict, to_utc


@dataclass(frozen=True, slots=True)
class Fill:
    """``execution_id`` is unique per broker execution: applying a fill twice is detectable."""

    execution_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    qty: Decimal
    price: Decimal
    timestamp: datetime
    commission: Decimal = Decimal(0)
    broker_order_id: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if type(self.side) is not OrderSide:  # a member already is its own coercion
            set_(self, "side", OrderSide(self.side))
        set_(self, "qty", to_decimal(self.qty, field="qty"))
        set_(self, "price", to_decimal(self.price, field="price"))
        set_(self, "commission", to_decimal(self.commission, field="commission"))
        set_(self, "timestamp", to_utc(self.timestamp))
        if self.qty <= 0 or self.price <= 0 or self.commission < 0:
            raise ValueError(f"fill {self.execution_id}: qty and price must be > 0, commission >= 0")

    @property
    def signed_qty(self) -> Decimal:
        return self.side.sign * self.qty

    @property
    def notional(self) -> Decimal:
        return self.qty * self.price

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return from_dict(cls, data)
