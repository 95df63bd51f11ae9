"""VenueCommission: however backtrader splits one execution into bits, the bits together pay what
the venue charges the whole execution once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokers.backtrader.commission import VenueCommission
from framework.config.venue import VenueConfig
from framework.enums import OrderSide
from framework.venue import venue_from_config

PER_SHARE = venue_from_config(VenueConfig(profile="per_share"))
LIVE = venue_from_config(VenueConfig(profile="alpaca_live"))


@given(
    bits=st.lists(st.floats(0.001, 5_000, allow_nan=False), min_size=1, max_size=4),
    price=st.floats(0.5, 2_000, allow_nan=False),
    sell=st.booleans(),
    live=st.booleans(),
)
def test_the_bits_of_one_execution_pay_its_cost_once(bits: list[float], price: float, sell: bool, live: bool) -> None:
    venue = LIVE if live else PER_SHARE
    info = VenueCommission(venue=venue)
    sign = -1.0 if sell else 1.0
    with info.one_execution():
        paid = [info.getcommission(sign * b, price) for b in bits]
    whole = venue.charges(sum(bits), price, OrderSide.SELL if sell else OrderSide.BUY)
    assert sum(paid) == pytest.approx(whole, abs=1e-9)
    assert all(p >= -1e-12 for p in paid)


def test_outside_an_execution_each_call_is_charged_on_its_own() -> None:
    info = VenueCommission(venue=PER_SHARE)
    assert info.getcommission(5, 100.0) + info.getcommission(9, 100.0) == 2.0  # the $1 minimum each
    with info.one_execution():
        assert info.getcommission(5, 100.0) + info.getcommission(9, 100.0) == 1.0  # once for the 14
