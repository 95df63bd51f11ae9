"""Execution styles over both venues (issue 29): the auction orders (opg, cls) fill at the
official open or close of the session they were queued for, unslipped; an auction order whose
limit the auction price misses is canceled, not left working; a stop-limit rests until its stop
is touched; a fractional auction order is refused (fractional orders are DAY only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from venues import FIRST_FILL, VENUES, Played, market, settings

from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import FractionalNotAllowed
from framework.orders import Order
from framework.venue import venue_from_config

pytestmark = pytest.mark.parametrize("venue", sorted(VENUES))


def _order(cid: str, now: datetime, **kw: object) -> Order:
    kw.setdefault("qty", Decimal(10))
    kw.setdefault("side", OrderSide.BUY)
    return Order(client_order_id=cid, symbol="AAPL", created_at=now, **kw)  # type: ignore[arg-type]


def _bar(field: str) -> float:
    return float(getattr(market(), field)["AAPL"].loc[FIRST_FILL])


def _fills(played: Played, cid: str) -> list:
    return [u.fill for u in played.of(cid) if u.fill is not None]


def _play(venue: str, first, tmp_path) -> Played:
    return VENUES[venue]([first, lambda b, now: None], tmp_path, settings())


@pytest.mark.parametrize(("tif", "field"), [(TimeInForce.OPG, "open"), (TimeInForce.CLS, "close")])
def test_a_market_auction_order_fills_at_the_official_price_unslipped(venue, tif, field, tmp_path) -> None:
    played = _play(venue, lambda b, now: b.submit_order(_order("auction-1", now, time_in_force=tif)), tmp_path)
    fills = _fills(played, "auction-1")
    price = _bar(field)
    assert [float(f.qty) for f in fills] == [10.0]
    assert float(fills[0].price) == pytest.approx(price, rel=1e-12)
    slipped = venue_from_config(settings().venue).slipped_price(price, OrderSide.BUY)
    assert slipped != pytest.approx(price, rel=1e-9)  # the default profile slips a market order: not this one
    assert played.of("auction-1")[-1].order.status is OrderStatus.FILLED


@pytest.mark.parametrize(("tif", "field"), [(TimeInForce.OPG, "open"), (TimeInForce.CLS, "close")])
def test_an_auction_limit_the_price_misses_is_canceled_after_the_auction(venue, tif, field, tmp_path) -> None:
    low = _bar("low")
    assert low < _bar(field)  # a buy limit at the day's low is touched intraday, never at the auction price
    limit = Decimal(str(round(low, 2)))
    played = _play(venue, lambda b, now: b.submit_order(
        _order("auction-2", now, type=OrderType.LIMIT, time_in_force=tif, limit_price=limit)), tmp_path)
    assert _fills(played, "auction-2") == []
    last = played.of("auction-2")[-1]
    assert last.event is OrderEvent.CANCELED and last.order.status is OrderStatus.CANCELED


@pytest.mark.parametrize(("tif", "field"), [(TimeInForce.OPG, "open"), (TimeInForce.CLS, "close")])
def test_an_auction_limit_within_the_price_fills_at_the_auction_price(venue, tif, field, tmp_path) -> None:
    price = _bar(field)
    limit = Decimal(str(round(price * 1.02, 2)))
    played = _play(venue, lambda b, now: b.submit_order(
        _order("auction-3", now, type=OrderType.LIMIT, time_in_force=tif, limit_price=limit)), tmp_path)
    fills = _fills(played, "auction-3")
    assert len(fills) == 1 and float(fills[0].price) == pytest.approx(price, rel=1e-12)


def test_a_stop_limit_rests_until_its_stop_is_touched(venue, tmp_path) -> None:
    low = min(float(x) for x in market().low["AAPL"].loc[FIRST_FILL:].iloc[:2])
    stop = Decimal(str(round(low * 0.8, 2)))
    steps = [
        lambda b, now: b.submit_order(_order("hold-1", now)),
        lambda b, now: b.submit_order(_order("stop-1", now, side=OrderSide.SELL, type=OrderType.STOP_LIMIT,
                                             stop_price=stop, limit_price=Decimal(str(round(float(stop) * 0.99, 2))),
                                             time_in_force=TimeInForce.GTC)),
        lambda b, now: b.get_order_by_client_id("stop-1"),
    ]
    played = VENUES[venue](steps, tmp_path, settings())
    resting = played.returns[2]
    assert resting.type is OrderType.STOP_LIMIT and resting.status in (OrderStatus.NEW, OrderStatus.ACCEPTED)
    assert resting.filled_qty == 0


def test_a_fractional_auction_order_is_refused(venue, tmp_path) -> None:
    def step(b, now):
        with pytest.raises(FractionalNotAllowed, match="fractional orders must be DAY orders"):
            b.submit_order(_order("frac-1", now, qty=Decimal("1.5"), time_in_force=TimeInForce.OPG))
        return True

    assert _play(venue, step, tmp_path).returns[0] is True
