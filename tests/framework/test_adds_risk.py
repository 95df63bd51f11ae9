"""'Adds risk' has one definition (framework.risk.halted.order_adds_risk), whoever holds the books:
the engine with ours, an operator's halt with the broker's positions (issue 27, part 3)."""

from __future__ import annotations

from decimal import Decimal

from inmemory_broker import NOW, InMemoryBroker

from framework.enums import OrderSide, OrderType, TimeInForce
from framework.journal import Journal
from framework.live.actions import cancel_risk_adding
from framework.orders import PROTECTIVE_TAG, Order
from framework.risk.halted import order_adds_risk


def _order(cid: str, side: OrderSide, qty: int, *, stop: bool = False, tag: str = "rebalance") -> Order:
    return Order(cid, "AAA", side, OrderType.STOP if stop else OrderType.MARKET, qty=Decimal(qty),
                 time_in_force=TimeInForce.GTC if stop else TimeInForce.DAY,
                 stop_price=Decimal(90) if stop else None, created_at=NOW, tag=tag)


def test_growing_opening_or_flipping_adds_risk_shrinking_does_not() -> None:
    assert order_adds_risk(_order("a", OrderSide.BUY, 5), Decimal(0))
    assert order_adds_risk(_order("b", OrderSide.BUY, 5), Decimal(10))
    assert order_adds_risk(_order("c", OrderSide.SELL, 15), Decimal(10))  # to the other side
    assert not order_adds_risk(_order("d", OrderSide.SELL, 10), Decimal(10))
    assert not order_adds_risk(_order("e", OrderSide.BUY, 5), Decimal(-10))


def test_a_protective_stop_never_adds_risk_even_above_what_is_held() -> None:
    stop = _order("p", OrderSide.SELL, 10, stop=True, tag=PROTECTIVE_TAG)
    assert not order_adds_risk(stop, Decimal(4))  # the broker's position shrank below the stop's size


def test_an_operators_halt_keeps_protective_stops_and_cancels_what_adds_risk(tmp_path) -> None:
    # Surprise: the halt's own test of 'adds risk' (on the broker's positions) canceled a protective
    # stop larger than the position left, where the engine's (on our books) kept it.
    broker = InMemoryBroker()
    broker.positions["AAA"], broker.avg["AAA"] = Decimal(4), Decimal(100)
    ours = (_order("p", OrderSide.SELL, 10, stop=True, tag=PROTECTIVE_TAG), _order("buy", OrderSide.BUY, 5))
    journal = Journal(tmp_path / "j.sqlite")
    journal.record_intents("r", ours)  # ours: a halt cancels only orders with a journaled intent
    for order in ours:
        broker.submit_order(order)
    assert cancel_risk_adding(broker, journal) == 1
    journal.close()
    assert broker.orders["p"].is_open and not broker.orders["buy"].is_open
