"""The trailing stop's daily-bar rule (framework/venue/trailing.py), judged directly: by hand for
the cases the rule was chosen on, and as properties (a fill never at a print the stop had not
reached from the mark before the bar; the mark never moves on a price the bar did not close at)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.enums import OrderSide
from framework.venue.matching import Bar
from framework.venue.trailing import Trail, TrailingFill, trailing_fill

PRICES = st.floats(min_value=1.0, max_value=1000.0, allow_nan=False, allow_infinity=False)


@st.composite
def bars(draw: st.DrawFn) -> Bar:
    low, high = sorted((draw(PRICES), draw(PRICES)))
    span = st.floats(min_value=low, max_value=high)
    return Bar(open=draw(span), high=high, low=low, close=draw(span))


def test_the_scratch_case_neither_fills_at_the_open_nor_marks_the_high() -> None:
    sell = Trail(OrderSide.SELL, amount=2.0)
    assert trailing_fill(sell, 180.0, Bar(180.5, 183, 180.2, 181)) == TrailingFill(None, 181.0)
    assert trailing_fill(sell, 181.0, Bar(180.5, 180.8, 178.5, 179.2)) == TrailingFill(179.0, 181.0)
    assert trailing_fill(sell, 180.0, Bar(177, 177.5, 176, 176.5)) == TrailingFill(177.0, 180.0)  # gap: open


def test_a_percent_trail_and_a_buy_mirror_the_sell() -> None:
    buy = Trail(OrderSide.BUY, fraction=0.01)
    assert buy.stop(200.0) == 202.0
    assert trailing_fill(buy, 200.0, Bar(199, 201.5, 198, 198.5)) == TrailingFill(None, 198.5)  # the mark falls
    assert trailing_fill(buy, 198.5, Bar(203, 204, 202, 203)) == TrailingFill(203.0, 198.5)  # gapped up: the open
    assert Trail(OrderSide.SELL).raised(5.0, math.nan) == 5.0  # a bar without a close leaves the mark
    with pytest.raises(ValueError):
        Trail(OrderSide.SELL).stop(5.0)


@settings(deadline=None)
@given(side=st.sampled_from(list(OrderSide)), mark=PRICES, trail=st.floats(0.0, 50.0), bar=bars())
def test_a_fill_is_the_open_past_the_stop_or_the_stop_and_the_mark_follows_only_the_close(
    side: OrderSide, mark: float, trail: float, bar: Bar
) -> None:
    rule = Trail(side, amount=trail)
    stop = rule.stop(mark)
    fill = trailing_fill(rule, mark, bar)
    sell = side is OrderSide.SELL
    if fill.price is None:
        assert (bar.low > stop) if sell else (bar.high < stop)
        assert fill.mark == (max(mark, bar.close) if sell else min(mark, bar.close))
    else:
        assert fill.price in (bar.open, stop) and fill.mark == mark
        assert fill.price <= max(bar.open, stop) if sell else fill.price >= min(bar.open, stop)
