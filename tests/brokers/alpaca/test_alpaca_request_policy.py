"""Defect 14.11 against the sandbox (real alpaca-py over loopback): every request paced by one
budget per API shared by every client and thread, reads retried, polling asks only for what
changed, and paging keeps the orders that share a timestamp."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pandas as pd
import pytest
from alpaca.trading.client import TradingClient
from alpaca_sandbox_helpers import KEY, SECRET, WARMUP_ONLY, environment, paper_once
from market_once import embedded_sandbox

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from brokers.sandbox.request import OrderRequest
from framework.config.loader import load_settings
from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import PermanentBrokerError
from framework.orders import Order

START = "2016-08-12"
CONFIG = ("strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"
          "orders:\n  backoff_initial_seconds: 0.05\n  backoff_max_seconds: 0.5\n")


def adapter(sb: SandboxServer) -> AlpacaBroker:
    ends = Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True)
    return AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=30.0, stream=False)


def resting(coid: str, side: OrderSide = OrderSide.BUY, symbol: str = "AAPL", **fields: str) -> OrderRequest:
    """A limit order far from the market: it rests until canceled or the close."""
    return OrderRequest.parse({"symbol": symbol, "qty": "1", "side": side.value, "type": "limit",
                               "time_in_force": "day", "client_order_id": coid,
                               "limit_price": "2.00" if side is OrderSide.BUY else "9000.00", **fields})


def test_a_burst_of_reads_from_every_client_and_thread_stays_within_a_small_budget(tmp_path):
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START,
                       rate_limit=8, rate_limit_window=1.0) as sb:
        settings = load_settings([], validate_strategy=False)
        first, second = connect(settings, environment(sb)), connect(settings, environment(sb))
        reads = {  # one client per thread, as the adapter uses them; two connections, one account
            "account": lambda: first.broker.get_account(),
            "poll": lambda: first.broker._poll_orders({"never-sent"}),  # the poll thread's client
            "positions": lambda: second.broker.get_positions(),
            "bars": lambda: first.bars.history(["AAPL"], pd.Series({"AAPL": "Tech"}),
                                               pd.Timestamp(START), 5),
        }
        failures: list[BaseException] = []

        def read(fn) -> None:
            try:
                for _ in range(6):
                    fn()
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=read, args=(fn,)) for fn in reads.values()]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
        finally:
            first.close()
            second.close()
        served = Counter(r.api for r in sb.requests)

    assert not failures, failures
    assert sb.budgets.refused == 0  # no 429: every client kept within the account's budget
    assert served["trading"] == 6 + 12 + 6 > 2 * 8  # the burst needed several windows
    assert served["data"] == 6 * 3  # each history asks for raw, split- and all-adjusted bars


def test_one_server_error_on_a_read_no_longer_fails_paper_once(tmp_path):
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(CONFIG + f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n" + WARMUP_ONLY)
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0) as sb:
        sb.set_faults([{"kind": "server_error", "route": "GET /v2/account", "status": 500},
                       {"kind": "rate_limit", "route": "GET /v2/clock"},
                       {"kind": "server_error", "route": "GET /v2/stocks/bars", "status": 503}])
        paper_once(cfg, environment(sb))
        fired = sorted(route for _, route in sb.exchange.faults.fired)
        orders = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url).get_orders()

    assert fired == ["GET /v2/account", "GET /v2/clock", "GET /v2/stocks/bars"]
    assert orders, "the cycle traded after the failed reads were retried"


def test_polling_twenty_open_orders_lists_the_open_ones_once_not_the_history(tmp_path):
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START) as sb:
        for i in range(60):  # a history of closed orders the poll must not page through
            sb.run(lambda ex, i=i: ex.cancel(ex.submit(resting(f"old-{i}")).id))
        broker = adapter(sb)
        try:
            for i in range(20):
                broker.submit_order(Order(client_order_id=f"open-{i}", symbol="AAPL",
                                          side=OrderSide.BUY, qty=Decimal(1),
                                          type=OrderType.LIMIT, limit_price=Decimal(2),
                                          time_in_force=TimeInForce.DAY))
            before = len(sb.requests)
            first = [broker.poll() for _ in range(3)]
            calm = sb.requests[before:]
            for coid in ("open-3", "open-7"):
                sb.run(lambda ex, c=coid: ex.cancel(ex.by_client(c).id))
            before = len(sb.requests)
            changed = broker.poll()
            after_cancel = sb.requests[before:]
            still_open = broker.tracker.open_ids()
        finally:
            broker.close()

    assert first == [20, 0, 0]  # every order seen once, then nothing new
    assert [(r.method, r.path, r.query.get("status")) for r in calm] == [
        ("GET", "/v2/orders", "open")] * 3  # one listing of the open orders a poll; no look-ups
    assert changed == 2 and len(still_open) == 18
    assert sorted((r.path, r.query.get("client_order_id")) for r in after_cancel) == [
        ("/v2/orders", None), ("/v2/orders:by_client_order_id", "open-3"),
        ("/v2/orders:by_client_order_id", "open-7")]  # only the two that left the open list


def test_paging_returns_every_order_once_when_timestamps_tie_at_a_page_boundary(tmp_path):
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START) as sb:
        sb.run(lambda ex: ex.submit(resting("seed", symbol="XOM", type="market", qty="400", limit_price="")))
        sb.advance("open")
        sb.advance("close")  # the next session, before its open: every order below at one instant
        sb.run(lambda ex: [ex.submit(resting(f"b{i}")) for i in range(350)]
               + [ex.submit(resting(f"s{i}", OrderSide.SELL, "XOM")) for i in range(350)])
        sb.advance("open")  # a later instant
        sb.run(lambda ex: [ex.submit(resting(f"late{i}")) for i in range(300)])
        at_venue = set(sb.exchange.orders)
        instants = Counter(o.submitted_at for o in sb.exchange.orders.values())
        broker = adapter(sb)
        try:
            listed = broker.get_orders("all")
        finally:
            broker.close()

    assert sorted(instants.values()) == [1, 300, 700]  # > a page shares one timestamp
    ids = [o.broker_order_id for o in listed]
    assert len(ids) == len(set(ids)) == len(at_venue) == 1001 and set(ids) == at_venue
    assert Counter(o.status for o in listed)[OrderStatus.FILLED] == 1


def test_more_than_a_page_of_one_side_at_one_instant_is_an_error_not_a_gap(tmp_path):
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=START) as sb:
        sb.run(lambda ex: [ex.submit(resting(f"b{i}")) for i in range(501)])
        broker = adapter(sb)
        try:
            with pytest.raises(PermanentBrokerError, match="same instant"):
                broker.get_orders("open")
        finally:
            broker.close()
