"""The Alpaca JSON of the sandbox's account, positions and assets, pinned byte for byte across an
account's life: flat, queued orders holding buying power, long and short positions at the open,
marked at the close and the next session, partly and wholly closed.

Written before the exchange was split into its parts (issue 27 part 6): a change of key order,
number format or a value shows here as a diff. Ids are random (uuid4), so each distinct uuid is
replaced by ``<uuid N>`` in order of appearance. Regenerate (only for an intended change of the
wire shape): ``GOLDEN_WRITE=1 pytest <this file>``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_golden import Life, assert_golden, sandbox_life

GOLDEN = Path(__file__).with_name("golden") / "account_life.txt"


@pytest.fixture
def life(tmp_path):
    with sandbox_life(tmp_path) as life:
        yield life


def _looks(life: Life, when: str) -> None:
    life.call(f"{when} account", "GET", "/v2/account")
    life.call(f"{when} positions", "GET", "/v2/positions")


def test_the_accounts_and_positions_alpaca_json_across_a_life_is_unchanged(life: Life) -> None:
    _looks(life, "flat")
    life.call("no position", "GET", "/v2/positions/AAPL")
    life.call("asset", "GET", "/v2/assets/AAPL")
    life.call("no asset", "GET", "/v2/assets/NOPE")
    life.post("aapl", {"symbol": "AAPL", "side": "buy", "qty": "10", "type": "market", "time_in_force": "day"})
    life.post("msft", {"symbol": "MSFT", "side": "buy", "notional": "1500", "type": "market",
                       "time_in_force": "day"})
    life.post("xom short", {"symbol": "XOM", "side": "sell", "qty": "5", "type": "market", "time_in_force": "day"})
    life.post("resting", {"symbol": "AAPL", "side": "buy", "qty": "4", "type": "limit", "time_in_force": "gtc",
                          "limit_price": "50"})
    _looks(life, "queued")
    life.advance("open")
    _looks(life, "open")
    life.call("one position", "GET", "/v2/positions/AAPL")
    life.call("short position", "GET", "/v2/positions/XOM")
    life.advance("close")
    _looks(life, "closed")
    life.advance("next_session")
    _looks(life, "next session")
    life.advance("open")
    life.call("close some", "DELETE", "/v2/positions/AAPL", params={"qty": "3"})
    life.call("close half", "DELETE", "/v2/positions/MSFT", params={"percentage": "50"})
    _looks(life, "partly closed")
    life.call("close all", "DELETE", "/v2/positions", params={"cancel_orders": "true"})
    _looks(life, "closed all")
    assert_golden(life.lines, GOLDEN)
