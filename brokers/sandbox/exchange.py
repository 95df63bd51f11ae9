"""The simulated market and account: a replayed dataset on a simulated clock.

Session i has two phases. ``pre_open``: bars of sessions before i are visible and the market
is closed; orders queue. ``open``: queued market orders filled at session i's open. Advancing
past the close checks resting limit/stop orders against session i's range, expires DAY orders,
marks the account at the close and moves to ``pre_open`` of session i + 1. Fills use
:mod:`framework.costs`, the same slippage and commission as the backtest.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from brokers.sandbox.faults import FaultBook, FaultKind
from brokers.sandbox.intraday import IntradayPath
from brokers.sandbox.wire import SandboxError, invalid, iso, money, new_order, not_found, position_json
from framework.config.backtest import BacktestConfig
from framework.costs import commission, slipped_price
from framework.data import MarketData
from framework.enums import OrderSide

NEW_YORK = ZoneInfo("America/New_York")
OPEN, CLOSE = time(9, 30), time(16, 0)
TERMINAL = {"filled", "canceled", "expired", "replaced", "rejected"}
TYPES = {"market", "limit", "stop", "stop_limit", "trailing_stop"}
TIFS = {"day", "gtc", "opg", "cls", "ioc", "fok"}


def at(day: pd.Timestamp, when: time) -> datetime:
    return datetime.combine(day.date(), when, NEW_YORK)


class Exchange:
    def __init__(
        self, market: MarketData, costs: BacktestConfig, *, start: int, cash: float, faults: FaultBook | None = None
    ) -> None:
        self.market, self.costs = market, costs
        self.dates = market.dates
        self.session, self.phase = start, "pre_open"
        self.cash, self.last_equity = float(cash), float(cash)
        self.orders: dict[str, dict[str, Any]] = {}
        self.by_client_id: dict[str, str] = {}
        self.positions: dict[str, dict[str, float]] = {}  # symbol -> {"qty", "cost"}
        self.faults = faults or FaultBook()
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._exec = itertools.count(1)
        self._open = market.open.to_numpy()
        self._index = {s: j for j, s in enumerate(market.symbols)}
        self.intraday: IntradayPath | None = None  # prices moving inside a session (wall-clock mode)

    # -- state ---------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "phase": self.phase,
            "cash": self.cash,
            "last_equity": self.last_equity,
            "orders": self.orders,
            "positions": self.positions,
            "fingerprint": self.market.fingerprint,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.session, self.phase = int(state["session"]), state["phase"]
        self.cash, self.last_equity = float(state["cash"]), float(state["last_equity"])
        self.orders, self.positions = state["orders"], state["positions"]
        self.by_client_id = {o["client_order_id"]: oid for oid, o in self.orders.items()}

    # -- clock ---------------------------------------------------------------------------

    @property
    def day(self) -> pd.Timestamp:
        return self.dates[min(self.session, len(self.dates) - 1)]

    @property
    def now(self) -> datetime:
        if self.is_open and self.intraday is not None and self.intraday.active:
            return self.intraday.now(at(self.day, OPEN))
        return at(self.day, time(9, 0) if self.phase == "pre_open" else time(10, 0))

    def mark(self, symbol: str) -> float:
        """What a position is valued at: the last close, or its intraday price (``intraday``)."""
        if self.is_open and self.intraday is not None and self.intraday.active:
            return self.intraday.price(self, symbol)
        return self.last_close(symbol)

    @property
    def is_open(self) -> bool:
        return self.phase == "open"

    def clock(self) -> dict[str, Any]:
        nxt = self.day if self.phase == "pre_open" else self.dates[min(self.session + 1, len(self.dates) - 1)]
        return {
            "timestamp": iso(self.now),
            "is_open": self.is_open,
            "next_open": iso(at(nxt, OPEN)),
            "next_close": iso(at(self.day, CLOSE)),
        }

    def calendar(self, start: str | None, end: str | None) -> list[dict[str, str]]:
        dates = self.dates
        if start:
            dates = dates[dates >= pd.Timestamp(start)]
        if end:
            dates = dates[dates <= pd.Timestamp(end)]
        return [{"date": f"{d:%Y-%m-%d}", "open": "09:30", "close": "16:00"} for d in dates]

    def visible(self) -> pd.DatetimeIndex:
        """Sessions whose bar has closed."""
        return self.dates[: self.session]

    def last_close(self, symbol: str) -> float:
        closes = self.market.close[symbol].iloc[: self.session].dropna()
        return float(closes.iloc[-1]) if len(closes) else float("nan")

    def advance(self, to: str = "next_session") -> dict[str, Any]:
        if (self.session >= len(self.dates) - 1 and self.phase == "open") or self.session >= len(self.dates):
            raise SandboxError(422, 42210000, "the dataset has no more sessions")
        if to not in {"open", "close", "next_session"}:
            raise invalid(f"advance to must be open, close or next_session, not {to!r}")
        if self.phase == "pre_open":
            self._open_session()
            if to == "open":
                return self.clock()
        self._close_session()
        return self.clock()

    def _open_session(self) -> None:
        self.phase = "open"
        for order in self._working():
            if order["type"] == "market":
                self._fill_at_open(order)

    def _close_session(self) -> None:
        i = self.session
        for order in self._working():
            self._check_resting(order, i)
        for order in self._working():
            if order["time_in_force"] in {"day", "opg", "cls", "ioc", "fok"}:
                self._finish(order, "expired", "expired_at")
        self.session += 1
        self.phase = "pre_open"
        self.last_equity = self.equity()

    # -- account ---------------------------------------------------------------------------

    def equity(self) -> float:
        value = 0.0
        for symbol, pos in self.positions.items():
            price = self.mark(symbol)
            value += pos["qty"] * (price if math.isfinite(price) else pos["cost"] / pos["qty"])
        return self.cash + value

    def account(self) -> dict[str, Any]:
        long = sum(p["qty"] * self.mark(s) for s, p in self.positions.items() if p["qty"] > 0)
        short = sum(p["qty"] * self.mark(s) for s, p in self.positions.items() if p["qty"] < 0)
        equity = self.equity()
        return {
            "id": "9c8f7c6e-5a4b-4c3d-8e2f-1a0b9c8d7e6f",
            "account_number": "SANDBOX001",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": money(self.cash),
            "buying_power": money(self.buying_power()),
            "equity": money(equity),
            "last_equity": money(self.last_equity),
            "portfolio_value": money(equity),
            "long_market_value": money(long),
            "short_market_value": money(short),
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "shorting_enabled": True,
            "multiplier": "1",
            "initial_margin": "0",
            "maintenance_margin": "0",
            "created_at": "2015-01-01T00:00:00Z",
        }

    def buying_power(self) -> float:
        reserved = sum(self._estimate(o) for o in self._working() if o["side"] == "buy")
        return max(self.cash - reserved, 0.0)

    def _spendable(self) -> float:
        """Cash a new buy may use: buying power plus what pending sells will bring at the open.
        Orders queued before the open execute in order there (the engine sends sells first),
        exactly as the backtest's broker executes them."""
        pending_sells = sum(self._estimate(o) for o in self._working() if o["side"] == "sell")
        return self.buying_power() + pending_sells

    def _estimate(self, order: dict[str, Any]) -> float:
        remaining = float(order["qty"] or 0) - float(order["filled_qty"])
        price = float(order["limit_price"] or self.last_close(order["symbol"]))
        return remaining * price if math.isfinite(price) else 0.0

    def position(self, symbol: str) -> dict[str, Any]:
        pos = self.positions.get(symbol)
        if not pos or not pos["qty"]:
            raise not_found(f"position {symbol}")
        closes = self.market.close[symbol].iloc[: self.session].dropna()
        last = float(closes.iloc[-2]) if len(closes) > 1 else float(closes.iloc[-1])
        return position_json(symbol, pos["qty"], pos["cost"], self.mark(symbol), last)

    def all_positions(self) -> list[dict[str, Any]]:
        return [self.position(s) for s in sorted(self.positions) if self.positions[s]["qty"]]

    # -- orders ----------------------------------------------------------------------------

    def _working(self) -> list[dict[str, Any]]:
        return [o for o in self.orders.values() if o["status"] not in TERMINAL]

    def _validate(self, body: dict[str, Any]) -> None:
        for key in ("symbol", "side", "type", "time_in_force"):
            if not body.get(key):
                raise invalid(f"{key} is required")
        if body["symbol"] not in self._index:  # Alpaca: 422, the order is invalid (404 is "no such order")
            raise invalid(f"asset {body['symbol']} not found")
        if body["type"] not in TYPES or body["time_in_force"] not in TIFS or body["side"] not in ("buy", "sell"):
            raise invalid("invalid type, side or time_in_force")
        if (body.get("qty") in (None, "")) == (body.get("notional") in (None, "")):
            raise invalid("qty or notional is required")
        if body["type"] in ("limit", "stop_limit") and body.get("limit_price") in (None, ""):
            raise invalid("limit_price is required")
        if body["type"] in ("stop", "stop_limit") and body.get("stop_price") in (None, ""):
            raise invalid("stop_price is required")
        cid = body.get("client_order_id") or ""
        if len(cid) > 48:
            raise invalid("client_order_id must be no more than 48 characters")
        if cid in self.by_client_id:
            raise invalid("client_order_id must be unique")

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "client_order_id": body.get("client_order_id") or f"sandbox-{next(self._exec)}"}
        self._validate(body)
        if self.faults.take({FaultKind.REJECT}, "POST /v2/orders"):
            raise SandboxError(403, 40310000, "order rejected (sandbox fault)")
        if body.get("notional") not in (None, ""):
            price = self.last_close(body["symbol"])
            body = {**body, "qty": round(float(body["notional"]) / price, 9), "notional": body["notional"]}
        order = new_order(body, self.now)
        if order["side"] == "buy" and self._estimate(order) > self._spendable() + 1e-9:
            raise SandboxError(403, 40310000, "insufficient buying power")
        self.orders[order["id"]] = order
        self.by_client_id[order["client_order_id"]] = order["id"]
        self._emit("new", order)
        if self.is_open and order["type"] == "market":
            self._fill_at_open(order)
        return order

    def get(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise not_found("order")
        return self.orders[order_id]

    def by_client(self, client_order_id: str) -> dict[str, Any]:
        if client_order_id not in self.by_client_id:
            raise not_found("order")
        return self.orders[self.by_client_id[client_order_id]]

    def list(
        self,
        status: str,
        limit: int,
        symbols: set[str] | None,
        direction: str,
        after: str | None,
        until: str | None,
        side: str | None = None,
    ) -> list[dict[str, Any]]:
        chosen = [
            o
            for o in self.orders.values()
            if (status == "all" or (status == "open") == (o["status"] not in TERMINAL))
            and (not symbols or o["symbol"] in symbols)
            and (not side or o["side"] == side)
            and (not after or o["submitted_at"] > after)
            and (not until or o["submitted_at"] < until)
        ]
        chosen.sort(key=lambda o: o["submitted_at"], reverse=direction != "asc")
        return chosen[:limit]

    def cancel(self, order_id: str) -> None:
        order = self.get(order_id)
        if order["status"] in TERMINAL:
            raise SandboxError(422, 42210000, f"order is already {order['status']}")
        self._finish(order, "canceled", "canceled_at")

    def replace(self, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        old = self.get(order_id)
        if old["status"] in TERMINAL:
            raise SandboxError(422, 42210000, f"order is already {old['status']}")
        fields = {
            k: old[k]
            for k in (
                "symbol",
                "side",
                "type",
                "time_in_force",
                "qty",
                "limit_price",
                "stop_price",
                "trail_price",
                "trail_percent",
            )
        }
        fields.update({k: v for k, v in body.items() if v is not None and k in fields})
        if "trail" in body and body["trail"] is not None:
            fields["trail_percent" if old["trail_percent"] else "trail_price"] = body["trail"]
        fields["client_order_id"] = body.get("client_order_id") or f"{old['client_order_id'][:40]}-r{next(self._exec)}"
        new = self.submit(fields)
        new["replaces"] = old["id"]
        old.update(status="replaced", replaced_by=new["id"], replaced_at=iso(self.now), updated_at=iso(self.now))
        self._emit("replaced", old)
        return new

    def close_position(self, symbol: str, qty: float | None = None, percentage: float | None = None) -> dict[str, Any]:
        pos = self.positions.get(symbol)
        if not pos or not pos["qty"]:
            raise not_found(f"position {symbol}")
        size = (
            abs(pos["qty"])
            if qty is None and percentage is None
            else (qty if qty is not None else abs(pos["qty"]) * percentage / 100)
        )
        side = "sell" if pos["qty"] > 0 else "buy"
        return self.submit({"symbol": symbol, "qty": size, "side": side, "type": "market", "time_in_force": "day"})

    # -- fills ------------------------------------------------------------------------------

    def _bar(self, symbol: str, i: int) -> tuple[float, float, float, float, float]:
        m = self.market
        return (
            float(m.open[symbol].iloc[i]),
            float(m.high[symbol].iloc[i]),
            float(m.low[symbol].iloc[i]),
            float(m.close[symbol].iloc[i]),
            float(m.volume[symbol].iloc[i]),
        )

    def _fill_at_open(self, order: dict[str, Any]) -> None:
        o, h, low, _, volume = self._bar(order["symbol"], self.session)
        if not math.isfinite(o):
            return  # no trading in this symbol today: stays queued
        side = OrderSide(order["side"])
        price = slipped_price(o, side, self.costs.slippage, low=low, high=h)
        self._fill(order, price, volume)

    def _check_resting(self, order: dict[str, Any], i: int) -> None:
        o, h, low, _, volume = self._bar(order["symbol"], i)
        if not math.isfinite(o) or order["type"] == "market":
            return
        side = OrderSide(order["side"])
        buy = side is OrderSide.BUY
        kind = order["type"]
        if kind == "trailing_stop":
            hwm = float(order["hwm"] or o)
            hwm = max(hwm, h) if not buy else min(hwm, low)
            order["hwm"] = money(hwm)
            trail = float(order["trail_price"]) if order["trail_price"] else hwm * float(order["trail_percent"]) / 100
            stop = hwm - trail if not buy else hwm + trail
            kind, order_stop = "stop", stop
        else:
            order_stop = float(order["stop_price"]) if order["stop_price"] else None
        if kind in ("stop", "stop_limit"):
            triggered = (h >= order_stop) if buy else (low <= order_stop)
            if not triggered:
                return
            if kind == "stop":
                base = max(o, order_stop) if buy else min(o, order_stop)
                self._fill(order, slipped_price(base, side, self.costs.slippage, low=low, high=h), volume)
                return
        limit = float(order["limit_price"])
        if buy and low <= limit:
            self._fill(order, min(o, limit), volume)
        elif not buy and h >= limit:
            self._fill(order, max(o, limit), volume)

    def _fill(self, order: dict[str, Any], price: float, volume: float) -> None:
        remaining = float(order["qty"]) - float(order["filled_qty"])
        qty = remaining
        if self.costs.volume_cap is not None:
            qty = min(qty, math.floor(volume * self.costs.volume_cap))
        if self.faults.take({FaultKind.PARTIAL}, "fill") and remaining > 1:
            qty = math.floor(remaining / 2)
        if qty <= 0:
            return
        fee = commission(qty, price, self.costs.commission)
        sign = 1.0 if order["side"] == "buy" else -1.0
        self._book(order["symbol"], sign * qty, price)
        self.cash -= sign * qty * price + fee
        filled = float(order["filled_qty"]) + qty
        avg = ((float(order["filled_avg_price"] or 0) * float(order["filled_qty"])) + price * qty) / filled
        done = filled >= float(order["qty"]) - 1e-9
        stamp = iso(at(self.day, OPEN)) if self.phase == "open" else iso(at(self.day, CLOSE))
        order.update(
            filled_qty=money(filled),
            filled_avg_price=money(avg),
            updated_at=stamp,
            status="filled" if done else "partially_filled",
            filled_at=stamp if done else None,
        )
        pos = self.positions.get(order["symbol"], {"qty": 0.0})
        self._emit(
            "fill" if done else "partial_fill", order, price=price, qty=qty, position_qty=pos["qty"], commission=fee
        )

    def _book(self, symbol: str, signed: float, price: float) -> None:
        pos = self.positions.setdefault(symbol, {"qty": 0.0, "cost": 0.0})
        qty = pos["qty"]
        if qty == 0 or (qty > 0) == (signed > 0):
            pos["cost"] += signed * price
        else:
            closed = min(abs(signed), abs(qty))
            pos["cost"] -= pos["cost"] * closed / abs(qty)
            if abs(signed) > abs(qty):
                pos["cost"] = (qty + signed) * price
        pos["qty"] = qty + signed
        if abs(pos["qty"]) < 1e-12:
            del self.positions[symbol]

    def _finish(self, order: dict[str, Any], status: str, stamp_field: str) -> None:
        order.update(status=status, updated_at=iso(self.now), **{stamp_field: iso(self.now)})
        self._emit(status, order)

    def _emit(self, event: str, order: dict[str, Any], **extra: Any) -> None:
        message = {
            "event": event,
            "order": dict(order),
            "timestamp": order["updated_at"],
            "execution_id": str(uuid.uuid4()) if "price" in extra else None,
        }
        for key, value in extra.items():
            message[key] = money(value) if isinstance(value, float) else value
        for listener in self.listeners:
            listener(message)


def start_index(market: MarketData, start: str | None, default_offset: int = 400) -> int:
    """Where the simulated clock starts: a date, or far enough in for the shipped warm-ups."""
    if start is None:
        return min(default_offset, len(market.dates) - 2)
    later = market.dates[market.dates >= pd.Timestamp(start)]
    if len(later) == 0:
        from framework.errors import InputError

        raise InputError(f"sandbox start {start} is after the data's last session {market.dates[-1].date()}")
    return int(market.dates.get_loc(later[0]))


__all__ = ["Exchange", "start_index", "timedelta"]
