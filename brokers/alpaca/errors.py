"""alpaca-py / requests failures → :mod:`framework.errors`, keeping HTTP status and Alpaca code.

Which failures are *ambiguous* matters for money: a read timeout or a reset connection may
hide an accepted order, so they become transient errors and the order manager looks the
order up by client id before any resend.

A refusal by one of the venue's order rules (sub-penny price, fractional order, short, shares
held for orders, $1 minimum, buying power) becomes the typed :class:`OrderRejected` subclass
of its :class:`~framework.enums.Rule`, worded exactly as the simulator words the same refusal.
Code 42210000 means "not cancelable" only on a cancel: on a submit it is a rejection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import requests
from alpaca.common.exceptions import APIError

from framework.enums import Rule
from framework.errors import (
    RULE_ERRORS,
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
    describe_refusal,
)

T = TypeVar("T")

#: Alpaca's refusals by the venue rule they enforce: a phrase of the message → the rule.
REFUSALS: tuple[tuple[str, Rule], ...] = (
    ("extended hours order must be", Rule.EXTENDED_HOURS),
    ("sub-penny increment", Rule.PRICE_INCREMENT),
    ("auction's cut-off", Rule.AUCTION_WINDOW),
    ("fractional orders", Rule.FRACTIONAL),
    ("is not fractionable", Rule.FRACTIONAL),
    ("cannot be sold short", Rule.SHORTABLE),
    ("not allowed to short", Rule.SHORTABLE),
    ("insufficient qty available", Rule.QTY_AVAILABLE),
    ("cost basis must be", Rule.MINIMUM_ORDER),
    ("insufficient buying power", Rule.BUYING_POWER),
)
_REQUESTED = re.compile(r"requested: ([0-9.]+)")


def _body(error: APIError) -> tuple[int | None, str, dict[str, Any]]:
    """(code, message, the other fields) read defensively: alpaca-py's properties raise on
    non-JSON bodies."""
    text = str(error)
    try:
        data = json.loads(text)
    except ValueError:
        return None, text[:200], {}
    if not isinstance(data, dict):
        return None, text[:200], {}
    code = data.get("code")
    extra = {k: v for k, v in data.items() if k not in ("code", "message")}
    return (code if isinstance(code, int) else None), str(data.get("message", text))[:200], extra


def _retry_after(error: APIError) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def rule_of(message: str, extra: dict[str, Any]) -> Rule | None:
    """The venue rule an Alpaca refusal names; a sell beyond the whole position is the
    long-to-short rule (Alpaca answers it as "insufficient qty available")."""
    text = message.lower()
    rule = next((r for phrase, r in REFUSALS if phrase in text), None)
    if rule is Rule.QTY_AVAILABLE:
        requested = _REQUESTED.search(text)
        try:
            if requested and Decimal(requested.group(1)) > Decimal(str(extra.get("existing_qty"))):
                return Rule.LONG_TO_SHORT
        except InvalidOperation:
            pass
    return rule


def _class_for(status: int | None, message: str, rule: Rule | None, on_cancel: bool) -> type[BrokerError]:
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
    if status == 422 and (on_cancel or "not cancelable" in text):
        return NotCancelable
    if status in (400, 403, 422):
        return RULE_ERRORS[rule] if rule is not None else OrderRejected
    return PermanentBrokerError


def translate_api_error(error: APIError, action: str, *, on_cancel: bool = False) -> BrokerError:
    """``on_cancel``: the call was a cancel, whose 422 means the order can no longer be canceled."""
    status = error.status_code
    code, message, extra = _body(error)
    rule = rule_of(message, extra)
    cls = _class_for(status, message, rule, on_cancel)
    text = describe_refusal(action, status, code, message)
    if cls is RateLimited:
        return RateLimited(text, retry_after=_retry_after(error), status_code=status, code=code)
    if issubclass(cls, OrderRejected):
        return cls(text, status_code=status, code=code, rule=rule, reason=message, details=extra)
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
def translated(action: str, *, on_cancel: bool = False) -> Iterator[None]:
    """Run an alpaca-py call; re-raise its failures as the project's broker errors."""
    try:
        yield
    except APIError as e:
        raise translate_api_error(e, action, on_cancel=on_cancel) from e
    except requests.RequestException as e:
        raise translate_transport_error(e, action) from e


def call(action: str, fn: Callable[[], T], *, on_cancel: bool = False) -> T:
    with translated(action, on_cancel=on_cancel):
        return fn()
