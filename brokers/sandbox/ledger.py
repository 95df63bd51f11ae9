"""The sandbox account's money and holdings: cash, the last close's equity, and one typed
:class:`Holding` per symbol, booked as Alpaca books them (quantities in decimal to 9 places, the
cost basis reduced pro rata on a partial close and restarted at the fill price on a flip).

Stored in the state document as ``{"qty", "cost"}`` per symbol, as it always was.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from framework.venue.increments import to_decimal

QTY_PLACES = Decimal("1e-9")  # Alpaca's quantities: up to 9 decimals, kept exactly


def exact_sum(a: float, b: float) -> float:
    """``a + b`` as Alpaca books quantities: in decimal, to 9 places (225.0334 − 47.9721 is
    177.0613, never the binary 177.06130000000002 that reconciliation would then adopt)."""
    return float((to_decimal(a) + to_decimal(b)).quantize(QTY_PLACES))


@dataclass(frozen=True, slots=True)
class Holding:
    """One symbol's position: signed quantity and signed cost basis (negative when short)."""

    qty: float
    cost: float

    def value(self, price: float) -> float:
        """Market value at ``price``, or at the entry price when there is no price."""
        return self.qty * (price if math.isfinite(price) else self.cost / self.qty)

    def after(self, signed: float, price: float) -> Holding:
        """The holding after a fill of ``signed`` shares at ``price``."""
        qty, cost = self.qty, self.cost
        if qty == 0 or (qty > 0) == (signed > 0):
            cost += signed * price
        else:
            closed = min(abs(signed), abs(qty))
            cost -= cost * closed / abs(qty)
            if abs(signed) > abs(qty):
                cost = (qty + signed) * price
        return Holding(exact_sum(qty, signed), cost)

    def split(self, ratio: Decimal) -> Holding:
        """After a split of ``ratio`` new shares per old one: more shares, the same cost basis."""
        return replace(self, qty=float(to_decimal(self.qty) * ratio))

    def to_json(self) -> dict[str, float]:
        return {"qty": self.qty, "cost": self.cost}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Holding:
        return cls(float(doc["qty"]), float(doc["cost"]))


FLAT = Holding(0.0, 0.0)


@dataclass
class Ledger:
    cash: float
    last_equity: float
    positions: dict[str, Holding] = field(default_factory=dict)

    def book(self, symbol: str, signed: float, price: float, charges: float) -> None:
        """A fill of ``signed`` shares at ``price`` costing ``charges`` beyond its price."""
        held = self.positions.get(symbol, FLAT).after(signed, price)
        if held.qty == 0:
            self.positions.pop(symbol, None)
        else:
            self.positions[symbol] = held
        sign = 1.0 if signed > 0 else -1.0
        self.cash -= sign * abs(signed) * price + charges

    def qty(self, symbol: str) -> float:
        return self.positions.get(symbol, FLAT).qty

    def equity(self, mark: Callable[[str], float]) -> float:
        value = 0.0
        for symbol, held in self.positions.items():
            value += held.value(mark(symbol))
        return self.cash + value

    def to_state(self) -> dict[str, Any]:
        return {
            "cash": self.cash,
            "last_equity": self.last_equity,
            "positions": {s: h.to_json() for s, h in self.positions.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Ledger:
        positions = {s: Holding.from_json(p) for s, p in state["positions"].items()}
        return cls(float(state["cash"]), float(state["last_equity"]), positions)


__all__ = ["FLAT", "Holding", "Ledger", "exact_sum"]
