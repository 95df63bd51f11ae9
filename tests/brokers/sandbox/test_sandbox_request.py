"""The sandbox's request records (brokers/sandbox/request.py), judged directly: a request body is
parsed once into a typed record or refused with Alpaca's 422 naming what is wrong; a replacement
is the old order with the changed fields; a position's close takes all, some shares or a share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.request import CloseRequest, OrderRequest, ReplaceRequest
from brokers.sandbox.wire import SandboxError
from framework.enums import OrderSide, OrderType, TimeInForce

NOON = datetime(2016, 8, 12, 12, 0, tzinfo=ZoneInfo("America/New_York"))
LIMIT = {"symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "10", "limit_price": "99.5"}


def refused(body: dict[str, Any]) -> str:
    with pytest.raises(SandboxError) as err:
        OrderRequest.parse(body)
    assert (err.value.status, err.value.code) == (422, 40010001)
    return err.value.message


def test_a_request_is_parsed_into_typed_fields_numbers_as_written() -> None:
    r = OrderRequest.parse({**LIMIT, "qty": 0.1, "client_order_id": "c1", "extended_hours": True})
    assert (r.side, r.type, r.time_in_force) == (OrderSide.BUY, OrderType.LIMIT, TimeInForce.GTC)
    assert (r.qty, r.limit_price, r.notional, r.client_order_id) == (Decimal("0.1"), Decimal("99.5"), None, "c1")
    assert r.extended_hours and OrderRequest.parse(LIMIT).client_order_id is None  # the venue names it
    order = r.accepted("id-1", 0.1, NOON)
    assert (order.qty, order.limit_price, order.stop_price, order.client_order_id) == (0.1, 99.5, None, "c1")
    assert r.shares(300.0) == 0.1
    notional = OrderRequest.parse({**LIMIT, "qty": None, "notional": "1000"})
    assert notional.shares(300.0) == 3.333333333  # Alpaca's 9 decimals


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"symbol": ""}, "symbol is required"),
        ({"time_in_force": None}, "time_in_force is required"),
        ({"side": "short"}, "invalid type, side or time_in_force"),
        ({"type": "iceberg"}, "invalid type, side or time_in_force"),
        ({"qty": None}, "qty or notional is required"),
        ({"notional": "100"}, "qty or notional is required"),
        ({"limit_price": ""}, "limit_price is required"),
        ({"type": "stop_limit"}, "stop_price is required"),
        ({"qty": "ten"}, "qty must be a number, not 'ten'"),
        ({"limit_price": "nan"}, "limit_price must be a number, not 'nan'"),
        ({"qty": [1]}, "qty must be a number"),
    ],
)
def test_a_malformed_request_is_alpacas_422_naming_the_field(change: dict[str, Any], message: str) -> None:
    assert refused({**LIMIT, **change}) == message


def test_a_replacement_keeps_the_old_orders_fields_and_changes_only_what_it_names() -> None:
    old = SandboxOrder("o1", "c1", "AAPL", OrderSide.SELL, OrderType.TRAILING_STOP, TimeInForce.DAY, 5.0, NOON,
                       NOON, NOON, trail_percent=2.5)
    change = ReplaceRequest.parse({"trail": "3", "time_in_force": "gtc", "qty": None})
    sent = change.applied_to(old, "c1-r1")
    assert (sent.trail_percent, sent.trail_price, sent.time_in_force) == (Decimal(3), None, TimeInForce.GTC)
    assert (sent.symbol, sent.side, sent.type, sent.qty, sent.client_order_id) == (
        "AAPL", OrderSide.SELL, OrderType.TRAILING_STOP, Decimal("5.0"), "c1-r1")
    with pytest.raises(SandboxError, match="invalid time_in_force 'week'"):
        ReplaceRequest.parse({"time_in_force": "week"})


def test_a_close_takes_all_the_shares_some_or_a_percentage() -> None:
    assert CloseRequest.parse({}).size(-8.0) == 8.0
    assert CloseRequest.parse({"qty": "3"}).size(8.0) == 3.0
    assert CloseRequest.parse({"percentage": "25"}).size(-8.0) == 2.0
