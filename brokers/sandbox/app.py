"""The aiohttp application: Alpaca's REST routes under /v2, the trade-updates websocket at
/stream, and the sandbox's own control routes under /_sandbox (not Alpaca's)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from aiohttp import WSMsgType, web

from brokers.sandbox.adjusting import served
from brokers.sandbox.bar_text import ServedText
from brokers.sandbox.budget import RequestBudgets, Spend
from brokers.sandbox.exchange import Exchange
from brokers.sandbox.faults import Fault, FaultKind
from brokers.sandbox.minutes import session_minutes
from brokers.sandbox.request import CloseRequest, OrderQuery, OrderRequest, ReplaceRequest
from brokers.sandbox.state import StateStore
from brokers.sandbox.wire import (
    SandboxError,
    account_json,
    asset_json,
    invalid,
    iso,
    not_found,
    order_json,
    page_text,
    position_json,
)
from framework.data import Adjustment, MarketData

EXCHANGE = web.AppKey("exchange", Exchange)
STORE = web.AppKey("store", StateStore)
SOCKETS = web.AppKey("sockets", set)
BUDGETS = web.AppKey("budgets", RequestBudgets)
REQUESTS = web.AppKey("requests", list)
CLOSING = web.AppKey("closing", asyncio.Event)
ADJUSTED = web.AppKey("adjusted", dict)  # adjustment -> (session, ServedText), the latest session only
BARS_REQUESTS = web.AppKey("bars_requests", list)  # query of every bars request, for tests and the state
REQUEST_FAULTS = {FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.SLOW, FaultKind.LOST_RESPONSE}


@dataclass(frozen=True, slots=True)
class Logged:
    """One /v2 request as the sandbox saw it (no headers: they hold the keys)."""

    method: str
    path: str
    query: dict[str, str]
    api: str
    at: float  # unix seconds, the sandbox's clock
    refused: bool  # answered 429 for the budget


def _error(e: SandboxError, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(e.body(), status=e.status, headers=headers)


@web.middleware
async def alpaca_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Keys, the per-key request budget (``X-Ratelimit-*`` on every answer), injected faults
    and Alpaca-shaped errors for every /v2 route."""
    if not request.path.startswith("/v2"):
        return await handler(request)
    key = request.headers.get("APCA-API-KEY-ID")
    if not key or not request.headers.get("APCA-API-SECRET-KEY"):
        return _error(SandboxError(401, 40110000, "access key verification failed"))
    api = "data" if request.path.startswith("/v2/stocks") else "trading"
    budgets = request.app[BUDGETS]
    spend = budgets.spend(key, api)
    logged = Logged(request.method, request.path, dict(request.query), api, time.time(), not spend.allowed)
    request.app[REQUESTS].append(logged)
    if not spend.allowed:
        wait = {"Retry-After": str(budgets.retry_after(spend))}
        return _error(SandboxError(429, 42910000, "rate limit exceeded"), spend.headers() | wait)
    response = await _answer(request, handler, spend)
    response.headers.update(spend.headers())
    return response


async def _answer(request: web.Request, handler: Any, spend: Spend) -> web.StreamResponse:
    resource = request.match_info.route.resource
    route = f"{request.method} {resource.canonical if resource else request.path}"
    exchange = request.app[EXCHANGE]
    fault = exchange.faults.take(REQUEST_FAULTS, route)
    if fault and fault.kind is FaultKind.RATE_LIMIT:
        wait = max(math.ceil(fault.delay), 1)  # as long as the fault asks (a window's reset: up to 60 s)
        refused = Spend(False, spend.limit, 0, int(time.time()) + wait)
        return _error(SandboxError(429, 42910000, "rate limit exceeded"),
                      refused.headers() | {"Retry-After": str(wait)})
    if fault and fault.kind is FaultKind.SERVER_ERROR:
        return _error(SandboxError(fault.status, 50010000, "internal server error (sandbox fault)"))
    if fault and fault.kind is FaultKind.SLOW and await _stopped_during(request, fault.delay):
        return _error(SandboxError(503, 50010000, "the sandbox is stopping"))
    try:
        response = await handler(request)
    except SandboxError as e:
        return _error(e)
    if not request.path.startswith("/v2/stocks"):  # market data changes nothing the state holds
        request.app[STORE].save(exchange.to_state())
    if fault and fault.kind is FaultKind.LOST_RESPONSE:
        return _error(SandboxError(500, 50010000, "connection lost (sandbox fault)"))
    return response


async def _stopped_during(request: web.Request, delay: float) -> bool:
    """Hold the answer for ``delay`` seconds; True if the server began stopping meanwhile."""
    closing = request.app[CLOSING]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(closing.wait(), delay)
    return closing.is_set()


def _ex(request: web.Request) -> Exchange:
    return request.app[EXCHANGE]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, ValueError):
        raise invalid("request body must be JSON") from None
    if not isinstance(data, dict):
        raise invalid("request body must be a JSON object")
    return data


def _flag(value: str | None) -> bool:
    return str(value).lower() == "true"


async def account(request: web.Request) -> web.Response:
    return web.json_response(account_json(_ex(request).account()))


async def clock(request: web.Request) -> web.Response:
    return web.json_response(_ex(request).clock())


async def calendar(request: web.Request) -> web.Response:
    q = request.query
    return web.json_response(_ex(request).calendar(q.get("start"), q.get("end")))


async def asset(request: web.Request) -> web.Response:
    symbol = request.match_info["symbol"].upper()
    if symbol not in _ex(request).market.symbols:
        raise not_found(f"asset {symbol}")
    return web.json_response(asset_json(symbol, _ex(request).asset_flags(symbol)))


async def submit(request: web.Request) -> web.Response:
    return web.json_response(order_json(_ex(request).submit(OrderRequest.parse(await _body(request)))))


async def list_orders(request: web.Request) -> web.Response:
    orders = _ex(request).list(OrderQuery.parse(request.query))
    return web.json_response([order_json(o) for o in orders])


async def get_order(request: web.Request) -> web.Response:
    return web.json_response(order_json(_ex(request).get(request.match_info["order_id"])))


async def by_client_id(request: web.Request) -> web.Response:
    cid = request.query.get("client_order_id", "")
    return web.json_response(order_json(_ex(request).by_client(cid)))


async def replace(request: web.Request) -> web.Response:
    change = ReplaceRequest.parse(await _body(request))
    return web.json_response(order_json(_ex(request).replace(request.match_info["order_id"], change)))


async def cancel(request: web.Request) -> web.Response:
    _ex(request).cancel(request.match_info["order_id"])
    return web.Response(status=204)


async def cancel_all(request: web.Request) -> web.Response:
    ex = _ex(request)
    results = []
    for order in ex.orders.working():
        ex.cancel(order.id)
        results.append({"id": order.id, "status": 200, "body": order_json(order)})
    return web.json_response(results, status=207)


async def positions(request: web.Request) -> web.Response:
    return web.json_response([position_json(p) for p in _ex(request).all_positions()])


async def position(request: web.Request) -> web.Response:
    return web.json_response(position_json(_ex(request).position(request.match_info["symbol"].upper())))


async def close_all(request: web.Request) -> web.Response:
    ex = _ex(request)
    if _flag(request.query.get("cancel_orders")):
        for order in ex.orders.working():
            ex.cancel(order.id)
    results = []
    for symbol in sorted(ex.positions):
        try:
            results.append({"symbol": symbol, "status": 200, "body": order_json(ex.close_position(symbol))})
        except SandboxError as e:
            results.append({"symbol": symbol, "status": e.status, "body": e.body()})
    return web.json_response(results, status=207)


async def close_one(request: web.Request) -> web.Response:
    how = CloseRequest.parse(request.query)
    return web.json_response(order_json(_ex(request).close_position(request.match_info["symbol"].upper(), how)))


def _minute_rows(traded: MarketData, symbols: list[str], days: pd.DatetimeIndex, start: str | None,
                 end: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(symbol, minute bar) of the closed sessions in [start, end], symbol by symbol
    (:mod:`brokers.sandbox.minutes`: drawn to agree with each daily bar)."""
    lo = pd.Timestamp(start) if start else None
    hi = pd.Timestamp(end) if end else None
    out = []
    for symbol in symbols:
        for day in days:
            o, h, low, c, v = (float(getattr(traded, f).at[day, symbol]) for f in ("open", "high", "low", "close",
                                                                                    "volume"))
            if not np.isfinite(c):
                continue
            frame = session_minutes(symbol, day, o, h, low, c, v)
            if lo is not None:
                frame = frame[frame.index >= lo]
            if hi is not None:
                frame = frame[frame.index <= hi]
            stamps = frame.index.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
            for t, row in zip(stamps, frame.itertuples(index=False), strict=True):
                out.append((symbol, {"t": t, "o": row.open, "h": row.high, "l": row.low, "c": row.close,
                                     "v": row.volume, "n": None, "vw": None}))
    return out


def _ny_day(stamp: str) -> pd.Timestamp:
    ts = pd.Timestamp(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert("America/New_York").tz_localize(None)


def _adjustment(value: str | None) -> Adjustment:
    """Alpaca's ``adjustment``: raw (default), split, dividend, all, or a comma list of them."""
    parts = {p.strip() for p in (value or "raw").split(",") if p.strip()}
    try:
        kinds = {Adjustment(p) for p in parts}
    except ValueError:
        raise invalid(f"invalid adjustment {value!r}: use raw, split, dividend or all") from None
    if Adjustment.ALL in kinds or {Adjustment.SPLIT, Adjustment.DIVIDEND} <= kinds:
        return Adjustment.ALL
    kinds.discard(Adjustment.RAW)
    return kinds.pop() if kinds else Adjustment.RAW


def _as_of_now(app: web.Application, kind: Adjustment) -> ServedText:
    """History of the closed sessions, adjusted as of the latest one (latest bar = raw) by the
    sandbox's own arithmetic (``adjusting.served``: Alpaca's, never ``MarketData.adjusted``), with
    the bars' texts of the previous session that are still the same numbers (``bar_text``)."""
    ex = app[EXCHANGE]
    before = app[ADJUSTED].get(kind)
    if before is None or before[0] != ex.session:
        visible = ex.visible()
        history = ex.market.truncate(visible[-1]) if len(visible) else ex.market.truncate(ex.dates[0])
        raw = {name: getattr(history, name) for name in ("open", "high", "low", "close", "volume")}
        bars = served(raw, history.dividends, history.splits, kind.value)
        app[ADJUSTED][kind] = (ex.session, ServedText(bars, ex.market.close, before[1] if before else None))
    return app[ADJUSTED][kind][1]


async def bars(request: web.Request) -> web.Response:
    """Daily bars of closed sessions only, adjusted as of the simulated now, paged like Alpaca's."""
    ex, q = _ex(request), request.query
    request.app[BARS_REQUESTS].append(dict(q))
    symbols = [s for s in q.get("symbols", "").split(",") if s]
    timeframe = q.get("timeframe", "1Day")
    if timeframe not in ("1Day", "1D", "1Min", "1T"):
        raise invalid("the sandbox serves daily and minute bars only (timeframe=1Day or 1Min)")
    m = _as_of_now(request.app, _adjustment(q.get("adjustment")))
    visible = ex.visible()
    if q.get("start"):
        visible = visible[
            visible >= pd.Timestamp(q["start"]).tz_convert("America/New_York").tz_localize(None).normalize()
        ]
    if q.get("end"):
        visible = visible[visible <= pd.Timestamp(q["end"]).tz_convert("America/New_York").tz_localize(None)]
    chosen = sorted(s for s in symbols if s in m.symbols)
    if timeframe in ("1Min", "1T") and _adjustment(q.get("adjustment")) is not Adjustment.RAW:
        raise invalid("the sandbox serves minute bars as traded only (adjustment=raw)")
    offset = int(q.get("page_token") or 0)
    limit = min(int(q.get("limit") or 10000), 10000)
    if timeframe not in ("1Min", "1T"):  # the page written as text, each bar once (bar_text.ServedText)
        runs, total = m.page(chosen, visible, offset, limit)
        token = str(offset + limit) if offset + limit < total else None
        return web.Response(text=page_text(runs, token), content_type="application/json")
    rows = _minute_rows(ex.market, chosen, visible, q.get("start"), q.get("end"))
    page, total = rows[offset : offset + limit], len(rows)
    out: dict[str, list[dict[str, Any]]] = {}
    for symbol, bar in page:
        out.setdefault(symbol, []).append(bar)
    token = str(offset + limit) if offset + limit < total else None
    return web.json_response({"bars": out, "next_page_token": token})


async def latest_trades(request: web.Request) -> web.Response:
    """``GET /v2/stocks/trades/latest``: each symbol's latest trade on the simulated clock (the
    intraday price while open, else the last close), in Alpaca's shape; unknown symbols left out."""
    ex = _ex(request)
    symbols = [s for s in request.query.get("symbols", "").split(",") if s]
    out = {}
    for n, symbol in enumerate(symbols, 1):
        price = ex.mark(symbol) if symbol in ex.market.close.columns else float("nan")
        if np.isfinite(price):
            out[symbol] = {"t": iso(ex.now), "x": "V", "p": price, "s": 100, "c": ["@"], "i": n, "z": "C"}
    return web.json_response({"trades": out})


# -- trade updates --------------------------------------------------------------------------


async def stream(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    authorized = False
    async for msg in ws:
        if msg.type != WSMsgType.TEXT and msg.type != WSMsgType.BINARY:
            break
        data = json.loads(msg.data)
        action = data.get("action")
        if action in ("authenticate", "auth"):
            keys = data.get("data", {})
            authorized = bool(keys.get("key_id") and keys.get("secret_key"))
            status = "authorized" if authorized else "unauthorized"
            await ws.send_str(json.dumps({"stream": "authorization", "data": {"status": status, "action": action}}))
        elif action == "listen" and authorized:
            request.app[SOCKETS].add(ws)
            streams = data.get("data", {}).get("streams", [])
            await ws.send_str(json.dumps({"stream": "listening", "data": {"streams": streams}}))
    request.app[SOCKETS].discard(ws)
    return ws


def broadcaster(app: web.Application) -> Any:
    def publish(message: dict[str, Any]) -> None:
        text = json.dumps({"stream": "trade_updates", "data": message})
        for ws in list(app[SOCKETS]):
            if not ws.closed:
                asyncio.get_running_loop().create_task(ws.send_str(text))

    return publish


async def drop_streams(app: web.Application) -> int:
    sockets = list(app[SOCKETS])
    for ws in sockets:
        await ws.close()
    app[SOCKETS].clear()
    return len(sockets)


# -- control (not Alpaca) ---------------------------------------------------------------------


async def control_advance(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    ex = request.app[EXCHANGE]
    try:
        for _ in range(int(body.get("sessions", 1))):
            ex.advance(body.get("to", "next_session"))
    except SandboxError as e:
        return _error(e)
    request.app[STORE].save(ex.to_state())
    return web.json_response({"clock": ex.clock(), "session": str(ex.day.date()), "phase": ex.phase})


async def control_faults(request: web.Request) -> web.Response:
    ex = request.app[EXCHANGE]
    raw = await request.json()
    try:
        faults = [Fault.parse(f) for f in raw]
    except (KeyError, ValueError, TypeError) as e:
        return _error(invalid(f"bad fault: {e}"))
    ex.faults.set([f for f in faults if f.kind is not FaultKind.DROP_STREAM])
    dropped = await drop_streams(request.app) if any(f.kind is FaultKind.DROP_STREAM for f in faults) else 0
    return web.json_response({"armed": len(ex.faults.faults), "dropped_streams": dropped})


async def control_state(request: web.Request) -> web.Response:
    ex = request.app[EXCHANGE]
    return web.json_response(
        {"session": str(ex.day.date()), "phase": ex.phase, "fired": ex.faults.fired, "orders": len(ex.orders),
         "bars_requests": len(request.app[BARS_REQUESTS])}
    )


def make_app(exchange: Exchange, store: StateStore, budgets: RequestBudgets | None = None) -> web.Application:
    """``budgets``: the per-key request budget (default: Alpaca's 200 requests a minute)."""
    app = web.Application(middlewares=[alpaca_middleware])
    app[EXCHANGE], app[STORE], app[SOCKETS] = exchange, store, set()
    app[BUDGETS] = budgets or RequestBudgets(200, 60.0)
    app[REQUESTS], app[CLOSING] = [], asyncio.Event()
    app[ADJUSTED], app[BARS_REQUESTS] = {}, []
    exchange.listeners.append(broadcaster(app))
    r = app.router
    r.add_get("/v2/account", account)
    r.add_get("/v2/clock", clock)
    r.add_get("/v2/calendar", calendar)
    r.add_get("/v2/assets/{symbol}", asset)
    r.add_post("/v2/orders", submit)
    r.add_get("/v2/orders", list_orders)
    r.add_delete("/v2/orders", cancel_all)
    r.add_get("/v2/orders:by_client_order_id", by_client_id)
    r.add_get("/v2/orders/{order_id}", get_order)
    r.add_patch("/v2/orders/{order_id}", replace)
    r.add_delete("/v2/orders/{order_id}", cancel)
    r.add_get("/v2/positions", positions)
    r.add_delete("/v2/positions", close_all)
    r.add_get("/v2/positions/{symbol}", position)
    r.add_delete("/v2/positions/{symbol}", close_one)
    r.add_get("/v2/stocks/bars", bars)
    r.add_get("/v2/stocks/trades/latest", latest_trades)
    r.add_get("/stream", stream)
    r.add_post("/_sandbox/clock/advance", control_advance)
    r.add_post("/_sandbox/faults", control_faults)
    r.add_get("/_sandbox/state", control_state)
    return app
