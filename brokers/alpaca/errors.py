"""alpaca-py / requests failures → :mod:`framework.errors`, keeping HTTP status and Alpaca code.

Which failures are *ambiguous* matters for money: a read timeout or a reset connection may
hide an accepted order, so they become transient errors and the order manager looks the
order up by client id before any resend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import requests
from alpaca.common.exceptions import APIError

from framework.errors import (
    AuthenticationError,
    BrokerError,
    BrokerTimeout,
    BrokerUnavailable,
    DuplicateClientOrderId,
    NotCancelable,
    OrderNotFound,
    OrderRejected,
    PermanentBrokerError,
    RateLimited,
)

T = TypeVar("T")
CODE_NOT_CANCELABLE = 42210000


def _body(error: APIError) -> tuple[int | None, str]:
    """(code, message) read defensively: alpaca-py's properties raise on non-JSON bodies."""
    text = str(error)
    try:
        data = json.loads(text)
    except ValueError:
        return None, text[:200]
    if not isinstance(data, dict):
        return None, text[:200]
    code = data.get("code")
    return (code if isinstance(code, int) else None), str(data.get("message", text))[:200]


def _retry_after(error: APIError) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _class_for(status: int | None, code: int | None, message: str) -> type[BrokerError]:
    text = message.lower()
    if status == 429:
        return RateLimited
    if status is None or status >= 500:
        return BrokerUnavailable
    if status == 401:
        return AuthenticationError
    if status == 404:
        return OrderNotFound
    if status == 422 and "client_order_id" in text and "unique" in text:
        return DuplicateClientOrderId
    if code == CODE_NOT_CANCELABLE or (status == 422 and "cancel" in text):
        return NotCancelable
    if status in (400, 403, 422):
        return OrderRejected
    return PermanentBrokerError


def translate_api_error(error: APIError, action: str) -> BrokerError:
    status = error.status_code
    code, message = _body(error)
    cls = _class_for(status, code, message)
    text = f"{action}: HTTP {status} (code {code}): {message}"
    if cls is RateLimited:
        return RateLimited(text, retry_after=_retry_after(error), status_code=status, code=code)
    return cls(text, status_code=status, code=code)


def translate_transport_error(error: requests.RequestException, action: str) -> BrokerError:
    """No HTTP answer. A connect failure never reached the broker; anything else may have."""
    if isinstance(error, requests.ConnectTimeout):
        return BrokerUnavailable(f"{action}: could not connect in time")
    if isinstance(error, requests.Timeout):
        return BrokerTimeout(f"{action}: no answer in time (the request may have landed)")
    if isinstance(error, requests.ConnectionError):
        return BrokerUnavailable(f"{action}: connection failed ({type(error).__name__})")
    return BrokerUnavailable(f"{action}: {type(error).__name__}")


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run an alpaca-py call; re-raise its failures as the project's broker errors."""
    try:
        yield
    except APIError as e:
        raise translate_api_error(e, action) from e
    except requests.RequestException as e:
        raise translate_transport_error(e, action) from e


def call(action: str, fn: Callable[[], T]) -> T:
    with translated(action):
        return fn()
