"""A resting order against a session's bar (brokers/sandbox/resting.py), judged directly: the price
the one fill rule gives each type, a trailing stop judged from its mark before the bar, and a
stop-limit's election kept on the order (a limit from then on), each worked out by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.resting import resting_price
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.venue.matching import Bar

NOON = datetime(2024, 1, 3, 12, 0, tzinfo=ZoneInfo("America/New_York"))


def order(kind: OrderType, side: OrderSide = OrderSide.BUY, **prices: Any) -> SandboxOrder:
    return SandboxOrder("o1", "c1", "AAA", side, kind, TimeInForce.GTC, 10.0, NOON, NOON, NOON, **prices)


def test_limits_and_stops_take_the_open_or_their_price() -> None:
    bar = Bar(100, 103, 98, 101)
    assert resting_price(order(OrderType.LIMIT, limit_price=99.0), bar) == 99.0
    assert resting_price(order(OrderType.LIMIT, limit_price=100.5), bar) == 100  # the open is better
    assert resting_price(order(OrderType.LIMIT, limit_price=97.0), bar) is None
    assert resting_price(order(OrderType.STOP, OrderSide.SELL, stop_price=99.0), bar) == 99.0
    assert resting_price(order(OrderType.STOP, OrderSide.SELL, stop_price=100.5), bar) == 100  # gapped through


def test_a_trailing_stop_is_judged_from_its_mark_before_the_bar_then_marks_the_close() -> None:
    """The scratch case: a sell trailing $2 marked at 180 (stop 178); a bar opening at 180.5 that
    makes 183 does not fill at its open (the sandbox once raised the mark to the high first and
    sold at 180.5); the mark moves to the close 181 (stop 179), not the high."""
    sell = order(OrderType.TRAILING_STOP, OrderSide.SELL, trail_price=2.0, hwm=180.0)
    assert resting_price(sell, Bar(180.5, 183, 180.2, 181)) is None and sell.hwm == 181
    assert resting_price(sell, Bar(180.5, 180.8, 178.5, 179.2)) == 179  # the range reaches 181 - 2
    gapped = order(OrderType.TRAILING_STOP, OrderSide.SELL, trail_price=2.0, hwm=180.0)
    assert resting_price(gapped, Bar(177, 177.5, 176, 176.5)) == 177 and gapped.hwm == 180  # a gap: the open
    buy = order(OrderType.TRAILING_STOP, trail_percent=10.0)  # no mark yet: the bar's open
    assert resting_price(buy, Bar(100, 105, 95, 96)) is None and buy.hwm == 96  # stop 110; marks the close
    assert resting_price(buy, Bar(97, 106, 96.5, 104)) == pytest.approx(105.6)  # 96 + 10 %, inside the bar


def test_a_stop_limit_once_elected_is_a_limit_in_every_later_bar() -> None:
    sl = order(OrderType.STOP_LIMIT, stop_price=105.0, limit_price=104.0)
    assert resting_price(sl, Bar(101, 104, 100, 102)) is None and not sl.elected  # the stop not reached
    assert resting_price(sl, Bar(101, 106, 100, 102)) is None and sl.elected  # reached; did not come back
    assert resting_price(sl, Bar(104.5, 104.8, 103, 104)) == 104  # a limit now: the stop is not asked again
    gapped = order(OrderType.STOP_LIMIT, OrderSide.SELL, stop_price=95.0, limit_price=94.0)
    assert resting_price(gapped, Bar(92, 93.5, 91, 93)) is None and gapped.elected  # elected at the gap
    assert resting_price(gapped, Bar(96, 97, 95.5, 96.5)) == 96  # a sell limit at 94 or better: the open
