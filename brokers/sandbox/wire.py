"""Alpaca's JSON shapes and error bodies, as alpaca-py's models parse them."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from framework.venue import AssetFlags, Rejection

ASSET_NAMESPACE = uuid.UUID("6f0a3c55-0000-4000-8000-00000000a1ca")


class SandboxError(Exception):
    """An Alpaca error answer: HTTP status plus Alpaca's ``{"code", "message", ...}`` body (a
    refusal by a venue rule carries the extra fields Alpaca sends, e.g. ``held_for_orders``)."""

    def __init__(self, status: int, code: int, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = dict(details or {})

    @classmethod
    def refusal(cls, rejection: Rejection) -> SandboxError:
        return cls(rejection.status, rejection.code, rejection.message, rejection.details)

    def body(self) -> dict[str, Any]:
        return {**self.details, "code": self.code, "message": self.message}


def not_found(what: str) -> SandboxError:
    return SandboxError(404, 40410000, f"{what} not found")


def invalid(message: str) -> SandboxError:
    return SandboxError(422, 40010001, message)


def asset_id(symbol: str) -> str:
    return str(uuid.uuid5(ASSET_NAMESPACE, symbol))


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def money(x: float) -> str:
    """Alpaca sends money as strings; the shortest repr keeps every digit we computed."""
    return repr(float(x))


def asset_json(symbol: str, flags: AssetFlags | None = None) -> dict[str, Any]:
    flags = flags or AssetFlags()
    return {
        "id": asset_id(symbol),
        "class": "us_equity",
        "exchange": "NASDAQ",
        "symbol": symbol,
        "name": symbol,
        "status": "active",
        "tradable": flags.tradable,
        "marginable": flags.marginable,
        "shortable": flags.shortable,
        "easy_to_borrow": flags.easy_to_borrow,
        "fractionable": flags.fractionable,
    }


def new_order(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A fresh order in Alpaca's shape from a validated request body."""

    def num(key: str) -> str | None:
        value = body.get(key)
        return None if value in (None, "") else money(float(value))

    return {
        "id": str(uuid.uuid4()),
        "client_order_id": body["client_order_id"],
        "created_at": iso(now),
        "updated_at": iso(now),
        "submitted_at": iso(now),
        "filled_at": None,
        "expired_at": None,
        "canceled_at": None,
        "failed_at": None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": asset_id(body["symbol"]),
        "symbol": body["symbol"],
        "asset_class": "us_equity",
        "notional": num("notional"),
        "qty": num("qty"),
        "filled_qty": "0",
        "filled_avg_price": None,
        "order_class": "simple",
        "order_type": body["type"],
        "type": body["type"],
        "side": body["side"],
        "time_in_force": body["time_in_force"],
        "limit_price": num("limit_price"),
        "stop_price": num("stop_price"),
        "status": "new",
        "extended_hours": bool(body.get("extended_hours")),
        "legs": None,
        "trail_percent": num("trail_percent"),
        "trail_price": num("trail_price"),
        "hwm": None,
        "position_intent": None,
    }


def position_json(
    symbol: str, qty: float, cost: float, price: float, last: float, available: float | None = None
) -> dict[str, Any]:
    avg = cost / qty if qty else 0.0
    value = qty * price
    return {
        "asset_id": asset_id(symbol),
        "symbol": symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "avg_entry_price": money(avg),
        "qty": money(qty),
        "qty_available": money(qty if available is None else math.copysign(available, qty)),
        "side": "long" if qty > 0 else "short",
        "market_value": money(value),
        "cost_basis": money(cost),
        "unrealized_pl": money(value - cost),
        "unrealized_plpc": money((value - cost) / abs(cost) if cost else 0.0),
        "current_price": money(price),
        "lastday_price": money(last),
        "change_today": money(price / last - 1 if last else 0.0),
    }
