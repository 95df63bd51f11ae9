"""Trailing stops, the same on both simulators, by the one daily-bar rule
(``framework/venue/trailing.py``; DEVELOPMENT.md "Stop and limit fills").

Alpaca trails the stop from the high-water mark (hwm): a sell's stop is ``hwm - trail_price`` or
``hwm * (1 - trail_percent / 100)``, and the hwm moves with every print after submission. A daily
bar does not say in which order its prints came, so the rule judges each bar against the stop
from the mark *before* it (the open first: a gap through the stop fills at the open; then the
range: the stop price), and only then raises the mark with the bar's close. The mark starts at
the last price when the order is sent (the close the decision was made on).

The sandbox once raised the mark with the bar's high before judging the open, so a bar that
opened above the old stop and later made a new high filled at its open: a price printed before
the high that moved the stop existed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from venues import VENUES, market, sessions

from framework.data import MarketData
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.orders import Order

pytestmark = pytest.mark.parametrize("venue", sorted(VENUES))

Row = tuple[float, float, float, float]  # open, high, low, close


def _with_bars(rows: list[Row | None]) -> tuple[MarketData, float]:
    """The market with AAPL's bars of sessions 2.. replaced by ``rows`` (offsets from ``s``, the
    session-1 close, itself set to a round number so the trail's arithmetic is exact)."""
    data, days = market(), sessions(len(rows) + 2)
    s = float(round(float(data.close.at[days[1], "AAPL"])))
    frames = {f: getattr(data, f).copy() for f in ("open", "high", "low", "close")}
    frames["close"].at[days[1], "AAPL"] = s
    frames["high"].at[days[1], "AAPL"] = max(float(frames["high"].at[days[1], "AAPL"]), s)
    frames["low"].at[days[1], "AAPL"] = min(float(frames["low"].at[days[1], "AAPL"]), s)
    for day, row in zip(days[2:], rows, strict=True):
        if row is not None:
            for f, offset in zip(frames, row, strict=True):
                frames[f].at[day, "AAPL"] = s + offset
    return replace(data, **frames), s


def _hold(b, now: datetime) -> object:  # type: ignore[no-untyped-def]
    return b.submit_order(Order(client_order_id="hold", symbol="AAPL", side=OrderSide.BUY, qty=Decimal(20),
                                created_at=now))


def _trailing(cid: str, side: OrderSide, **trail: Decimal):  # type: ignore[no-untyped-def]
    def step(b, now: datetime) -> object:  # type: ignore[no-untyped-def]
        return b.submit_order(Order(client_order_id=cid, symbol="AAPL", side=side, qty=Decimal(5), created_at=now,
                                    type=OrderType.TRAILING_STOP, time_in_force=TimeInForce.GTC,
                                    **trail))  # type: ignore[arg-type]
    return step


def _status(cid: str):  # type: ignore[no-untyped-def]
    return lambda b, now: b.get_order_by_client_id(cid).status.value


def _order(cid: str):  # type: ignore[no-untyped-def]
    return lambda b, now: b.get_order_by_client_id(cid)


def test_a_new_high_inside_the_bar_does_not_fill_the_bar_at_its_open(venue, tmp_path) -> None:
    """The scratch case: close s, a sell trailing $2 (stop s - 2); the next bar opens at s + 0.5,
    makes s + 3, closes s + 1. At the open the stop is s - 2: no fill (the sandbox filled at the
    open, having moved the stop to s + 1 with a high not yet printed). The mark moves to the close
    s + 1 (stop s - 1), and the bar after, falling to s - 1.5, sells at that stop.
    A buy trailing 1 % rises from s to s * 1.01 and takes the first bar's high: a buy at its stop."""
    data, s = _with_bars([(0.5, 3.0, 0.2, 1.0), (0.3, 0.5, -1.5, -1.2)])
    steps = [
        _hold,
        lambda b, now: (_trailing("trail-sell", OrderSide.SELL, trail_price=Decimal(2))(b, now),
                        _trailing("trail-buy", OrderSide.BUY, trail_percent=Decimal(1))(b, now)),
        _status("trail-sell"),
        lambda b, now: (b.get_order_by_client_id("trail-sell"), b.get_order_by_client_id("trail-buy")),
    ]
    played = VENUES[venue](steps, tmp_path, data=data)
    assert played.returns[2] in ("new", "accepted")  # not filled on the bar that made the new high
    sell, buy = played.returns[3]
    assert sell.status.value == "filled"
    assert float(sell.filled_avg_price) == pytest.approx(s - 1.0, abs=1e-9)  # the close-raised stop
    assert buy.status.value == "filled"
    assert float(buy.filled_avg_price) == pytest.approx(s * 1.01, abs=1e-6)  # the mark s, stop s + 1 %


def test_a_gap_down_through_the_stop_fills_at_the_open(venue, tmp_path) -> None:
    """Close s, a sell trailing $2 (stop s - 2); the next bar opens at s - 3: the stop was passed
    before the first print, so it sells at that open (the sandbox, marking from the bar's own
    open and low, moved the stop to s - 4.5 and did not sell)."""
    data, s = _with_bars([(-3.0, -2.5, -4.0, -3.5)])
    steps = [_hold, _trailing("trail", OrderSide.SELL, trail_price=Decimal(2)), _order("trail")]
    order = VENUES[venue](steps, tmp_path, data=data).returns[2]
    assert order.status.value == "filled"
    assert float(order.filled_avg_price) == pytest.approx(s - 3.0, abs=1e-9)


def test_a_rise_over_two_sessions_then_a_fall_sells_at_the_stop_from_the_highest_close(venue, tmp_path) -> None:
    """Close s, a sell trailing $2. Session 2 (s + 0.5 .. s + 2.5, close s + 2) and session 3
    (s + 1 .. s + 4, close s + 3.5) stay above their stops (s - 2, then s) and raise the mark to
    s + 3.5; session 4 opens at s + 3 and falls to s + 1: it sells at s + 1.5."""
    data, s = _with_bars([(0.5, 2.5, 0.2, 2.0), (1.5, 4.0, 1.0, 3.5), (3.0, 3.2, 1.0, 1.2)])
    steps = [_hold, _trailing("trail", OrderSide.SELL, trail_price=Decimal(2)), _status("trail"), _status("trail"),
             _order("trail")]
    played = VENUES[venue](steps, tmp_path, data=data)
    assert played.returns[2:4] == [played.returns[2]] * 2 and played.returns[2] in ("new", "accepted")
    order = played.returns[4]
    assert order.status.value == "filled"
    assert float(order.filled_avg_price) == pytest.approx(s + 1.5, abs=1e-9)
