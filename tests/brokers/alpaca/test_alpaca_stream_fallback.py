"""Order updates over alpaca-py's TradingStream; when it drops, polling; no fill lost or doubled."""

import time
import uuid
from decimal import Decimal

import pytest
from alpaca_fake_server import FakeAlpaca
from alpaca_fake_stream import FakeStream

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from framework.enums import OrderSide
from framework.orders import Order


def an_order(coid: str, qty: int = 10) -> Order:
    return Order(client_order_id=coid, symbol="AAPL", side=OrderSide.BUY, qty=Decimal(qty))


def trade_update(order: dict, event: str, qty: str | None = None, price: str | None = None):
    return {"event": event, "execution_id": str(uuid.uuid4()) if qty else None, "order": order,
            "timestamp": "2019-06-04T13:30:00Z", "price": price, "qty": qty}


@pytest.fixture
def setup():
    with FakeAlpaca() as rest, FakeStream() as ws:
        ends = Endpoints(rest.url, rest.url, ws.url, paper=True)
        broker = AlpacaBroker(Credentials("AKSTREAM0000000001", "STREAMSECRET000001"), ends,
                              timeout=10.0, poll_interval=0.05, stream=True)
        received = []
        broker.subscribe(received.append)
        broker.start()
        assert ws.listening.wait(60)
        try:
            yield rest, ws, broker, received
        finally:
            broker.close()


def pump(broker, received, until, seconds: float = 60.0) -> None:
    """Dispatch updates on this thread until ``until(received)`` or the deadline."""
    deadline = time.monotonic() + seconds
    while not until(received) and time.monotonic() < deadline:
        broker.dispatch(timeout=0.1)
    assert until(received), [(u.event.value, u.fill) for u in received]


def filled(received, coid: str) -> Decimal:
    return sum((u.fill.qty for u in received if u.fill and u.fill.client_order_id == coid),
               Decimal(0))


def test_dropped_stream_falls_back_to_polling_without_losing_or_doubling(setup):
    rest, ws, broker, received = setup
    broker.submit_order(an_order("ord-a"))
    broker.submit_order(an_order("ord-b", 3))
    a = rest.orders["ord-a"]

    a.update(status="partially_filled", filled_qty="4", filled_avg_price="100")
    ws.push(trade_update(a, "partial_fill", "4", "100"))
    pump(broker, received, lambda r: filled(r, "ord-a") == 4)
    assert broker.feed.stream_updates >= 1

    ws.drop()  # the stream goes away; the rest of the fill happens while it is down
    a.update(status="filled", filled_qty="10", filled_avg_price="102.4")
    pump(broker, received, lambda r: filled(r, "ord-a") == 10)
    assert broker.feed.polled_updates >= 1
    late = [u.fill for u in received if u.fill and u.fill.qty == 6]
    assert late and late[0].price == Decimal("104")  # (10×102.4 − 4×100) / 6

    ws.allow()  # reconnects; the server replays the fill; then a marker on another order
    assert ws.listening.wait(60)
    seen = broker.feed.stream_messages
    ws.push(trade_update(a, "fill", "6", "104"))
    pump(broker, received, lambda r: broker.feed.stream_messages > seen)
    broker.dispatch()
    assert filled(received, "ord-a") == 10  # the replayed fill was not counted again
