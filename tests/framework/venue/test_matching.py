"""The one fill rule both simulators use (framework/venue/matching.py), judged directly: properties
from Alpaca's documented order semantics (DEVELOPMENT.md "Stop and limit fills"), not from the code."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.config.venue import SlippageConfig
from framework.enums import OrderSide
from framework.venue import Venue, matching
from framework.venue.matching import Bar

PRICES = st.floats(min_value=1.0, max_value=1000.0, allow_nan=False, allow_infinity=False)
SIDES = st.sampled_from(list(OrderSide))


@st.composite
def bars(draw: st.DrawFn) -> Bar:
    """A well-formed bar: low <= open, close <= high."""
    low, high = sorted((draw(PRICES), draw(PRICES)))
    span = st.floats(min_value=low, max_value=high)
    return Bar(open=draw(span), high=high, low=low, close=draw(span), volume=1e6)


@settings(deadline=None)
@given(side=SIDES, limit=PRICES, bar=bars())
def test_a_limit_never_fills_worse_than_its_limit_nor_outside_the_bar(side, limit, bar) -> None:
    price = matching.limit_price(side, limit, bar)
    if price is None:  # no fill only when the bar never reached the limit
        assert (bar.low > limit) if side is OrderSide.BUY else (bar.high < limit)
        return
    assert (price <= limit) if side is OrderSide.BUY else (price >= limit)
    assert bar.low <= price <= bar.high
    assert price in (bar.open, limit)


@settings(deadline=None)
@given(side=SIDES, stop=PRICES, bar=bars())
def test_a_stop_fills_at_the_gap_open_or_its_trigger_print(side, stop, bar) -> None:
    price = matching.stop_price(side, stop, bar)
    buy = side is OrderSide.BUY
    gapped = bar.open >= stop if buy else bar.open <= stop
    reached = bar.high >= stop if buy else bar.low <= stop
    if gapped:
        assert price == bar.open
    elif reached:
        assert price == stop
    else:
        assert price is None


@settings(deadline=None)
@given(side=SIDES, stop=PRICES, limit=PRICES, bar=bars())
def test_a_stop_limit_fills_only_once_elected_and_never_worse_than_its_limit(side, stop, limit, bar) -> None:
    fill = matching.stop_limit_fill(side, stop, limit, bar)
    buy = side is OrderSide.BUY
    assert fill.triggered == (bar.high >= stop if buy else bar.low <= stop)
    if fill.price is not None:
        assert fill.triggered
        assert (fill.price <= limit) if buy else (fill.price >= limit)
        assert bar.low <= fill.price <= bar.high


@settings(deadline=None)
@given(side=SIDES, official=PRICES, limit=st.none() | PRICES)
def test_an_auction_fills_at_the_official_price_within_its_limit(side, official, limit) -> None:
    price = matching.auction_price(side, official, limit)
    within = limit is None or (official <= limit if side is OrderSide.BUY else official >= limit)
    assert price == (official if within else None)


def test_an_auction_without_an_official_price_does_not_fill() -> None:
    assert matching.auction_price(OrderSide.BUY, math.nan, None) is None


def test_a_stop_limit_elected_inside_the_bar_fills_at_its_stop_or_on_the_way_back() -> None:
    up = Bar(open=102.0, high=106.0, low=99.0, close=101.0)  # rose through 105, closed below its open
    assert matching.stop_limit_fill(OrderSide.BUY, 105.0, 105.5, up).price == 105.0
    assert matching.stop_limit_fill(OrderSide.BUY, 105.0, 102.0, up).price == 102.0
    assert matching.stop_limit_fill(OrderSide.BUY, 105.0, 100.5, up) == matching.StopLimitFill(True, None)
    gap = Bar(open=107.0, high=108.0, low=104.0, close=107.5)  # gapped through 105: a limit on the bar
    assert matching.stop_limit_fill(OrderSide.BUY, 105.0, 106.0, gap).price == 106.0
    assert matching.stop_limit_fill(OrderSide.BUY, 105.0, 110.0, gap).price == 107.0


@pytest.mark.parametrize(("cap", "expected"), [(False, 101.0), (True, 100.5)])
def test_a_market_order_pays_the_venue_slippage_at_the_open(cap, expected) -> None:
    venue = Venue(slippage=SlippageConfig(mode="fixed", value=1.0, cap_at_bar_range=cap))
    bar = Bar(open=100.0, high=100.5, low=99.0, close=100.0)
    assert matching.market_price(venue, OrderSide.BUY, bar) == expected
    assert matching.market_price(venue, OrderSide.SELL, bar) == 99.0
