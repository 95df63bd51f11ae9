"""The adapter's float → Decimal conversions: kept so a sweep's second point converts nothing,
and each equal, digit for digit, to the conversion it stands for (#31)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from brokers.backtrader.broker import CONVERSIONS_KEPT, _d, _exact, latest_trade
from framework.broker import OrderUpdate
from framework.enums import OrderEvent, OrderSide, OrderType, TimeInForce
from framework.orders import Order


def _same(a: Decimal, b: Decimal) -> bool:
    """Equal and written alike (sign, digits and exponent: what a journal row shows)."""
    return a.as_tuple() == b.as_tuple()


def test_zero_keeps_its_sign_and_digits() -> None:
    assert _same(_d(0.0), Decimal("0.0"))
    assert _same(_d(-0.0), Decimal("-0.0"))  # a float sum's -0.0 still writes as it did
    assert _same(_d(0), Decimal("0.0"))
    assert _same(_d(-1e-12), Decimal("-0.0"))  # rounds to -0.0 through the cached conversion


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_d_is_the_rounded_repr(x: float) -> None:
    assert _same(_d(x), Decimal(repr(round(x, 10))))


def test_a_500_symbol_windows_closes_stay_converted() -> None:
    """A 44-symbol momentum point converts ~4,200 distinct held closes: a 500-symbol window's
    (~48,000) must fit, or every sweep point converts them all again."""
    assert CONVERSIONS_KEPT >= 48_000
    _exact.cache_clear()
    closes = [100.0 + i / 1000 for i in range(48_000)]
    for close in closes:
        latest_trade(close)
    before = _exact.cache_info().misses
    for close in closes:
        assert latest_trade(close) == Decimal(repr(close))
    assert _exact.cache_info().misses == before


def test_order_update_takes_the_enum_or_its_value() -> None:
    order = Order(client_order_id="c-1", symbol="AAA", side=OrderSide.BUY, type=OrderType.MARKET,
                  time_in_force=TimeInForce.DAY, qty=Decimal(1), created_at=datetime(2024, 1, 2, tzinfo=UTC))
    now = datetime(2024, 1, 2, 15, tzinfo=UTC)
    assert OrderUpdate(OrderEvent.FILL, order, now).event is OrderEvent.FILL
    assert OrderUpdate("fill", order, now).event is OrderEvent.FILL  # type: ignore[arg-type]
