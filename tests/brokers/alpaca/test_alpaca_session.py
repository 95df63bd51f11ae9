"""The paced session under every alpaca-py client: the venue's headers read on its own clock,
reads retried, writes never resent, one budget per (API, origin, key), nothing secret logged."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from alpaca_fake_server import FakeAlpaca
from alpaca_sandbox_helpers import KEY, SECRET
from market_once import embedded_sandbox

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from brokers.alpaca.feeds import make_data_client
from brokers.alpaca.session import Api, RequestPolicy, budget_report, refusal_wait, shared_budget
from framework.enums import OrderSide
from framework.errors import BrokerUnavailable
from framework.orders import Order
from framework.retry import RetryPolicy

DATE = "Mon, 15 Aug 2016 13:00:00 GMT"  # 1471266000 on the venue's clock


def test_the_reset_is_read_against_the_venues_own_date():
    headers = {"X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "17",
               "X-Ratelimit-Reset": "1471266042", "Date": DATE}
    report = budget_report(headers)
    assert report is not None
    assert (report.limit, report.remaining, report.reset_in) == (200, 17, 42.0)
    no_date = budget_report({k: v for k, v in headers.items() if k != "Date"})
    assert no_date is not None and no_date.reset_in == 60.0  # a whole window: never too early
    assert budget_report({"Date": DATE}) is None


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "3"}, 3.0),
    ({"Retry-After": "Mon, 15 Aug 2016 13:00:05 GMT", "Date": DATE}, 5.0),
    ({"X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "0",
      "X-Ratelimit-Reset": "1471266009", "Date": DATE}, 9.0),
    ({}, 1.0),
])
def test_a_refusal_waits_as_long_as_the_venue_asks(headers, wait):
    assert refusal_wait(headers) == wait


def test_one_budget_per_api_origin_and_key():
    a = shared_budget(Api.TRADING, "http://127.0.0.1:9", "AK1", 200)
    assert shared_budget(Api.TRADING, "http://u:p@127.0.0.1:9/v2", "AK1", 200) is a
    assert shared_budget(Api.DATA, "http://127.0.0.1:9", "AK1", 200) is not a
    assert shared_budget(Api.TRADING, "http://127.0.0.1:9", "AK2", 200) is not a
    assert "AK1" not in repr(a.name)


def test_writes_are_never_resent_by_the_adapter():
    with FakeAlpaca() as fake:
        ends = Endpoints(fake.url, fake.url, "ws://127.0.0.1:9/stream", paper=True)
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=30.0, stream=False)
        fake.faults.append("500")
        try:
            with pytest.raises(BrokerUnavailable):
                broker.submit_order(Order(client_order_id="w-1", symbol="AAPL",
                                          side=OrderSide.BUY, qty=Decimal(1)))
        finally:
            broker.close()
        assert fake.posts() == 1


def test_a_read_that_times_out_is_asked_again_and_nothing_secret_is_logged(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0) as sb:
        # held far beyond the timeout, until the sandbox stops
        sb.set_faults([{"kind": "slow", "route": "GET /v2/account", "delay": 600.0},
                       {"kind": "server_error", "route": "GET /v2/positions", "status": 502},
                       {"kind": "rate_limit", "route": "GET /v2/positions"}])
        ends = Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True)
        # the timeout is this test's wait: 2 s, still hundreds of times a loopback answer's time
        # (the counts below would see a second timeout); the back-off of a retry need not be
        # waited for: a zero-ish one (the 429's own second is the venue's, still honoured)
        policy = RequestPolicy(timeout=2.0, retry=RetryPolicy(initial=0.01, maximum=0.05))
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, policy=policy, stream=False)
        try:
            account = broker.get_account()
            broker.get_positions()
        finally:
            broker.close()
        asked = [(r.method, r.path) for r in sb.requests]

    assert account.cash == Decimal("100000.0")
    assert asked.count(("GET", "/v2/account")) == 2 and asked.count(("GET", "/v2/positions")) == 3
    assert "try 2" in caplog.text
    assert KEY not in caplog.text and SECRET not in caplog.text


def test_the_data_client_retries_through_the_session_not_alpaca_py():
    client = make_data_client(Credentials(KEY, SECRET),
                              Endpoints("http://127.0.0.1:9", "http://127.0.0.1:9",
                                        "ws://127.0.0.1:9/stream", paper=True), RequestPolicy())
    assert client._retry == 0 and client._session.budget.name.startswith("data ")
    client._session.close()


def test_a_budget_wait_longer_than_the_deadline_left_is_refused_at_once_naming_it():
    """Defect 12's pacing half: a 429 holds every sender until the venue's reset; a request
    made under a cycle's deadline with less left than that is refused before it is sent (never
    slept past the deadline), naming the deadline."""
    import threading

    from brokers.alpaca.session import SharedBudget
    from framework.deadline import Bound, DeadlineExceeded, bounded
    from framework.rate_limit import RequestBudget

    budget = SharedBudget(RequestBudget(200, 60.0), "trading http://127.0.0.1:9")
    budget.hold(60.0)
    closed = threading.Event()
    closed.set()  # were the wait not refused, it would end at once (as a closed session)
    with bounded(Bound("cycle deadline (paper.cycle_deadline_seconds = 45 s)", lambda: 12.0)), \
            pytest.raises(DeadlineExceeded, match=r"would wait 60\.0 s, but only 12\.0 s is left of the cycle "
                                                  r"deadline \(paper.cycle_deadline_seconds = 45 s\)"):
        budget.acquire(closed)
    assert budget.requests == 0
    free = SharedBudget(RequestBudget(200, 60.0), "trading http://127.0.0.1:9")
    with bounded(Bound("cycle deadline", lambda: 12.0)):
        assert free.acquire(threading.Event()) == 0.0  # nothing to wait for: goes
    assert free.requests == 1


def test_waiting_for_the_budget_is_not_spent_from_a_reads_retry_deadline(tmp_path):
    """Defect 12: ``read_deadline_seconds`` bounds the retries of a read's failures, not the
    waits the venue asked for. A read that waited for the budget (a 429 elsewhere held every
    sender) longer than the read deadline, then met one 502, gave up "after 1 tries"."""

    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0) as sb:
        sb.set_faults([{"kind": "server_error", "route": "GET /v2/positions", "status": 502}])
        ends = Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True)
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=5.0, stream=False)
        policy = RequestPolicy(retry=RetryPolicy(attempts=3, initial=0.01, maximum=0.05, deadline=0.3))
        session = broker.client._session
        session.policy = policy
        try:
            session.budget.hold(0.6)  # another request's 429: every sender waits, past the read deadline
            assert broker.get_positions() == []
        finally:
            broker.close()
        asked = [(r.method, r.path) for r in sb.requests]
    assert asked.count(("GET", "/v2/positions")) == 2
