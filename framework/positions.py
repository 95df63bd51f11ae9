"""Position and account snapshots as a broker reports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from framework.serialization import from_dict, to_decimal, to_dict, to_utc


@dataclass(frozen=True, slots=True)
class Position:
    """Signed quantity: negative is short."""

    symbol: str
    qty: Decimal
    avg_entry_price: Decimal
    market_price: Decimal | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "qty", to_decimal(self.qty, field="qty"))
        set_(self, "avg_entry_price", to_decimal(self.avg_entry_price, field="avg_entry_price"))
        if self.market_price is not None:
            set_(self, "market_price", to_decimal(self.market_price, field="market_price"))

    @property
    def market_value(self) -> Decimal | None:
        return None if self.market_price is None else self.qty * self.market_price

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return from_dict(cls, data)


@dataclass(frozen=True, slots=True)
class Account:
    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    timestamp: datetime
    currency: str = "USD"
    last_equity: Decimal | None = None
    trading_blocked: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("cash", "equity", "buying_power"):
            set_(self, name, to_decimal(getattr(self, name), field=name))
        if self.last_equity is not None:
            set_(self, "last_equity", to_decimal(self.last_equity, field="last_equity"))
        set_(self, "timestamp", to_utc(self.timestamp))

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return from_dict(cls, data)
