"""Alpaca's JSON shapes and error bodies, as alpaca-py's models parse them: the sandbox's typed
records (orders, the account, positions, assets) become Alpaca's JSON here and nowhere else."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brokers.sandbox.account import AccountView, PositionView
from brokers.sandbox.order import SandboxOrder
from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from framework.venue import AssetFlags, Rejection

ASSET_NAMESPACE = uuid.UUID("6f0a3c55-0000-4000-8000-00000000a1ca")
ACCOUNT_ID = "9c8f7c6e-5a4b-4c3d-8e2f-1a0b9c8d7e6f"


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


def _num(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _money(x: float | None) -> str | None:
    return None if x is None else money(x)


def order_json(o: SandboxOrder) -> dict[str, Any]:
    """The order in Alpaca's JSON, key for key as Alpaca sends it: the one place it is written
    (route answers, trade-update messages and the state file all use it)."""
    return {
        "id": o.id,
        "client_order_id": o.client_order_id,
        "created_at": iso(o.created_at),
        "updated_at": iso(o.updated_at),
        "submitted_at": iso(o.submitted_at),
        "filled_at": iso(o.filled_at),
        "expired_at": iso(o.expired_at),
        "canceled_at": iso(o.canceled_at),
        "failed_at": None,
        "replaced_at": iso(o.replaced_at),
        "replaced_by": o.replaced_by,
        "replaces": o.replaces,
        "asset_id": asset_id(o.symbol),
        "symbol": o.symbol,
        "asset_class": "us_equity",
        "notional": _money(o.notional),
        "qty": money(o.qty),
        "filled_qty": money(o.filled_qty) if o.filled_qty else "0",
        "filled_avg_price": _money(o.filled_avg_price),
        "order_class": "simple",
        "order_type": o.type.value,
        "type": o.type.value,
        "side": o.side.value,
        "time_in_force": o.time_in_force.value,
        "limit_price": _money(o.limit_price),
        "stop_price": _money(o.stop_price),
        "status": o.status.value,
        "extended_hours": o.extended_hours,
        "legs": None,
        "trail_percent": _money(o.trail_percent),
        "trail_price": _money(o.trail_price),
        "hwm": _money(o.hwm),
        "position_intent": None,
    }


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def order_from_json(doc: Mapping[str, Any]) -> SandboxOrder:
    """An order as :func:`order_json` wrote it (the state file's orders)."""
    return SandboxOrder(
        id=doc["id"],
        client_order_id=doc["client_order_id"],
        symbol=doc["symbol"],
        side=OrderSide(doc["side"]),
        type=OrderType(doc["type"]),
        time_in_force=TimeInForce(doc["time_in_force"]),
        qty=float(doc["qty"]),
        created_at=datetime.fromisoformat(doc["created_at"]),
        updated_at=datetime.fromisoformat(doc["updated_at"]),
        submitted_at=datetime.fromisoformat(doc["submitted_at"]),
        notional=_num(doc["notional"]),
        limit_price=_num(doc["limit_price"]),
        stop_price=_num(doc["stop_price"]),
        trail_price=_num(doc["trail_price"]),
        trail_percent=_num(doc["trail_percent"]),
        extended_hours=bool(doc["extended_hours"]),
        status=OrderStatus(doc["status"]),
        filled_qty=float(doc["filled_qty"]),
        filled_avg_price=_num(doc["filled_avg_price"]),
        hwm=_num(doc["hwm"]),
        filled_at=_when(doc["filled_at"]),
        expired_at=_when(doc["expired_at"]),
        canceled_at=_when(doc["canceled_at"]),
        replaced_at=_when(doc["replaced_at"]),
        replaced_by=doc["replaced_by"],
        replaces=doc["replaces"],
    )


def account_json(a: AccountView) -> dict[str, Any]:
    """``/v2/account``, key for key as Alpaca sends it."""
    margin = a.margin
    return {
        "id": ACCOUNT_ID,
        "account_number": "SANDBOX001",
        "status": "ACTIVE",
        "currency": "USD",
        "cash": money(a.cash),
        "buying_power": money(float(margin.buying_power)),
        "regt_buying_power": money(float(margin.regt_buying_power)),
        "non_marginable_buying_power": money(float(margin.non_marginable_buying_power)),
        "equity": money(a.equity),
        "last_equity": money(a.last_equity),
        "portfolio_value": money(a.equity),
        "long_market_value": money(a.long_market_value),
        "short_market_value": money(a.short_market_value),
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "shorting_enabled": margin.multiplier > 1,
        "multiplier": str(margin.multiplier),
        "initial_margin": money(float(margin.initial_margin)),
        "maintenance_margin": money(float(margin.maintenance_margin)),
        "created_at": "2015-01-01T00:00:00Z",
    }


def position_json(p: PositionView) -> dict[str, Any]:
    """``/v2/positions/{symbol}``, key for key as Alpaca sends it."""
    qty, cost, value, last = p.qty, p.cost, p.market_value, p.last
    return {
        "asset_id": asset_id(p.symbol),
        "symbol": p.symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "avg_entry_price": money(p.avg_entry_price),
        "qty": money(qty),
        "qty_available": money(qty if p.available is None else math.copysign(p.available, qty)),
        "side": "long" if qty > 0 else "short",
        "market_value": money(value),
        "cost_basis": money(cost),
        "unrealized_pl": money(value - cost),
        "unrealized_plpc": money((value - cost) / abs(cost) if cost else 0.0),
        "current_price": money(p.price),
        "lastday_price": money(last),
        "change_today": money(p.price / last - 1 if last else 0.0),
    }


#: One daily bar as Alpaca sends it (``n`` and ``vw`` are not simulated), spaced as ``json.dumps`` spaces.
_BAR = '{"t": "%s", "o": %s, "h": %s, "l": %s, "c": %s, "v": %s, "n": null, "vw": null}'


def _json_number(x: float) -> str:
    """``x`` as ``json.dumps`` writes a float (``NaN``/``Infinity`` for the non-finite)."""
    if math.isfinite(x):
        return float.__repr__(x)
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


@dataclass(frozen=True, slots=True)
class BarRun:
    """One symbol's bars on a page: the stamps and each field's values, in bar order."""

    symbol: str
    stamps: list[str]
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]


def _numbers(values: list[float]) -> Iterator[str]:
    """Each value as ``json.dumps`` writes it; the common all-finite case without a Python call each."""
    finite = all(map(math.isfinite, values))
    return map(float.__repr__ if finite else _json_number, values)


def bar_texts(stamps: list[str], *fields: list[float]) -> list[str]:
    """Each bar (its stamp, then open, high, low, close, volume) as ``json.dumps`` writes its dict."""
    numbers = (_numbers(values) for values in fields)
    return list(map(_BAR.__mod__, zip(stamps, *numbers, strict=True)))


def page_text(runs: list[tuple[str, list[str]]], next_page_token: str | None) -> str:
    """A ``GET /v2/stocks/bars`` page from each symbol's bars written as text (:func:`bar_texts`)."""
    parts = [f"{json.dumps(symbol)}: [{', '.join(texts)}]" for symbol, texts in runs]
    return f'{{"bars": {{{", ".join(parts)}}}, "next_page_token": {json.dumps(next_page_token)}}}'


def bars_page(runs: list[BarRun], next_page_token: str | None) -> str:
    """A ``GET /v2/stocks/bars`` page, ``{"bars": {symbol: [bar, ...]}, "next_page_token"}``, written
    as text the way ``json.dumps`` writes the same objects (the same bytes): 10,000 bars a page
    with no dict built per bar (building and encoding them was most of a 500-symbol cycle)."""
    texts = [(run.symbol, bar_texts(run.stamps, run.open, run.high, run.low, run.close, run.volume))
             for run in runs]
    return page_text(texts, next_page_token)
