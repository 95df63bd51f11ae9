"""The aiohttp application: Alpaca's REST routes under /v2, the trade-updates websocket at
/stream, and the sandbox's own control routes under /_sandbox (not Alpaca's)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pandas as pd
from aiohttp import WSMsgType, web

from brokers.sandbox.exchange import Exchange
from brokers.sandbox.faults import Fault, FaultKind
from brokers.sandbox.state import StateStore
from brokers.sandbox.wire import SandboxError, asset_json, invalid, not_found

EXCHANGE = web.AppKey("exchange", Exchange)
STORE = web.AppKey("store", StateStore)
SOCKETS = web.AppKey("sockets", set)
REQUEST_FAULTS = {FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.SLOW, FaultKind.LOST_RESPONSE}


def _error(e: SandboxError, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(e.body(), status=e.status, headers=headers)


@web.middleware
async def alpaca_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Keys, injected faults and Alpaca-shaped errors for every /v2 route."""
    if not request.path.startswith("/v2"):
        return await handler(request)
    if not request.headers.get("APCA-API-KEY-ID") or not request.headers.get("APCA-API-SECRET-KEY"):
        return _error(SandboxError(401, 40110000, "access key verification failed"))
    resource = request.match_info.route.resource
    route = f"{request.method} {resource.canonical if resource else request.path}"
    exchange = request.app[EXCHANGE]
    fault = exchange.faults.take(REQUEST_FAULTS, route)
    if fault and fault.kind is FaultKind.RATE_LIMIT:
        reset = str(int(time.time()) + 1)
        return _error(
            SandboxError(429, 42910000, "rate limit exceeded"),
            {"X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset, "Retry-After": "1"},
        )
    if fault and fault.kind is FaultKind.SERVER_ERROR:
        return _error(SandboxError(fault.status, 50010000, "internal server error (sandbox fault)"))
    if fault and fault.kind is FaultKind.SLOW:
        await asyncio.sleep(fault.delay)
    try:
        response = await handler(request)
    except SandboxError as e:
        return _error(e)
    request.app[STORE].save(exchange.to_state())
    if fault and fault.kind is FaultKind.LOST_RESPONSE:
        return _error(SandboxError(500, 50010000, "connection lost (sandbox fault)"))
    return response


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
    return web.json_response(_ex(request).account())


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
    return web.json_response(_ex(request).submit(await _body(request)))


async def list_orders(request: web.Request) -> web.Response:
    q = request.query
    symbols = set(q["symbols"].split(",")) if q.get("symbols") else None
    limit = min(int(q.get("limit", 50)), 500)
    orders = _ex(request).list(
        q.get("status", "open"), limit, symbols, q.get("direction", "desc"), q.get("after"), q.get("until")
    )
    return web.json_response(orders)


async def get_order(request: web.Request) -> web.Response:
    return web.json_response(_ex(request).get(request.match_info["order_id"]))


async def by_client_id(request: web.Request) -> web.Response:
    cid = request.query.get("client_order_id", "")
    return web.json_response(_ex(request).by_client(cid))


async def replace(request: web.Request) -> web.Response:
    return web.json_response(_ex(request).replace(request.match_info["order_id"], await _body(request)))


async def cancel(request: web.Request) -> web.Response:
    _ex(request).cancel(request.match_info["order_id"])
    return web.Response(status=204)


async def cancel_all(request: web.Request) -> web.Response:
    ex = _ex(request)
    results = []
    for order in list(ex._working()):
        ex.cancel(order["id"])
        results.append({"id": order["id"], "status": 200, "body": order})
    return web.json_response(results, status=207)


async def positions(request: web.Request) -> web.Response:
    return web.json_response(_ex(request).all_positions())


async def position(request: web.Request) -> web.Response:
    return web.json_response(_ex(request).position(request.match_info["symbol"].upper()))


async def close_all(request: web.Request) -> web.Response:
    ex = _ex(request)
    if _flag(request.query.get("cancel_orders")):
        for order in list(ex._working()):
            ex.cancel(order["id"])
    results = []
    for symbol in sorted(ex.positions):
        try:
            results.append({"symbol": symbol, "status": 200, "body": ex.close_position(symbol)})
        except SandboxError as e:
            results.append({"symbol": symbol, "status": e.status, "body": e.body()})
    return web.json_response(results, status=207)


async def close_one(request: web.Request) -> web.Response:
    q = request.query
    qty = float(q["qty"]) if q.get("qty") else None
    pct = float(q["percentage"]) if q.get("percentage") else None
    return web.json_response(_ex(request).close_position(request.match_info["symbol"].upper(), qty, pct))


def _bar(day: pd.Timestamp, o: float, h: float, low: float, c: float, v: float) -> dict[str, Any]:
    stamp = pd.Timestamp(day).tz_localize("America/New_York").tz_convert("UTC")
    return {"t": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "o": o, "h": h, "l": low, "c": c, "v": v, "n": None, "vw": None}


def _ny_day(stamp: str) -> pd.Timestamp:
    ts = pd.Timestamp(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert("America/New_York").tz_localize(None)


async def bars(request: web.Request) -> web.Response:
    """Daily bars of closed sessions only, paged across symbols like Alpaca's."""
    ex, q = _ex(request), request.query
    symbols = [s for s in q.get("symbols", "").split(",") if s]
    if q.get("timeframe", "1Day") not in ("1Day", "1D"):
        raise invalid("the sandbox serves daily bars only (timeframe=1Day)")
    visible = ex.visible()
    if q.get("start"):
        visible = visible[
            visible >= pd.Timestamp(q["start"]).tz_convert("America/New_York").tz_localize(None).normalize()
        ]
    if q.get("end"):
        visible = visible[visible <= pd.Timestamp(q["end"]).tz_convert("America/New_York").tz_localize(None)]
    rows: list[tuple[str, dict[str, Any]]] = []
    m = ex.market
    for symbol in sorted(symbols):
        if symbol not in m.close.columns:
            continue
        frame = pd.DataFrame({f: getattr(m, f)[symbol] for f in ("open", "high", "low", "close", "volume")})
        frame = frame.reindex(visible).dropna()
        rows += [(symbol, _bar(d, *r)) for d, r in zip(frame.index, frame.itertuples(index=False), strict=True)]
    offset = int(q.get("page_token") or 0)
    limit = min(int(q.get("limit") or 10000), 10000)
    page = rows[offset : offset + limit]
    out: dict[str, list[dict[str, Any]]] = {}
    for symbol, bar in page:
        out.setdefault(symbol, []).append(bar)
    token = str(offset + limit) if offset + limit < len(rows) else None
    return web.json_response({"bars": out, "next_page_token": token})


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
        {"session": str(ex.day.date()), "phase": ex.phase, "fired": ex.faults.fired, "orders": len(ex.orders)}
    )


def make_app(exchange: Exchange, store: StateStore) -> web.Application:
    app = web.Application(middlewares=[alpaca_middleware])
    app[EXCHANGE], app[STORE], app[SOCKETS] = exchange, store, set()
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
    r.add_get("/stream", stream)
    r.add_post("/_sandbox/clock/advance", control_advance)
    r.add_post("/_sandbox/faults", control_faults)
    r.add_get("/_sandbox/state", control_state)
    return app
