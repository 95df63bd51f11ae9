"""The Alpaca JSON of a sandbox order across its life, pinned byte for byte: every route's answer
text, every trade-update message and the orders as the state file stores them.

The golden file was written by the sandbox before its orders became typed records (issue 27
part 6): a change of key order, number format or a field's value shows here as a diff. Ids are
random (uuid4), so each distinct uuid is replaced by ``<uuid N>`` in order of appearance.
Regenerate (only for an intended change of the wire shape): ``GOLDEN_WRITE=1 pytest <this file>``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sandbox_golden import Life, assert_golden, sandbox_life

GOLDEN = Path(__file__).with_name("golden") / "order_life.txt"


@pytest.fixture
def life(tmp_path):
    with sandbox_life(tmp_path) as life:
        yield life


def test_an_orders_alpaca_json_across_its_life_is_unchanged(life: Life) -> None:
    base = {"symbol": "AAPL", "side": "buy", "qty": "10"}
    low = life.post("limit new", {**base, "type": "limit", "time_in_force": "gtc", "limit_price": "50",
                                  "client_order_id": "life-limit"})
    life.call("get", "GET", f"/v2/orders/{low}")
    life.call("by client id", "GET", "/v2/orders:by_client_order_id", params={"client_order_id": "life-limit"})
    new = life.call("replace", "PATCH", f"/v2/orders/{low}", json={"limit_price": "1000", "qty": "7"}).json()["id"]
    life.call("replaced", "GET", f"/v2/orders/{low}")
    life.post("trailing stop", {**base, "type": "trailing_stop", "time_in_force": "gtc", "trail_percent": "5"})
    life.post("trailing stop by price", {**base, "side": "sell", "qty": "1", "type": "trailing_stop",
                                         "time_in_force": "gtc", "trail_price": "2.5"})
    market = life.post("market queued", {**base, "type": "market", "time_in_force": "day", "client_order_id": "m"})
    life.post("stop limit", {**base, "qty": "2", "type": "stop_limit", "time_in_force": "day",
                             "stop_price": "120", "limit_price": "121"})
    life.post("on open", {**base, "qty": "3", "type": "limit", "time_in_force": "opg", "limit_price": "500"})
    life.post("on close", {**base, "qty": "4", "type": "market", "time_in_force": "cls"})
    expiring = life.post("day limit", {**base, "qty": "3", "type": "limit", "time_in_force": "day",
                                       "limit_price": "60"})
    life.call("duplicate client id", "POST", "/v2/orders", json={**base, "type": "market", "time_in_force": "day",
                                                                  "client_order_id": "m"})
    life.advance("open")
    life.call("market filled", "GET", f"/v2/orders/{market}")
    life.server.set_faults([{"kind": "partial", "route": "fill"}])
    partial = life.post("partial", {**base, "qty": "9", "type": "market", "time_in_force": "day"})
    life.post("notional", {"symbol": "MSFT", "side": "buy", "notional": "1000", "type": "market",
                           "time_in_force": "day"})
    gone = life.post("to cancel", {**base, "type": "limit", "time_in_force": "gtc", "limit_price": "40.5"})
    life.call("cancel", "DELETE", f"/v2/orders/{gone}")
    life.call("canceled", "GET", f"/v2/orders/{gone}")
    life.call("open orders", "GET", "/v2/orders", params={"status": "open", "direction": "asc"})
    life.advance("close")
    for label, oid in (("expired", expiring), ("partial expired", partial), ("replacement", new)):
        life.call(label, "GET", f"/v2/orders/{oid}")
    life.advance("open")
    life.advance("close")
    life.call("all orders", "GET", "/v2/orders", params={"status": "all", "direction": "asc", "limit": "500"})
    life.call("newest two", "GET", "/v2/orders", params={"status": "all", "limit": "2", "side": "buy"})
    life.post("last limit", {**base, "type": "limit", "time_in_force": "gtc", "limit_price": "30"})
    life.call("cancel all", "DELETE", "/v2/orders")
    life.call("close all", "DELETE", "/v2/positions", params={"cancel_orders": "true"})
    life.lines.append("stored " + life.server.run(lambda ex: json.dumps(ex.to_state()["orders"])))
    life.lines.extend("stream " + json.dumps(m) for m in life.messages)
    assert_golden(life.lines, GOLDEN)
