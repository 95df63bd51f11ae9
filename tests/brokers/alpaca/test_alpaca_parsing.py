from decimal import Decimal

import pytest
from alpaca.trading import models as am
from alpaca_payloads import ORDER_ID, order_json, position_json

from brokers.alpaca import parsing
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.orders import Order


def test_order_from_alpaca_keeps_ids_quantities_and_status():
    raw = order_json(filled_qty="4", filled_avg_price="101.25", status="partially_filled")
    order = parsing.order_from_alpaca(am.Order(**raw))

    assert order.broker_order_id == ORDER_ID
    assert order.client_order_id == "mom-20200110-AAPL-0-abc"
    assert (order.side, order.type, order.time_in_force) == (OrderSide.BUY, OrderType.MARKET,
                                                              TimeInForce.DAY)
    assert order.qty == Decimal("10") and order.filled_qty == Decimal("4")
    assert order.filled_avg_price == Decimal("101.25")
    assert order.status is OrderStatus.PARTIALLY_FILLED


def test_limit_and_trailing_orders_parse_their_prices():
    limit = parsing.order_from_alpaca(am.Order(**order_json(type="limit", order_type="limit",
                                                            limit_price="99.5")))
    trail = parsing.order_from_alpaca(am.Order(**order_json(
        type="trailing_stop", order_type="trailing_stop", trail_percent="2.5", side="sell")))

    assert limit.limit_price == Decimal("99.5")
    assert trail.trail_percent == Decimal("2.5") and trail.side is OrderSide.SELL


@pytest.mark.parametrize("order", [
    Order(client_order_id="c1", symbol="AAPL", side=OrderSide.BUY, qty=Decimal(3)),
    Order(client_order_id="c2", symbol="MSFT", side=OrderSide.SELL, type=OrderType.LIMIT,
          qty=Decimal(2), limit_price=Decimal("10.5"), time_in_force=TimeInForce.GTC),
    Order(client_order_id="c3", symbol="MSFT", side=OrderSide.SELL, type=OrderType.STOP,
          qty=Decimal(2), stop_price=Decimal("9")),
    Order(client_order_id="c4", symbol="MSFT", side=OrderSide.SELL, type=OrderType.STOP_LIMIT,
          qty=Decimal(2), stop_price=Decimal("9"), limit_price=Decimal("8.9")),
    Order(client_order_id="c5", symbol="MSFT", side=OrderSide.SELL, type=OrderType.TRAILING_STOP,
          qty=Decimal(2), trail_percent=Decimal("3")),
])
def test_order_request_carries_client_id_type_and_prices(order):
    body = parsing.order_request(order).to_request_fields()

    assert body["client_order_id"] == order.client_order_id
    assert body["type"] == order.type.value and body["side"] == order.side.value
    assert body["qty"] == float(order.qty)
    for name in ("limit_price", "stop_price", "trail_percent"):
        expected = getattr(order, name)
        assert body.get(name) == (None if expected is None else float(expected))


def test_short_position_has_negative_quantity():
    long = parsing.position_from_alpaca(am.Position(**position_json()))
    short = parsing.position_from_alpaca(am.Position(**position_json(side="short", qty="5")))

    assert long.qty == Decimal(7) and long.market_price == Decimal(102)
    assert short.qty == Decimal(-5)


def test_fill_update_carries_execution_id_and_price():
    raw = am.TradeUpdate(event="fill", execution_id="0f9b1a5e-0000-4000-8000-000000000001",
                         order=am.Order(**order_json(status="filled", filled_qty="10",
                                                     filled_avg_price="100")),
                         timestamp="2020-01-13T14:30:00Z", price=100.0, qty=10.0, position_qty=10)
    update = parsing.update_from_alpaca(raw)

    assert update is not None and update.event is OrderEvent.FILL
    assert update.fill is not None
    assert update.fill.execution_id == "0f9b1a5e-0000-4000-8000-000000000001"
    assert (update.fill.qty, update.fill.price) == (Decimal(10), Decimal(100))


def test_unknown_event_is_skipped_not_fatal():
    raw = am.TradeUpdate(event="restated", order=am.Order(**order_json()),
                         timestamp="2020-01-13T14:30:00Z")
    assert parsing.update_from_alpaca(raw) is None
