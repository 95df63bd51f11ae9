"""Costs by profile: commission, regulatory fees on sells, slippage with and without the cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.config.venue import CommissionConfig, FeesConfig, SlippageConfig, VenueConfig
from framework.enums import OrderSide, VenueProfile
from framework.venue import venue_from_config
from framework.venue.costs import regulatory_fees, schedule_commission, slipped_price

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def venue(profile: VenueProfile, **kw: object):
    return venue_from_config(VenueConfig.model_validate({"profile": profile, **kw}))


def test_alpaca_paper_charges_nothing() -> None:
    v = venue(VenueProfile.ALPACA_PAPER)
    assert v.commission(1000, 50.0, BUY) == v.fees(1000, 50.0, SELL) == v.charges(7, 3.0, SELL) == 0.0
    assert not v.pays_dividends and v.margin_multiplier == 2


def test_alpaca_live_charges_sec_and_taf_on_sells_only() -> None:
    v = venue(VenueProfile.ALPACA_LIVE)
    assert v.commission(1000, 50.0, SELL) == 0.0 and v.fees(1000, 50.0, BUY) == 0.0
    # $50,000 sold: SEC 50,000 × 27.80 / 1e6 = 1.39; TAF 1,000 × 0.000166 = 0.166 → 0.17 (up).
    assert v.fees(1000, 50.0, SELL) == pytest.approx(1.39 + 0.17)
    # TAF stops at $8.30 a trade: 100,000 shares × 0.000166 = 16.60.
    assert v.fees(100_000, 1.0, SELL) == pytest.approx(2.78 + 8.30)
    assert v.pays_dividends


def test_live_fees_follow_the_configured_rates() -> None:
    v = venue(VenueProfile.ALPACA_LIVE, fees={"sec_rate_per_million": 0.0, "taf_per_share": 0.0002})
    assert v.fees(100, 20.0, SELL) == pytest.approx(0.02)


def test_per_share_profile_charges_the_schedule() -> None:
    v = venue(VenueProfile.PER_SHARE)
    assert v.commission(100, 50.0, BUY) == 1.0  # $0.50 by the share, $1 minimum
    assert v.commission(1000, 50.0, SELL) == 5.0
    assert v.commission(1000, 0.1, BUY) == pytest.approx(1.0)  # 1% of $100 caps it
    assert v.fees(1000, 50.0, SELL) == 0.0


def test_dividends_and_multiplier_settings_override_the_profile() -> None:
    v = venue(VenueProfile.ALPACA_PAPER, dividends=True, margin_multiplier=1)
    assert v.pays_dividends and v.margin_multiplier == 1


def test_slippage_is_uncapped_unless_asked() -> None:
    free, capped = SlippageConfig(value=0.01), SlippageConfig(value=0.01, cap_at_bar_range=True)
    assert slipped_price(100.0, BUY, free, low=99.0, high=100.5) == pytest.approx(101.0)
    assert slipped_price(100.0, BUY, capped, low=99.0, high=100.5) == 100.5
    assert slipped_price(100.0, SELL, free, low=99.5, high=101.0) == pytest.approx(99.0)
    assert slipped_price(100.0, SELL, capped, low=99.5, high=101.0) == 99.5
    assert slipped_price(100.0, BUY, SlippageConfig(mode="fixed", value=0.05)) == pytest.approx(100.05)


sizes = st.floats(0, 1e6, allow_nan=False)
price_st = st.floats(0.01, 5000, allow_nan=False)


@given(sizes, sizes, price_st)
def test_costs_are_non_negative_and_grow_with_size(a: float, b: float, price: float) -> None:
    small, large = sorted((a, b))
    for cost in (lambda q: schedule_commission(q, price, CommissionConfig()),
                 lambda q: regulatory_fees(q, price, SELL, FeesConfig())):
        assert 0 <= cost(small) <= cost(large) + 1e-12


@given(sizes, price_st)
def test_taf_never_exceeds_its_cap(qty: float, price: float) -> None:
    cfg = FeesConfig(sec_rate_per_million=0.0)
    assert regulatory_fees(qty, price, SELL, cfg) <= cfg.taf_max_per_trade + 1e-9
