"""``POST /_sandbox/clock/intraday``: pin (or release) the intraday path's progress, so a test can
hold a price still. Apart from :mod:`brokers.sandbox.intraday`, which the exchange uses: the route
reaches the exchange through the app, and the app imports the exchange."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from brokers.sandbox.app import EXCHANGE, STORE
from brokers.sandbox.intraday import IntradayPath


async def pin_route(request: web.Request) -> web.Response:
    """``POST /_sandbox/clock/intraday {"progress": 0.0-1.0 | null}`` (null: back to the wall clock).
    Moving the clock works the minutes it passes (:meth:`Exchange.catch_up`)."""
    body: dict[str, Any] = await request.json() if request.can_read_body else {}
    exchange = request.app[EXCHANGE]
    value = body.get("progress")
    if value is not None and not isinstance(value, int | float):
        return web.json_response({"code": 40010001, "message": "progress must be a number in [0, 1] or null"},
                                 status=422)
    if exchange.intraday is None:
        exchange.intraday = IntradayPath()
    exchange.intraday.pin(value)
    exchange.catch_up()  # market orders working on the minutes the clock just passed
    request.app[STORE].save(exchange.to_state())
    return web.json_response({"progress": exchange.intraday.progress(), "clock": exchange.clock()})


def install(app: web.Application) -> None:
    app.router.add_post("/_sandbox/clock/intraday", pin_route)


__all__ = ["install", "pin_route"]
