"""Alpaca's extended-hours rule over both venues (issue 29, framework/venue/extended.py): only a
DAY limit may carry ``extended_hours``; anything else is refused as Alpaca refuses it (422, code
42210000, "extended hours order must be DAY limit orders"), by the simulator and by the sandbox
through alpaca-py alike, with the same typed error and the same words. A DAY limit with the flag
is taken (neither simulator has extended sessions: it works in the regular one)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from venues import VENUES

from framework.enums import OrderSide, OrderStatus, OrderType, Rule, TimeInForce
from framework.errors import ExtendedHoursRefused, OrderRejected
from framework.orders import Order

pytestmark = pytest.mark.parametrize("venue", sorted(VENUES))
MESSAGE = "extended hours order must be DAY limit orders"


def _order(cid: str, now: datetime, **kw: object) -> Order:
    return Order(client_order_id=cid, symbol="AAPL", side=OrderSide.BUY, qty=Decimal(10), created_at=now,
                 extended_hours=True, **kw)  # type: ignore[arg-type]


def _refused(venue: str, tmp_path, make) -> tuple[object, ...]:
    def step(b, now):
        try:
            b.submit_order(make(now))
        except OrderRejected as e:
            return type(e), str(e), e.rule, e.status_code, e.code, e.reason
        return None

    refusal, after = VENUES[venue]([step, lambda b, now: b.get_order_by_client_id(make(now).client_order_id)],
                                   tmp_path, None).returns
    assert after is None  # a refused order does not exist at the venue
    return refusal


@pytest.mark.parametrize(("cid", "terms"), [
    ("ext-market", {}),
    ("ext-gtc-limit", {"type": OrderType.LIMIT, "limit_price": Decimal("50.00"), "time_in_force": TimeInForce.GTC}),
    ("ext-stop", {"type": OrderType.STOP, "stop_price": Decimal("500.00")}),
])
def test_extended_hours_on_anything_but_a_day_limit_is_refused_with_alpacas_answer(venue, cid, terms, tmp_path) -> None:
    refusal = _refused(venue, tmp_path, lambda now: _order(cid, now, **terms))
    assert refusal == (ExtendedHoursRefused, f"submit {cid}: HTTP 422 (code 42210000): {MESSAGE}", Rule.EXTENDED_HOURS,
                       422, 42210000, MESSAGE)


def test_a_day_limit_may_carry_extended_hours(venue, tmp_path) -> None:
    played = VENUES[venue]([lambda b, now: b.submit_order(_order(
        "ext-ok", now, type=OrderType.LIMIT, limit_price=Decimal("50.00")))], tmp_path, None)
    taken = played.returns[0]
    assert taken.extended_hours and taken.status in (OrderStatus.NEW, OrderStatus.ACCEPTED)
