import json

import pytest
import requests
from alpaca.common.exceptions import APIError

from brokers.alpaca.errors import translate_api_error, translate_transport_error
from framework import errors as fe
from framework.enums import Rule


def api_error(status: int, body: str, headers: dict[str, str] | None = None) -> APIError:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers.update(headers or {})
    return APIError(body, requests.HTTPError(response=response))


def body(code: int, message: str) -> str:
    return json.dumps({"code": code, "message": message})


@pytest.mark.parametrize(("status", "text", "cls"), [
    (429, body(42910000, "rate limit exceeded"), fe.RateLimited),
    (500, body(50010000, "internal"), fe.BrokerUnavailable),
    (503, "<html>down</html>", fe.BrokerUnavailable),
    (401, body(40110000, "unauthorized"), fe.AuthenticationError),
    (404, body(40410000, "order not found"), fe.OrderNotFound),
    (422, body(40010001, "client_order_id must be unique"), fe.DuplicateClientOrderId),
    (422, body(42210000, "order is not cancelable"), fe.NotCancelable),
    (403, body(40310000, "insufficient buying power"), fe.InsufficientBuyingPower),
    (422, body(40010001, "qty must be > 0"), fe.OrderRejected),
])
def test_status_and_code_map_to_the_project_tree(status, text, cls):
    error = translate_api_error(api_error(status, text), "submit x")
    assert type(error) is cls
    assert error.status_code == status


@pytest.mark.parametrize(("status", "code", "message", "cls", "rule"), [
    (422, 42210000, "invalid limit_price 12.345. sub-penny increment does not fulfill minimum pricing criteria",
     fe.InvalidPriceIncrement, Rule.PRICE_INCREMENT),
    (422, 42210000, "fractional orders must be DAY orders", fe.FractionalNotAllowed, Rule.FRACTIONAL),
    (422, 42210000, "fractional orders cannot be sold short", fe.FractionalNotAllowed, Rule.FRACTIONAL),
    (422, 42210000, "asset XYZ cannot be sold short", fe.NotShortable, Rule.SHORTABLE),
    (403, 40310000, "account is not allowed to short", fe.NotShortable, Rule.SHORTABLE),
    (403, 40310000, "insufficient qty available for order (requested: 5, available: 0)",
     fe.InsufficientQtyAvailable, Rule.QTY_AVAILABLE),
    (403, 40310000, "cost basis must be >= minimal amount of order 1", fe.BelowMinimumOrder, Rule.MINIMUM_ORDER),
    (403, 40310000, "insufficient buying power", fe.InsufficientBuyingPower, Rule.BUYING_POWER),
])
def test_each_venue_rule_refusal_maps_to_its_typed_error(status, code, message, cls, rule):
    error = translate_api_error(api_error(status, json.dumps({"code": code, "message": message})), "submit o-1")
    assert type(error) is cls and error.rule is rule
    assert error.reason == message
    assert str(error) == f"submit o-1: HTTP {status} (code {code}): {message}"


def test_a_42210000_on_submit_is_a_rejection_not_not_cancelable():
    """Regression: every 42210000 used to read as "not cancelable", so a refused fractional GTC
    stop crashed the cycle instead of being journaled as a rejected order."""
    error = translate_api_error(api_error(422, body(42210000, "fractional orders must be DAY orders")), "submit s")
    assert isinstance(error, fe.OrderRejected) and not isinstance(error, fe.NotCancelable)
    cancel = translate_api_error(api_error(422, body(42210000, "order is already filled")), "cancel 1",
                                 on_cancel=True)
    assert type(cancel) is fe.NotCancelable


def test_the_body_fields_are_kept_and_a_sell_beyond_the_position_is_long_to_short():
    held = {"available": "0", "code": 40310000, "existing_qty": "10", "held_for_orders": "10",
            "message": "insufficient qty available for order (requested: 10, available: 0)",
            "related_orders": ["a1"], "symbol": "AAPL"}
    error = translate_api_error(api_error(403, json.dumps(held)), "submit x")
    assert error.rule is Rule.QTY_AVAILABLE and error.details["held_for_orders"] == "10"
    assert error.details["related_orders"] == ["a1"]
    crossing = {**held, "held_for_orders": "0", "available": "10",
                "message": "insufficient qty available for order (requested: 15, available: 10)"}
    assert translate_api_error(api_error(403, json.dumps(crossing)), "x").rule is Rule.LONG_TO_SHORT


def test_code_kept_and_non_json_body_tolerated():
    assert translate_api_error(api_error(403, body(40310000, "no")), "x").code == 40310000
    assert translate_api_error(api_error(502, "bad gateway"), "x").code is None


def test_retry_after_is_read_from_429():
    error = translate_api_error(api_error(429, body(42910000, "slow"), {"Retry-After": "2"}), "x")
    assert isinstance(error, fe.RateLimited) and error.retry_after == 2.0


def test_read_timeout_is_ambiguous_connect_failure_is_not():
    assert isinstance(translate_transport_error(requests.ReadTimeout(), "x"), fe.BrokerTimeout)
    assert type(translate_transport_error(requests.ConnectTimeout(), "x")) is fe.BrokerUnavailable
    assert type(translate_transport_error(requests.ConnectionError(), "x")) is fe.BrokerUnavailable
