from datetime import UTC, datetime
from decimal import Decimal

from brokers.alpaca.tracking import FillTracker
from framework.enums import OrderEvent, OrderSide, OrderStatus
from framework.fills import Fill
from framework.orders import Order

T = datetime(2020, 1, 13, 14, 30, tzinfo=UTC)


def view(filled: str, avg: str | None, status: OrderStatus) -> Order:
    return Order(client_order_id="c1", symbol="AAPL", side=OrderSide.BUY, qty=Decimal(10),
                 status=status, broker_order_id="b1", filled_qty=Decimal(filled),
                 filled_avg_price=None if avg is None else Decimal(avg))


def test_stream_fill_then_poll_of_same_fill_counts_once():
    tracker = FillTracker()
    tracker.track("c1")
    reported = Fill("exec-1", "c1", "AAPL", OrderSide.BUY, Decimal(10), Decimal(100), T)

    first = tracker.observe(view("10", "100", OrderStatus.FILLED), T, OrderEvent.FILL, reported)
    again = tracker.observe(view("10", "100", OrderStatus.FILLED), T)

    assert first is not None and first.fill == reported
    assert again is None


def test_polled_partial_fills_give_delta_quantity_and_price():
    tracker = FillTracker()
    tracker.track("c1")
    a = tracker.observe(view("4", "100", OrderStatus.PARTIALLY_FILLED), T)
    b = tracker.observe(view("10", "103", OrderStatus.FILLED), T)

    assert a is not None and a.fill is not None and a.fill.qty == Decimal(4)
    assert b is not None and b.fill is not None and b.fill.qty == Decimal(6)
    assert b.fill.price == Decimal(105)  # (10×103 − 4×100) / 6
    assert a.fill.execution_id != b.fill.execution_id
    assert b.event is OrderEvent.FILL


def test_seeded_from_journal_fills_delivers_only_the_rest():
    tracker = FillTracker()
    tracker.seed([view("0", None, OrderStatus.NEW)],
                 [Fill("exec-1", "c1", "AAPL", OrderSide.BUY, Decimal(4), Decimal(100), T)])
    update = tracker.observe(view("10", "103", OrderStatus.FILLED), T)

    assert update is not None and update.fill is not None and update.fill.qty == Decimal(6)


def test_status_only_change_has_no_fill():
    tracker = FillTracker()
    tracker.track("c1")
    update = tracker.observe(view("0", None, OrderStatus.CANCELED), T, OrderEvent.CANCELED)
    assert update is not None and update.fill is None and update.event is OrderEvent.CANCELED


def test_order_known_filled_but_fills_missing_is_polled_again():
    tracker = FillTracker()
    tracker.seed([view("10", "100", OrderStatus.FILLED)], [])

    assert tracker.open_ids() == {"c1"}
    update = tracker.observe(view("10", "100", OrderStatus.FILLED), T)
    assert update is not None and update.fill is not None and update.fill.qty == Decimal(10)
