"""Trailing stops, flatten on halt and stale orders, end to end through the engine."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
from inmemory_broker import NOW, InMemoryBroker
from snapshots import snapshot

from framework.broker import BrokerCapabilities
from framework.config import Settings
from framework.enums import OrderSide, OrderStatus

PRICES = {"AAA": 100.0, "BBB": 50.0}
LONG = pd.Series({"AAA": 1.0, "BBB": 1.0})


def _settings(**sections) -> Settings:
    return Settings.model_validate({"signals": {"rebalance_every": 1}, **sections})


def test_trailing_stop_exits_after_a_pullback_from_the_high(broker, make_engine) -> None:
    engine = make_engine(broker, _settings(risk={"trailing_stop": 0.1, "daily_loss_limit": 0.5}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", {"AAA": 130.0, "BBB": 50.0}), LONG)
    broker.fill_open({"AAA": 130.0, "BBB": 50.0})
    report = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", {"AAA": 115.0, "BBB": 50.0}), LONG)
    exits = [d for d in report.decisions if d.reason.value == "trailing_stop"]
    assert [d.symbol for d in exits] == ["AAA"]  # 115 < 130 x 0.9, though still above cost
    assert any(o.symbol == "AAA" and o.side is OrderSide.SELL for o in report.orders)


def test_flatten_on_halt_closes_everything(broker, make_engine) -> None:
    engine = make_engine(broker, _settings(risk={"flatten_on_halt": True}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.halt("manual")
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    assert {o.symbol for o in report.orders} == {"AAA", "BBB"}
    assert all(o.side is OrderSide.SELL for o in report.orders)
    held = engine.portfolio.quantities()
    assert {o.symbol: float(o.qty) for o in report.orders} == held.to_dict()


def test_stale_unfilled_orders_are_canceled(broker, make_engine) -> None:
    clock = {"now": NOW}
    engine = make_engine(broker, _settings(orders={"cancel_stale_after_minutes": 60}))
    engine._clock = lambda: clock["now"]
    engine.orders._clock = engine._clock
    first = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    assert first.orders and all(o.is_open for o in engine.orders.open_orders())
    clock["now"] = NOW + timedelta(minutes=61)
    engine.orders.cancel_stale(clock["now"])
    assert engine.orders.open_orders() == []
    assert all(o.status is OrderStatus.CANCELED for o in broker.orders.values())


class NativeStopBroker(InMemoryBroker):
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(native_stop=True, native_trailing_stop=True)


def test_native_stops_rest_at_the_broker_and_never_count_as_holdings(make_engine) -> None:
    broker = NativeStopBroker()
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.1}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    stops = {o.symbol: o for o in report.orders if o.tag == "protective"}
    held = engine.portfolio.quantities()
    assert set(stops) == {"AAA", "BBB"}
    assert stops["AAA"].type.value == "stop" and stops["AAA"].stop_price == Decimal("90.00")
    assert all(float(o.qty) == held[s] and o.side is OrderSide.SELL for s, o in stops.items())
    # Next bar: nothing changed, so no new stop and no rebalance against the resting stops.
    quiet = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", PRICES), LONG)
    assert quiet.orders == []
    # BBB leaves the book (AAA is already at its 10% cap): BBB's stop is withdrawn with the exit,
    # so the stop can never sell what the rebalance already sold; AAA's stop stays.
    moved = engine.on_bar(pd.Timestamp("2020-01-07"), snapshot("2020-01-07", PRICES), pd.Series({"AAA": 1.0, "BBB": 0.0}))
    assert {o.symbol for o in moved.orders if o.tag == "exit"} == {"BBB"}
    assert broker.orders[stops["BBB"].client_order_id].status is OrderStatus.CANCELED
    assert broker.orders[stops["AAA"].client_order_id].status is OrderStatus.NEW


def test_trailing_stop_rests_as_a_stop_at_its_level_and_is_raised_with_the_high(make_engine) -> None:
    broker = NativeStopBroker()
    engine = make_engine(broker, _settings(risk={"trailing_stop": 0.08}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    [trail] = [o for o in report.orders if o.symbol == "AAA"]
    assert trail.type.value == "stop" and trail.stop_price == Decimal("92.00")
    higher = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", {"AAA": 110.0, "BBB": 50.0}), LONG)
    [raised] = [o for o in higher.orders if o.symbol == "AAA" and o.tag == "protective"]
    assert raised.stop_price == Decimal("101.20")  # 110 x 0.92
    assert broker.orders[trail.client_order_id].status is OrderStatus.CANCELED
    assert len([o for o in engine.orders.open_orders() if o.symbol == "AAA" and o.tag == "protective"]) == 1


def test_stop_loss_and_trailing_stop_together_arm_one_order_at_the_tighter_level(make_engine) -> None:
    """Defect 14.5: with native stops, stop_loss was silently dropped when trailing_stop was set."""
    broker = NativeStopBroker()
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.05, "trailing_stop": 0.10}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    stops = [o for o in report.orders if o.symbol == "AAA"]
    assert len(stops) == 1  # one protective order per position, never two
    assert stops[0].type.value == "stop" and stops[0].stop_price == Decimal("95.00")  # 5% under cost beats 10% trail
