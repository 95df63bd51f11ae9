"""TWAP on minute bars (issue 29): a parent sliced into children with ids derived from its own,
filled on their minutes at the venue's slipped open, never above the participation cap of a
minute's volume. The minute bars are generated with a fixed seed (one session, 09:30-10:29)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from framework.config.venue import VenueConfig
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.orders import Order, make_client_order_id
from framework.styles import OrderStyle, style_of
from framework.twap import child_id, fill_on_minutes, slice_parent
from framework.venue import venue_from_config

NY = ZoneInfo("America/New_York")
OPEN = datetime(2024, 3, 5, 9, 30, tzinfo=NY)
VENUE = venue_from_config(VenueConfig())


def minute_bars(seed: int = 29, minutes: int = 60, volume: float = 2_000.0) -> pd.DataFrame:
    """A seeded random walk around $50 with lognormal volume (mean ``volume``), one row a minute."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(OPEN, periods=minutes, freq="1min")
    opens = 50 * np.exp(np.cumsum(rng.normal(0, 0.0008, minutes)))
    vols = np.round(rng.lognormal(np.log(volume), 0.5, minutes))
    return pd.DataFrame({"open": opens, "volume": vols}, index=index)


def parent(qty: str = "600") -> Order:
    cid = make_client_order_id("momentum", "run-1", OPEN, "AAA", "rebalance")
    return Order(client_order_id=cid, symbol="AAA", side=OrderSide.BUY, qty=Decimal(qty), created_at=OPEN,
                 decision_price=Decimal("50"), tag="rebalance")


def test_children_split_the_parent_exactly_with_ids_derived_from_it() -> None:
    kids = slice_parent(parent("601"), slices=6, window_minutes=30, start=OPEN)
    assert [k.qty for k in kids] == [Decimal(101)] + [Decimal(100)] * 5  # whole shares stay whole
    assert [k.created_at.minute for k in kids] == [30, 35, 40, 45, 50, 55]
    assert all(k.type is OrderType.MARKET and k.time_in_force is TimeInForce.DAY for k in kids)
    ids = [k.client_order_id for k in kids]
    assert len(set(ids)) == 6 and all(len(i) <= 48 for i in ids)
    assert ids == [child_id(parent("601").client_order_id, k) for k in range(6)]  # a restart derives the same
    assert all(style_of("market", "day", client_order_id=i) == OrderStyle.TWAP for i in ids)
    fractional = slice_parent(parent("10.5"), slices=4, window_minutes=30, start=OPEN)
    assert sum(k.qty for k in fractional) == Decimal("10.5")


def test_children_fill_on_their_minutes_within_the_participation_cap() -> None:
    bars = minute_bars()
    kids = slice_parent(parent("600"), slices=6, window_minutes=30, start=OPEN)
    out = fill_on_minutes(kids, bars, participation_cap=0.1, venue=VENUE, window_end=OPEN + pd.Timedelta(minutes=30))
    assert out.fills, "the sample's volume leaves room for the slices"
    for fill in out.fills:
        minute = bars.loc[fill.time]
        assert float(fill.qty) <= np.floor(minute["volume"] * 0.1)
        assert fill.price == pytest.approx(VENUE.slipped_price(minute["open"], OrderSide.BUY))
    by_child = {k.client_order_id: k for k in out.children}
    for fill in out.fills:  # a child fills from its own minute until the next child is due
        start = by_child[fill.client_order_id].created_at
        assert pd.Timestamp(start) <= fill.time < pd.Timestamp(start) + pd.Timedelta(minutes=5)
    assert out.filled_qty == sum(k.filled_qty for k in out.children) == Decimal(600)
    weights = np.array([float(f.qty) for f in out.fills])
    assert out.average_price == pytest.approx(np.dot(weights, [f.price for f in out.fills]) / weights.sum())


def test_thin_minutes_leave_the_rest_unfilled_rather_than_breach_the_cap() -> None:
    thin = minute_bars(volume=200.0)  # about 20 shares a minute at a 10% cap
    kids = slice_parent(parent("3000"), slices=6, window_minutes=30, start=OPEN)
    out = fill_on_minutes(kids, thin, participation_cap=0.1, venue=VENUE, window_end=OPEN + pd.Timedelta(minutes=30))
    cap_total = sum(np.floor(v * 0.1) for v in thin["volume"].iloc[:30])
    assert float(out.filled_qty) == cap_total < 3000
    assert all(k.filled_qty < k.qty for k in out.children)


def test_a_childs_fill_is_the_slipped_open_even_when_the_venue_caps_at_the_bar_range() -> None:
    """The minute bars carry no range the fill reads (issue 27 part 6: the fill rule is
    ``matching.market_price`` on the minute's open), so ``cap_at_bar_range`` never pulls a child's
    price back: the fill stays the open plus 5 bps, as it always was, even with a high column below it."""
    capped = venue_from_config(VenueConfig.model_validate({"slippage": {"value": 0.0005, "cap_at_bar_range": True}}))
    bars = minute_bars().assign(high=lambda f: f["open"], low=lambda f: f["open"])
    kids = slice_parent(parent("60"), slices=1, window_minutes=30, start=OPEN)
    out = fill_on_minutes(kids, bars, participation_cap=0.1, venue=capped, window_end=OPEN + pd.Timedelta(minutes=30))
    opens = [float(bars.loc[f.time, "open"]) for f in out.fills]
    assert out.fills and [f.price for f in out.fills] == [o + o * 0.0005 for o in opens]
    assert all(f.price > o for f, o in zip(out.fills, opens, strict=True))  # above the minute's "high"
