"""Alpaca's auction cut-offs (Time in Force table, docs.alpaca.markets/docs/orders-at-alpaca):
opg refused from 9:28 am to 7:00 pm ET, cls from 3:50 pm to 7:00 pm ET; judged only where the
book carries the venue's time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from venue_books import D, book, order

from framework.config.venue import VenueConfig
from framework.enums import OrderType, Rule, TimeInForce
from framework.errors import AuctionClosed
from framework.venue import venue_from_config
from framework.venue.auctions import cancel_closed

NY = ZoneInfo("America/New_York")
VENUE = venue_from_config(VenueConfig())


def at(hour: int, minute: int) -> datetime:
    return datetime(2024, 3, 5, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(("tif", "when", "refused"), [
    (TimeInForce.OPG, at(9, 0), False),
    (TimeInForce.OPG, at(9, 28), False),  # "after 9:28am": 9:28 itself is still taken
    (TimeInForce.OPG, at(9, 29), True),
    (TimeInForce.OPG, at(16, 0), True),
    (TimeInForce.OPG, at(19, 1), False),  # queued for the next day's opening auction
    (TimeInForce.CLS, at(10, 0), False),
    (TimeInForce.CLS, at(15, 51), True),
    (TimeInForce.CLS, at(18, 59), True),
    (TimeInForce.CLS, at(20, 0), False),
    (TimeInForce.DAY, at(15, 55), False),
])
def test_auction_orders_are_refused_after_their_cut_off(tif, when, refused) -> None:
    b = replace(book(prices={"AAPL": 100}), now=when)
    found = VENUE.check(order(qty=10, tif=tif), b)
    assert (found is not None) is refused
    if refused:
        assert (found.rule, found.status, found.code) == (Rule.AUCTION_WINDOW, 422, 42210000)
        assert isinstance(found.error("submit o-1"), AuctionClosed)


def test_without_the_venue_time_the_cut_off_is_not_judged() -> None:
    """The backtest's books carry no time: its orders are modelled as sent before the open."""
    assert VENUE.check(order(qty=10, tif=TimeInForce.OPG), book(prices={"AAPL": 100})) is None


def test_a_limit_on_open_is_judged_like_a_market_on_open() -> None:
    b = replace(book(prices={"AAPL": 100}), now=at(9, 45))
    found = VENUE.check(order(qty=10, kind=OrderType.LIMIT, limit_price=D(101), tif=TimeInForce.OPG), b)
    assert found is not None and found.rule is Rule.AUCTION_WINDOW


def test_an_on_open_order_cannot_be_canceled_between_the_cut_off_and_the_open() -> None:
    opens, closes = at(9, 30), at(16, 0)
    assert not cancel_closed(TimeInForce.OPG, at(9, 0), opens, closes)
    assert cancel_closed(TimeInForce.OPG, at(9, 29), opens, closes)
    assert cancel_closed(TimeInForce.CLS, at(15, 55), opens, closes)
    assert not cancel_closed(TimeInForce.DAY, at(15, 55), opens, closes)
