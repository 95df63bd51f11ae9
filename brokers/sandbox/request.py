"""What a client asks the sandbox venue, as typed records: parsed and validated once, at the route
boundary, so the exchange never reads a request's dict.

- :class:`OrderRequest`: ``POST /v2/orders`` (and the order a replacement or a position's close
  sends): Alpaca's fields, their shape checked here (required fields, known side/type/time in
  force, qty or notional, the prices the type needs, numbers that are numbers). What needs the
  account (a known symbol, an unused client id, the venue's rules) is the exchange's to judge.
- :class:`ReplaceRequest`: ``PATCH /v2/orders/{id}``, the fields Alpaca lets a replacement change.
- :class:`OrderQuery`: ``GET /v2/orders``'s query.
- :class:`CloseRequest`: ``DELETE /v2/positions/{symbol}``'s query (all, ``qty`` or ``percentage``).

A malformed request is Alpaca's 422 (:func:`brokers.sandbox.wire.invalid`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.wire import invalid
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.errors import InvalidOrder
from framework.orders import Order
from framework.venue.increments import to_decimal

LIMITED = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
STOPPED = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})
STATUSES = frozenset({"open", "closed", "all"})
MAX_LISTED = 500


def _blank(value: Any) -> bool:
    return value in (None, "")


def _number(body: Mapping[str, Any], key: str) -> Decimal | None:
    """The field as written (a JSON number through its shortest repr), or None when absent."""
    value = body.get(key)
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(f"{key} must be a number")
    try:
        number = to_decimal(value)
    except InvalidOperation:
        raise invalid(f"{key} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise invalid(f"{key} must be a number, not {value!r}")
    return number


def _float(number: Decimal | None) -> float | None:
    return None if number is None else float(number)


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce
    qty: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    client_order_id: str | None = None  # None: the venue names it

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> OrderRequest:
        """The request in ``body`` (a JSON object), or Alpaca's 422 naming what is wrong."""
        for key in ("symbol", "side", "type", "time_in_force"):
            if not body.get(key):
                raise invalid(f"{key} is required")
        try:
            side, kind, tif = OrderSide(body["side"]), OrderType(body["type"]), TimeInForce(body["time_in_force"])
        except ValueError:
            raise invalid("invalid type, side or time_in_force") from None
        request = cls(
            symbol=str(body["symbol"]),
            side=side,
            type=kind,
            time_in_force=tif,
            qty=_number(body, "qty"),
            notional=_number(body, "notional"),
            limit_price=_number(body, "limit_price"),
            stop_price=_number(body, "stop_price"),
            trail_price=_number(body, "trail_price"),
            trail_percent=_number(body, "trail_percent"),
            extended_hours=bool(body.get("extended_hours")),
            client_order_id=str(body["client_order_id"]) if body.get("client_order_id") else None,
        )
        request.check()
        return request

    def check(self) -> None:
        """The fields this order's type needs are there (qty or notional, never both)."""
        if (self.qty is None) == (self.notional is None):
            raise invalid("qty or notional is required")
        if self.type in LIMITED and self.limit_price is None:
            raise invalid("limit_price is required")
        if self.type in STOPPED and self.stop_price is None:
            raise invalid("stop_price is required")

    @classmethod
    def of(cls, order: SandboxOrder) -> OrderRequest:
        """The request that would send ``order`` again (its full quantity, its client id)."""
        return cls(order.symbol, order.side, order.type, order.time_in_force, _dec(order.qty), None,
                   _dec(order.limit_price), _dec(order.stop_price), _dec(order.trail_price),
                   _dec(order.trail_percent), client_order_id=order.client_order_id)

    def shares(self, price: float) -> float:
        """The order's quantity: its ``qty``, or its notional at ``price`` (to 9 decimals, Alpaca's)."""
        if self.notional is not None:
            return round(float(self.notional) / price, 9)
        if self.qty is None:
            raise ValueError("a checked request has qty or notional")
        return float(self.qty)

    def named(self, client_order_id: str) -> OrderRequest:
        return dataclasses.replace(self, client_order_id=client_order_id)

    def as_order(self, now: datetime) -> Order:
        """The request as the project's :class:`Order`, for the venue model to judge (named)."""
        try:
            return Order(
                client_order_id=self.client_order_id or "",
                symbol=self.symbol,
                side=self.side,
                type=self.type,
                qty=self.qty,
                notional=self.notional,
                time_in_force=self.time_in_force,
                limit_price=self.limit_price,
                stop_price=self.stop_price,
                trail_price=self.trail_price,
                trail_percent=self.trail_percent,
                extended_hours=self.extended_hours,
                created_at=now,
            )
        except (InvalidOrder, ValueError, ArithmeticError) as e:
            raise invalid(str(e)) from None

    def accepted(self, order_id: str, qty: float, now: datetime) -> SandboxOrder:
        """The venue's record of this request, accepted as ``order_id`` for ``qty`` shares (a
        notional order's quantity worked out by the venue)."""
        if self.client_order_id is None:
            raise ValueError("an accepted order is named")
        return SandboxOrder(
            id=order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            type=self.type,
            time_in_force=self.time_in_force,
            qty=qty,
            created_at=now,
            updated_at=now,
            submitted_at=now,
            notional=_float(self.notional),
            limit_price=_float(self.limit_price),
            stop_price=_float(self.stop_price),
            trail_price=_float(self.trail_price),
            trail_percent=_float(self.trail_percent),
            extended_hours=self.extended_hours,
        )


@dataclass(frozen=True, slots=True)
class ReplaceRequest:
    """What a replacement changes (None: keep the order's own); ``trail`` is a trailing stop's
    new trail, in the unit the order trails by."""

    qty: Decimal | None = None
    time_in_force: TimeInForce | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail: Decimal | None = None
    client_order_id: str | None = None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ReplaceRequest:
        tif = body.get("time_in_force")
        try:
            time_in_force = None if _blank(tif) else TimeInForce(tif)
        except ValueError:
            raise invalid(f"invalid time_in_force {tif!r}") from None
        return cls(_number(body, "qty"), time_in_force, _number(body, "limit_price"), _number(body, "stop_price"),
                   _number(body, "trail"), str(body["client_order_id"]) if body.get("client_order_id") else None)

    def applied_to(self, old: SandboxOrder, client_order_id: str) -> OrderRequest:
        """The request the replacement sends: ``old`` with these changes, named ``client_order_id``."""
        sent = OrderRequest.of(old)
        trail_key = "trail_percent" if old.trail_percent is not None else "trail_price"
        changes: dict[str, Any] = {"qty": self.qty, "time_in_force": self.time_in_force,
                                   "limit_price": self.limit_price, "stop_price": self.stop_price,
                                   trail_key: self.trail}
        return dataclasses.replace(sent, client_order_id=client_order_id,
                                   **{k: v for k, v in changes.items() if v is not None})


def _int(query: Mapping[str, str], key: str, default: int) -> int:
    value = query.get(key)
    if _blank(value):
        return default
    try:
        return int(str(value))
    except ValueError:
        raise invalid(f"{key} must be a whole number, not {value!r}") from None


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """``GET /v2/orders``: ``status`` open, closed or all; newest first unless ``direction`` is asc;
    ``after`` / ``until`` compared with the submission time as Alpaca's JSON writes it."""

    status: str = "open"
    limit: int = 50
    symbols: frozenset[str] | None = None
    direction: str = "desc"
    after: str | None = None
    until: str | None = None
    side: OrderSide | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> OrderQuery:
        status, direction, side = query.get("status", "open"), query.get("direction", "desc"), query.get("side")
        if status not in STATUSES:
            raise invalid(f"status must be open, closed or all, not {status!r}")
        if direction not in ("asc", "desc"):
            raise invalid(f"direction must be asc or desc, not {direction!r}")
        if side and side not in ("buy", "sell"):
            raise invalid(f"side must be buy or sell, not {side!r}")
        symbols = frozenset(query["symbols"].split(",")) if query.get("symbols") else None
        return cls(status, min(_int(query, "limit", 50), MAX_LISTED), symbols, direction, query.get("after"),
                   query.get("until"), OrderSide(side) if side else None)


@dataclass(frozen=True, slots=True)
class CloseRequest:
    """How much of a position to close: all of it, ``qty`` shares or ``percentage`` of it."""

    qty: float | None = None
    percentage: float | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> CloseRequest:
        return cls(_float(_number(query, "qty")), _float(_number(query, "percentage")))

    def size(self, held: float) -> float:
        """The shares to close of a position of ``held`` (signed) shares."""
        if self.qty is not None:
            return self.qty
        return abs(held) if self.percentage is None else abs(held) * self.percentage / 100


__all__ = ["CloseRequest", "OrderQuery", "OrderRequest", "ReplaceRequest"]
