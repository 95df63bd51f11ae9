"""The sandbox's request budget: Alpaca's X-Ratelimit-* headers on every /v2 answer, a per-key
budget per API (trading, market data), 429 with Retry-After beyond it."""

from __future__ import annotations

import pytest
import requests
from market_once import embedded_sandbox

from brokers.sandbox import SandboxServer
from brokers.sandbox.budget import RequestBudgets

START = "2016-08-12"


def get(server: SandboxServer, path: str, key: str = "key") -> requests.Response:
    headers = {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": "secret"}
    return requests.get(f"{server.base_url}{path}", headers=headers, timeout=30)


def test_every_answer_carries_the_budget_and_429_comes_beyond_it(tmp_path):
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START,
                       rate_limit=3, rate_limit_window=3600) as sb:
        answers = [get(sb, "/v2/account") for _ in range(4)]
        other_key = get(sb, "/v2/clock", key="another")
        data = get(sb, "/v2/stocks/bars?symbols=AAPL&timeframe=1Day")
        missing = get(sb, "/v2/orders/nope")

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Ratelimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-Ratelimit-Limit"] for a in answers} == {"3"}
    resets = {int(a.headers["X-Ratelimit-Reset"]) for a in answers}
    assert len(resets) == 1  # one window, ending on a whole second
    assert answers[3].json()["code"] == 42910000 and int(answers[3].headers["Retry-After"]) >= 1
    assert other_key.status_code == 200 and other_key.headers["X-Ratelimit-Remaining"] == "2"
    assert data.status_code == 200 and data.headers["X-Ratelimit-Remaining"] == "2"  # its own
    assert missing.status_code == 429  # even an error answer is counted, and carries the budget
    assert sb.budgets.refused == 2 and sum(r.refused for r in sb.requests) == 2


def test_the_window_refills_when_the_reset_says():
    now = [1000.25]
    budgets = RequestBudgets(2, 1.5, clock=lambda: now[0])
    first, second, third = (budgets.spend("k", "trading") for _ in range(3))
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert first.reset == second.reset == 1002  # ceil(1000.25 + 1.5)
    assert budgets.retry_after(third) == 2
    now[0] = 1001.99
    assert not budgets.spend("k", "trading").allowed
    now[0] = 1002.0
    refilled = budgets.spend("k", "trading")
    assert refilled.allowed and refilled.remaining == 1 and refilled.reset == 1004


@pytest.mark.parametrize("kind", ["trading", "data"])
def test_budgets_are_per_key_and_per_api(kind):
    budgets = RequestBudgets(1, 60, clock=lambda: 0.0)
    assert budgets.spend("a", kind).allowed
    assert not budgets.spend("a", kind).allowed
    assert budgets.spend("b", kind).allowed
    assert budgets.spend("a", "data" if kind == "trading" else "trading").allowed
