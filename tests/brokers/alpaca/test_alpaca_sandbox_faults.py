"""Injected sandbox faults through `trade paper --once` and the adapter (real alpaca-py):
429/5xx retried, lost and slow submit answers looked up by client id, dropped stream polled."""

import time
from decimal import Decimal

import pytest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest
from alpaca_sandbox_helpers import KEY, SECRET, WARMUP_ONLY, environment, paper_once, start_sandbox

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from framework.enums import OrderSide
from framework.journal import Journal
from framework.orders import Order

pytest.importorskip("brokers.sandbox")

# A slow answer held far beyond the timeout (until the sandbox stops). The timeout is the test's
# wait, so 2 s, still hundreds of times a loopback answer's time; and were another request to
# reach it, a read is asked again and a lost order looked up: the assertions hold either way.
CONFIG = ("strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"
          "orders:\n  request_timeout_seconds: 2.0\n  backoff_initial_seconds: 0.01\n"
          "  backoff_max_seconds: 0.05\n")
HELD = 600.0  # seconds: answered only when the sandbox stops


def test_rate_limit_errors_lost_and_slow_answers_never_duplicate(tmp_path):
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(CONFIG + f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n" + WARMUP_ONLY)
    route = "POST /v2/orders"
    with start_sandbox(tmp_path) as sb:
        sb.set_faults([{"kind": "rate_limit", "route": route, "count": 2},
                       {"kind": "server_error", "route": route, "count": 1, "status": 500},
                       {"kind": "server_error", "route": route, "count": 1, "status": 503},
                       {"kind": "lost_response", "route": route, "count": 1},
                       {"kind": "slow", "route": route, "count": 1, "delay": HELD}])
        paper_once(cfg, environment(sb))
        fired = {kind for kind, _ in sb.exchange.faults.fired}
        client = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)
        at_broker = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))

    assert fired == {"rate_limit", "server_error", "lost_response", "slow"}
    symbols = [o.symbol for o in at_broker]
    assert len(symbols) == len(set(symbols)), "an order was sent twice"
    journal = Journal(tmp_path / "paper.sqlite")
    try:
        journaled = {o.client_order_id: o for o in journal.orders()}
    finally:
        journal.close()
    assert set(journaled) == {o.client_order_id for o in at_broker}
    assert all(journaled[o.client_order_id].broker_order_id == str(o.id) for o in at_broker)


def test_dropped_stream_falls_back_to_polling_and_loses_no_fill(tmp_path):
    with start_sandbox(tmp_path) as sb:
        ends = Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True)
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=5.0, poll_interval=0.1)
        received = []
        broker.subscribe(received.append)
        broker.start()
        try:
            deadline = time.monotonic() + 60  # generous: milliseconds on an idle machine
            while not broker.feed.stream_connected and time.monotonic() < deadline:
                broker.dispatch(timeout=0.05)
            assert broker.feed.stream_connected
            for i, symbol in enumerate(("AAPL", "MSFT")):
                broker.submit_order(Order(client_order_id=f"drop-{i}", symbol=symbol,
                                          side=OrderSide.BUY, qty=Decimal(5)))
            sb.set_faults([{"kind": "drop_stream"}])
            sb.advance()  # the open: both orders fill while the stream is down or reconnecting
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and sum(1 for u in received if u.fill) < 2:
                broker.dispatch(timeout=0.1)
            polled = broker.feed.polled_updates
        finally:
            broker.close()
    fills = [u.fill for u in received if u.fill]
    assert sorted(f.client_order_id for f in fills) == ["drop-0", "drop-1"]  # none lost, none twice
    assert all(f.qty == Decimal(5) for f in fills)
    assert polled >= 2  # the fills came by polling: the stream was down when they happened
