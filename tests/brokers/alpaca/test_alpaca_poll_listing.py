"""A poll after a session's fills reads the filled orders from one listing of the newest closed
orders, not one look-up each (issue 31 part 5: 40 requests a 500-symbol paper cycle), against
the sandbox; an order that listing does not hold is still looked up by itself."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from market_once import embedded_sandbox

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from framework.broker import OrderUpdate
from framework.enums import OrderEvent, OrderSide
from framework.orders import Order

KEY, SECRET = "AKPOLL000000000001", "POLLSECRET00000001"
SYMBOLS = ("AAPL", "MSFT", "JPM", "XOM", "PG")


def test_filled_orders_come_from_one_closed_listing(tmp_path: Path) -> None:
    with embedded_sandbox(state=tmp_path / "sandbox.sqlite", port=0) as sb:
        ends = Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True)
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=10.0, stream=False)
        received: list[OrderUpdate] = []
        broker.subscribe(received.append)
        try:
            for symbol in SYMBOLS:
                broker.submit_order(Order(client_order_id=f"poll-{symbol}", symbol=symbol, side=OrderSide.BUY,
                                          qty=Decimal(1)))
            broker.tracker.track("poll-never-sent")  # the venue never heard of it
            sb.advance()  # the orders fill at the open
            before = len(sb.requests)
            broker.poll()
            broker.dispatch()
            sent = [(r.method, r.path, r.query) for r in sb.requests[before:]]
        finally:
            broker.close()
    assert [(method, path, query.get("status")) for method, path, query in sent] == [
        ("GET", "/v2/orders", "open"), ("GET", "/v2/orders", "closed"), ("GET", "/v2/orders:by_client_order_id", None)]
    assert sent[1][2]["limit"] == str(4 * 6)  # the newest closed orders, a few per order to find
    fills = {u.order.client_order_id: u.fill.qty for u in received if u.event is OrderEvent.FILL and u.fill}
    assert fills == {f"poll-{symbol}": Decimal(1) for symbol in SYMBOLS}
