"""Price increments: rounding lands on a valid increment and is idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.venue.increments import SUB_CENT, increment, is_valid_price, plain, round_price

prices = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("100000"), places=7)


@given(prices)
def test_rounding_lands_on_a_valid_increment_and_is_idempotent(price: Decimal) -> None:
    rounded = round_price(price)
    assert is_valid_price(rounded)
    assert round_price(rounded) == rounded
    assert abs(rounded - price) <= max(increment(price), increment(rounded)) / 2 or rounded == SUB_CENT


@pytest.mark.parametrize(("price", "valid"), [
    ("12.34", True), ("12.345", False), ("1.00", True), ("1.001", False),
    ("0.9999", True), ("0.99995", False), ("0.1234", True), ("0.12345", False), ("100", True),
])
def test_two_decimals_above_a_dollar_four_below(price: str, valid: bool) -> None:
    assert is_valid_price(Decimal(price)) is valid


def test_rounding_examples() -> None:
    assert round_price(12.345) == Decimal("12.35")
    assert round_price(Decimal("0.99996")) == Decimal("1.00")
    assert round_price(0.123456) == Decimal("0.1235")
    assert round_price(0.00001) == SUB_CENT  # never zero


def test_plain_prints_numbers_as_the_venue_does() -> None:
    assert [plain(Decimal(x)) for x in ("10", "10.0", "0.9998", "1E+2", "0", "0.000")] == [
        "10", "10", "0.9998", "100", "0", "0"]
