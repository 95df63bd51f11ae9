"""The backtest's trailing stop by the one rule (framework/venue/trailing.py) gives the stop levels
backtrader's own ``StopTrail`` gave (``trailadjust`` on each close, from the creation close): the
rule was chosen as the backtest's, so moving ``VenueBroker`` onto it moved no backtest."""

from __future__ import annotations

import math

import backtrader as bt
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.backtrader.sim_broker import _trail
from framework.venue.trailing import Trail

CLOSES = st.lists(st.floats(min_value=1.0, max_value=1000.0), min_size=1, max_size=30)


def _bt_order(buy: bool, amount: float, fraction: float) -> bt.Order:
    """A backtrader trailing order without a data feed: what ``OrderBase.__init__`` sets for it."""
    order = object.__new__(bt.BuyOrder if buy else bt.SellOrder)
    order.exectype, order.trailamount, order.trailpercent = bt.Order.StopTrail, amount, fraction
    order.created = bt.order.OrderData(price=math.inf if buy else -math.inf)
    return order


@settings(deadline=None)
@given(buy=st.booleans(), percent=st.booleans(), trail=st.floats(0.001, 0.2), closes=CLOSES)
def test_the_stop_levels_are_backtraders_own(buy: bool, percent: bool, trail: float, closes: list[float]) -> None:
    theirs = _bt_order(buy, 0.0 if percent else trail * 100, trail if percent else 0.0)
    rule: Trail = _trail(theirs)
    mark = closes[0]
    for close in closes:
        theirs.trailadjust(close)
        mark = rule.raised(mark, close)
        assert rule.stop(mark) == theirs.created.price
