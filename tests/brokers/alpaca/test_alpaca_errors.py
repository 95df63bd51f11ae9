import json

import pytest
import requests
from alpaca.common.exceptions import APIError

from brokers.alpaca.errors import translate_api_error, translate_transport_error
from framework import errors as fe


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
    (403, body(40310000, "insufficient buying power"), fe.OrderRejected),
    (422, body(40010001, "qty must be > 0"), fe.OrderRejected),
])
def test_status_and_code_map_to_the_project_tree(status, text, cls):
    error = translate_api_error(api_error(status, text), "submit x")
    assert type(error) is cls
    assert error.status_code == status


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
