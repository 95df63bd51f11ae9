"""The HTTP session under every alpaca-py client: paced by the venue's budget, reads retried.

alpaca-py sends each request through ``client._session.request``; :class:`PacedSession` is
installed there (by :func:`install`), so every call of every client is covered:

- **one budget per API** (trading; market data has its own), shared by every client and thread
  of the process that uses the same origin and key (:func:`shared_budget`). Before a request the
  session waits for the budget (:class:`framework.rate_limit.RequestBudget`); after it, the
  budget learns from the ``X-Ratelimit-*`` headers; a 429 stops every sender until the venue's
  ``Retry-After`` (or its reset).
- **reads (GET) are retried** on 429, 5xx, connection errors and timeouts, with exponential
  backoff and jitter (:class:`framework.retry.RetryPolicy`), inside the budget. **Writes (POST,
  PATCH, DELETE) are never resent here**: an order whose answer was lost is looked up by client
  id by the order manager before anything is sent again. alpaca-py's own retry is off.
- every request has a timeout (alpaca-py sets none).
- no wait — for the budget (a 429 stops every sender until its reset) or before retrying a read
  — runs past the deadline the caller works under (a paper cycle's, :mod:`framework.deadline`):
  a venue asking for longer than is left fails the request at once, before it is sent, naming
  the deadline. ``read_deadline_seconds`` bounds the retries of a read's failures only: the waits
  the venue asked for (its ``Retry-After``, the budget's pacing) are not spent from it.

Nothing here logs or raises with a key: log lines name the API, the method and the path only.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests

from framework import deadline
from framework.rate_limit import BudgetReport, BudgetView, RequestBudget
from framework.retry import RetryPolicy

log = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
RETRIED_METHODS = frozenset({"GET"})
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError)
WINDOW = 60.0  # Alpaca's budgets are per minute


class Api(StrEnum):
    TRADING = "trading"
    DATA = "data"


@dataclass(frozen=True, slots=True)
class RequestPolicy:
    """How the adapter talks HTTP: timeout, the budgets' local ceilings, the read retry."""

    timeout: float = 10.0
    trading_per_minute: int = 200
    data_per_minute: int = 200
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def per_minute(self, api: Api) -> int:
        return self.trading_per_minute if api is Api.TRADING else self.data_per_minute


class SharedBudget:
    """A :class:`RequestBudget` behind a lock and a condition, on the monotonic clock."""

    def __init__(self, budget: RequestBudget, name: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budget, self.name, self._clock = budget, name, clock
        self._cond = threading.Condition()
        self.requests = 0  # observability, tests
        self.waited = 0.0
        self.refusals = 0

    def acquire(self, stop: threading.Event) -> float:
        """Wait until the budget lets one request go (or ``stop`` is set); the seconds waited.

        The wait is bounded by the deadline the caller works under (a paper cycle's,
        :mod:`framework.deadline`): one the budget asks for that would outlast it (a 429's hold
        of up to a minute, near the end of a cycle) is refused at once, naming the deadline,
        before anything is sent — never slept past the deadline."""
        bound = deadline.current()
        waited = 0.0
        with self._cond:
            while True:
                now = self._clock()
                wait = self.budget.reserve(now)
                if wait <= 0:
                    self.requests += 1
                    return waited
                refused = bound.refuse(wait, f"waiting for the {self.name} budget (the venue's rate limit)") \
                    if bound is not None else None
                if refused is not None:
                    log.warning("%s", refused)
                    raise refused
                if stop.is_set():
                    raise requests.ConnectionError("the session was closed while waiting")
                log.debug("%s budget: waiting up to %.2f s", self.name, wait)
                self._cond.wait(wait)  # an answer or a close wakes us earlier
                spent = self._clock() - now
                self.waited += spent
                waited += spent

    def settle(self, report: BudgetReport | None) -> None:
        with self._cond:
            self.budget.settle(self._clock(), report)
            self._cond.notify_all()

    def hold(self, seconds: float) -> None:
        with self._cond:
            self.refusals += 1
            self.budget.hold(self._clock(), seconds)
            self._cond.notify_all()

    def view(self) -> BudgetView:
        """The budget as it stands (the dashboard's rate-limit headroom)."""
        with self._cond:
            return self.budget.view(self._clock())

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


# held weakly: a budget lives as long as a session that spends it
_BUDGETS: weakref.WeakValueDictionary[tuple[Api, str, str], SharedBudget] = (
    weakref.WeakValueDictionary())
_BUDGETS_LOCK = threading.Lock()


def shared_budget(api: Api, base_url: str, key_id: str, per_minute: int) -> SharedBudget:
    """The process's one budget for (API, origin, account key), shared by every live client.

    The key is kept only as a digest, so the registry holds nothing secret.
    """
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()
    ident = (api, origin, hashlib.sha256(key_id.encode()).hexdigest()[:16])
    with _BUDGETS_LOCK:
        budget = _BUDGETS.get(ident)
        if budget is None:
            budget = SharedBudget(RequestBudget(per_minute, WINDOW), f"{api} {origin}")
            _BUDGETS[ident] = budget
        return budget


def _venue_now(headers: Mapping[str, str]) -> float | None:
    """The venue's own time, from the answer's ``Date`` header (one clock per venue)."""
    try:
        return parsedate_to_datetime(headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def budget_report(headers: Mapping[str, str]) -> BudgetReport | None:
    """The ``X-Ratelimit-*`` headers as a report; None when absent or unreadable.

    The reset is a unix time on the venue's clock: it is turned into a duration with the
    venue's own ``Date``; without one, the budget is assumed to refill a whole window later.
    """
    try:
        limit = int(headers["X-Ratelimit-Limit"])
        remaining = int(headers["X-Ratelimit-Remaining"])
        reset = float(headers["X-Ratelimit-Reset"])
    except (KeyError, TypeError, ValueError):
        return None
    now = _venue_now(headers)
    reset_in = WINDOW if now is None else reset - now
    return BudgetReport(limit=limit, remaining=remaining, window=reset, reset_in=reset_in)


def refusal_wait(headers: Mapping[str, str]) -> float:
    """How long a 429 asks us to stop: ``Retry-After`` (seconds or a date), else the reset."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            now = _venue_now(headers)
            try:
                when = parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None and now is not None:
                return max(when - now, 0.0)
    report = budget_report(headers)
    return max(report.reset_in, 0.0) if report is not None else 1.0


class PacedSession(requests.Session):
    """A session whose every request is paced by one shared budget and has a timeout, and
    whose reads are retried on transient failures."""

    def __init__(self, budget: SharedBudget, policy: RequestPolicy, *,
                 rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.budget, self.policy = budget, policy
        self.timeout = policy.timeout
        self._rng = rng or random.Random()
        self._clock = clock
        self._closed = threading.Event()
        self.retries = 0  # observability, tests

    def close(self) -> None:
        self._closed.set()
        self.budget.wake()
        super().close()

    def request(self, method: str | bytes, url: str | bytes,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        verb = method.decode() if isinstance(method, bytes) else method
        retried = verb.upper() in RETRIED_METHODS
        started = self._clock()
        tries = 0
        while True:
            tries += 1
            try:
                response, paced = self._once(verb, url, kwargs)
            except TRANSIENT_ERRORS as e:
                if not retried or not self._pause(tries, started, 0.0, verb, url, type(e).__name__):
                    raise
                continue
            started += paced  # waiting for the budget is not a failure: not spent on the read deadline
            if not retried or response.status_code not in TRANSIENT_STATUS:
                return response
            floor = refusal_wait(response.headers) if response.status_code == 429 else 0.0
            if not self._pause(tries, started, floor, verb, url, f"HTTP {response.status_code}"):
                return response
            started += floor  # the venue's asked-for wait is not spent on the read deadline
            response.close()

    def _once(self, method: str, url: str | bytes, kwargs: dict[str, Any]) -> tuple[requests.Response, float]:
        """One request and the seconds it waited for the budget first."""
        paced = self.budget.acquire(self._closed)
        try:
            response = super().request(method, url, **kwargs)
        except BaseException:
            self.budget.settle(None)
            raise
        self.budget.settle(budget_report(response.headers))
        if response.status_code == 429:
            self.budget.hold(refusal_wait(response.headers))
        return response, paced

    def _pause(self, tries: int, started: float, floor: float, method: str,
               url: str | bytes, why: str) -> bool:
        """Wait before the next try of a read; False: give up (attempts or deadline spent)."""
        elapsed = self._clock() - started
        wait = self.policy.retry.delay(tries, elapsed, self._rng.random(), floor)
        path = urlsplit(url.decode() if isinstance(url, bytes) else url).path
        if wait is None or self._closed.is_set():
            log.warning("%s %s failed (%s) after %d tries; giving up", method, path, why, tries)
            return False
        bound = deadline.current()  # a cycle's deadline: never wait past it
        refused = bound.refuse(wait, f"{method} {path} failed ({why})") if bound is not None else None
        if refused is not None:
            log.warning("%s", refused)
            raise refused
        log.info("%s %s failed (%s); try %d in %.2f s", method, path, why, tries + 1, wait)
        self.retries += 1
        return not self._closed.wait(wait)


def install(client: Any, api: Api, base_url: str, key_id: str, policy: RequestPolicy) -> Any:
    """Put a paced session under an alpaca-py client and switch its own retry off."""
    budget = shared_budget(api, base_url, key_id, policy.per_minute(api))
    client._retry = 0  # never let alpaca-py resend anything on its own
    client._session = PacedSession(budget, policy)
    return client
