"""Stop and limit fills, the same on both simulators and as Alpaca documents them.

A limit order fills at its limit or better: at the open when the open is at or inside the limit,
else at the limit when the day's range reaches it. A stop becomes a market order once triggered
and fills at the print that elected it: the open on a gap through the stop, else the stop price.
Neither is slipped further (slippage models a market order paying the spread from the price it
was sent at). Sources in DEVELOPMENT.md, "Stop and limit fills".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest
from venues import FIRST_FILL, VENUES, market, sessions

from framework.enums import OrderSide, OrderType, TimeInForce
from framework.orders import Order

pytestmark = pytest.mark.parametrize("venue", sorted(VENUES))


def _order(cid: str, now: datetime, side: OrderSide, qty: int, **kw: object) -> Order:
    kw.setdefault("time_in_force", TimeInForce.DAY)
    return Order(client_order_id=cid, symbol="AAPL", side=side, qty=Decimal(qty), created_at=now,
                 **kw)  # type: ignore[arg-type]


def _cents(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


def test_limits_fill_at_the_open_or_their_limit_and_triggered_stops_at_their_trigger(venue, tmp_path) -> None:
    day = sessions(3)[2]  # the session after FIRST_FILL: the resting orders are judged on its bar
    data = market()
    o, low = float(data.open.at[day, "AAPL"]), float(data.low.at[day, "AAPL"])
    assert low < o - 0.5  # the bar has room below its open for the intraday cases
    inside = _cents((o + low) / 2)
    orders = {
        "limit-at-open": (OrderSide.BUY, {"type": OrderType.LIMIT, "limit_price": _cents(o + 1)}, o),
        "limit-inside": (OrderSide.BUY, {"type": OrderType.LIMIT, "limit_price": inside}, float(inside)),
        "stop-gapped": (OrderSide.SELL, {"type": OrderType.STOP, "stop_price": _cents(o + 1)}, o),
        "stop-intraday": (OrderSide.SELL, {"type": OrderType.STOP, "stop_price": inside}, float(inside)),
    }
    steps = [
        lambda b, now: b.submit_order(Order(client_order_id="hold", symbol="AAPL", side=OrderSide.BUY,
                                            qty=Decimal(20), created_at=now)),
        lambda b, now: [b.submit_order(_order(cid, now, side, 5, **kw)) for cid, (side, kw, _) in orders.items()],
        lambda b, now: {cid: b.get_order_by_client_id(cid) for cid in orders},
    ]
    played = VENUES[venue](steps, tmp_path)
    final = played.returns[2]
    assert pd.Timestamp(FIRST_FILL) < day
    for cid, (_, _, price) in orders.items():
        order = final[cid]
        assert order.status.value == "filled", cid
        assert float(order.filled_avg_price) == pytest.approx(price, abs=1e-9), cid


def test_a_stop_limit_elected_inside_the_bar_fills_at_its_stop_not_at_the_open(venue, tmp_path) -> None:
    """A sell stop-limit whose stop is reached after the open (limit below the stop) fills at the
    stop, the first print it may take once elected; the sandbox once filled it at the open, a
    price from before the stop was reached, while the backtest filled it at the stop."""
    day = sessions(3)[2]
    data = market()
    o, low = float(data.open.at[day, "AAPL"]), float(data.low.at[day, "AAPL"])
    stop = _cents((o + low) / 2)
    assert low < float(stop) < o
    steps = [
        lambda b, now: b.submit_order(Order(client_order_id="hold", symbol="AAPL", side=OrderSide.BUY,
                                            qty=Decimal(20), created_at=now)),
        lambda b, now: b.submit_order(_order("stop-limit", now, OrderSide.SELL, 5, type=OrderType.STOP_LIMIT,
                                             stop_price=stop, limit_price=stop - Decimal("0.10"))),
        lambda b, now: b.get_order_by_client_id("stop-limit"),
    ]
    order = VENUES[venue](steps, tmp_path).returns[2]
    assert order.status.value == "filled"
    assert float(order.filled_avg_price) == pytest.approx(float(stop), abs=1e-9)


def test_a_stop_limit_elected_in_one_session_fills_as_a_limit_in_a_later_one(venue, tmp_path) -> None:
    """Alpaca: once the stop is reached a stop-limit is a limit order. A GTC sell stop-limit (limit
    above its stop) elected inside session 2 that does not fill there; session 3 never comes back
    to the stop, opens above the limit: both venues sell at that open. The sandbox once re-judged
    the stop each session and never filled it, while the backtest remembered the election."""
    days = sessions(4)
    data = market()
    stop = Decimal(round(float(data.close.at[days[1], "AAPL"])))
    s = float(stop)
    bars = {days[2]: (s + 1, s + 1.2, s - 1, s - 0.2),  # opens above, reaches the stop, closes below it
            days[3]: (s + 0.6, s + 0.9, s + 0.3, s + 0.7)}  # never reaches the stop; opens above the limit
    frames = {f: getattr(data, f).copy() for f in ("open", "high", "low", "close")}
    for day, row in bars.items():
        for f, value in zip(frames, row, strict=True):
            frames[f].at[day, "AAPL"] = value
    data = replace(data, **frames)
    steps = [
        lambda b, now: b.submit_order(Order(client_order_id="hold", symbol="AAPL", side=OrderSide.BUY,
                                            qty=Decimal(20), created_at=now)),
        lambda b, now: b.submit_order(_order("stop-limit", now, OrderSide.SELL, 5, type=OrderType.STOP_LIMIT,
                                             stop_price=stop, limit_price=stop + Decimal("0.50"),
                                             time_in_force=TimeInForce.GTC)),
        lambda b, now: b.get_order_by_client_id("stop-limit").status.value,
        lambda b, now: b.get_order_by_client_id("stop-limit"),
    ]
    played = VENUES[venue](steps, tmp_path, data=data)
    assert played.returns[2] in ("new", "accepted")  # elected on session 2, not filled there
    order = played.returns[3]
    assert order.status.value == "filled"
    assert float(order.filled_avg_price) == pytest.approx(s + 0.6, abs=1e-9)
