"""Issue 14's defects in the execution core, one regression test each, named after the defect.

Each drives the engine the way a run does (bars in, broker updates back) on the in-memory broker;
each failed on the code before the fix.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from inmemory_broker import NOW, InMemoryBroker
from snapshots import snapshot

from framework.broker import BrokerCapabilities, OrderUpdate
from framework.config import Settings
from framework.data import session_time
from framework.enums import OrderSide, OrderStatus
from framework.orders import Order

PRICES = {"AAA": 100.0, "BBB": 50.0}
LONG = pd.Series({"AAA": 1.0, "BBB": 1.0})


class NativeStopBroker(InMemoryBroker):
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(native_stop=True, native_trailing_stop=True)


def _settings(**sections) -> Settings:
    return Settings.model_validate({"signals": {"rebalance_every": 1}, **sections})


def _protective(broker: InMemoryBroker) -> list[Order]:
    return [o for o in broker.orders.values() if o.tag == "protective" and o.is_open]


def test_defect01_halt_holds_across_restart_risk_adding_intents_are_withdrawn(tmp_path, make_engine) -> None:
    broker = InMemoryBroker()
    path = tmp_path / "journal.sqlite"
    engine = make_engine(broker, path=path)
    buy = Order(client_order_id="test-20200102-AAA-rebalance-x", symbol="AAA", side=OrderSide.BUY, qty=Decimal(500),
                created_at=NOW)
    engine.journal.record_intent("run1", buy)  # journaled; the process dies before the send
    engine.halt("manual")  # `trade halt` while it is down
    engine.journal.close()
    restarted = make_engine(broker, path=path)
    restarted.start()
    assert broker.submit_calls == []  # "sent while halted: buy 500" no more
    assert restarted.journal.order(buy.client_order_id).status is OrderStatus.CANCELED
    events = restarted.journal.table("order_events")
    assert "withdrawn" in set(events[events["client_order_id"] == buy.client_order_id]["event"])


def test_defect03_a_halt_keeps_the_protective_stops(make_engine) -> None:
    broker = NativeStopBroker()
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.1, "daily_loss_limit": 0.03, "max_position_weight": 0.5,
                                                 "max_sector_exposure": 1.0}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    armed = {o.client_order_id for o in _protective(broker)}
    assert {broker.orders[c].symbol for c in armed} == {"AAA", "BBB"}
    crashed = {"AAA": 93.0, "BBB": 46.0}  # a daily-loss halt, no stop crossed yet
    report = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", crashed), LONG)
    assert report.halt_reason == "daily_loss_limit"
    # The halt cancels what adds risk and leaves the stops resting: a venue confirms a cancel
    # later than this bar's refresh, so a canceled stop would leave the next session unguarded.
    assert {o.client_order_id for o in _protective(broker)} == armed


def test_defect04_the_stale_order_sweep_spares_protective_stops(make_engine) -> None:
    broker = NativeStopBroker()
    clock = {"now": NOW}
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.1}, orders={"cancel_stale_after_minutes": 60}))
    engine._clock = lambda: clock["now"]
    engine.orders._clock = engine._clock
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    stops = _protective(broker)
    assert stops
    clock["now"] = NOW + timedelta(days=2)  # the stops are two days old: the sweep runs at this bar's end
    engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", PRICES), LONG)
    assert {o.client_order_id for o in _protective(broker)} == {o.client_order_id for o in stops}


def test_defect06_a_day_breaching_both_guards_halts_until_resumed(make_engine) -> None:
    broker = InMemoryBroker()
    engine = make_engine(broker, _settings(risk={"daily_loss_limit": 0.03, "max_drawdown": 0.05,
                                                 "max_position_weight": 0.5, "max_sector_exposure": 1.0}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    down = {"AAA": 88.0, "BBB": 44.0}  # -12% on the positions: past both limits in one day
    first = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", down), LONG)
    assert first.halt_reason == "max_drawdown"
    later = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", down), LONG)
    assert later.halted and engine.journal.halt_state().scope == "persistent"
    assert not any(o.side is OrderSide.BUY for o in later.orders)


def test_defect07_a_daily_loss_halt_lasts_one_session_whatever_the_clock(make_engine) -> None:
    """In paper the decision for session D runs the next morning: the halt must still cover
    exactly one session, as in the backtest (both sides compared in session terms)."""
    broker = InMemoryBroker()
    engine = make_engine(broker, _settings(risk={"daily_loss_limit": 0.03, "max_drawdown": 0.5,
                                                 "max_position_weight": 0.5, "max_sector_exposure": 1.0}))
    morning_after = {"t": NOW}
    engine._clock = lambda: morning_after["t"]
    engine.orders._clock = engine._clock

    def bar(day: str, prices: dict[str, float]):
        morning_after["t"] = session_time(pd.Timestamp(day)) + timedelta(days=1, hours=8, minutes=30)
        return engine.on_bar(pd.Timestamp(day), snapshot(day, prices), LONG)

    bar("2020-01-03", PRICES)
    broker.fill_open(PRICES)
    assert bar("2020-01-06", {"AAA": 93.0, "BBB": 46.5}).halt_reason == "daily_loss_limit"
    assert not bar("2020-01-07", {"AAA": 93.0, "BBB": 46.5}).halted  # the next session trades again


def test_defect08_a_symbol_without_a_bar_is_held_and_nothing_crashes(make_engine) -> None:
    broker = InMemoryBroker()
    engine = make_engine(broker, _settings(risk={"max_gross_exposure": 0.5, "max_position_weight": 1.0,
                                                 "max_sector_exposure": 4.0}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    held = engine.portfolio.quantities()["AAA"]
    gap = {"AAA": np.nan, "BBB": 50.0, "CCC": 20.0}  # AAA has no bar today
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", gap),
                           pd.Series({"AAA": 1.0, "BBB": 1.0, "CCC": 1.0}))
    assert not any(o.symbol == "AAA" for o in report.orders)
    assert all(o.decision_price is not None and o.decision_price.is_finite() for o in report.orders)
    assert engine.portfolio.quantities()["AAA"] == held


def test_defect09_a_missing_signal_holds_the_position(make_engine) -> None:
    broker = InMemoryBroker()
    engine = make_engine(broker)
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES),
                           pd.Series({"AAA": np.nan, "BBB": 1.0}))
    assert not any(o.symbol == "AAA" for o in report.orders)  # no view: hold, not "sell 369"
    explicit = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", PRICES),
                             pd.Series({"AAA": 0.0, "BBB": 1.0}))
    assert [(o.symbol, o.side) for o in explicit.orders] == [("AAA", OrderSide.SELL)]  # 0 exits


def test_defect10_positions_at_a_cap_get_no_sliver_trims(make_engine) -> None:
    broker = InMemoryBroker()
    engine = make_engine(broker, _settings(risk={"max_position_weight": 0.1}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    slivers = 0
    for i, day in enumerate(pd.bdate_range("2020-01-03", periods=8)):
        drift = {"AAA": 100.0 * (1.002 ** (i + 1)), "BBB": 50.0}  # AAA creeps over its cap
        report = engine.on_bar(day, snapshot(str(day.date()), drift), LONG)
        broker.fill_open(drift)
        slivers += sum(1 for o in report.orders if o.symbol == "AAA" and o.qty <= 2)
    assert slivers == 0


def test_defect16_cancel_reaches_an_order_the_broker_has_not_acknowledged(make_engine) -> None:
    broker = InMemoryBroker()
    engine = make_engine(broker)
    order = Order(client_order_id="test-unacked", symbol="AAA", side=OrderSide.BUY, qty=Decimal(5), created_at=NOW)
    broker.submit_order(order)  # it landed; our process never heard the answer
    engine.orders.journal.record_intent("run1", order)
    engine.orders.orders[order.client_order_id] = order
    engine.orders._open[order.client_order_id] = order
    engine.halt("manual")  # a halt must be able to cancel it
    assert broker.orders[order.client_order_id].status is OrderStatus.CANCELED


def test_defect16_stops_below_a_dollar_keep_four_decimals(make_engine) -> None:
    broker = NativeStopBroker()
    cheap = {"AAA": 0.8765, "BBB": 50.0}
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.1, "min_price": 0.0}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", cheap), LONG)
    broker.fill_open(cheap)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", cheap), LONG)
    [stop] = [o for o in _protective(broker) if o.symbol == "AAA"]
    assert stop.stop_price == Decimal("0.7889")  # 0.8765 x 0.9 = 0.78885, not 0.79


def test_defect16_protection_armed_on_a_position_adopted_from_the_broker_is_reported(make_engine) -> None:
    broker = NativeStopBroker()
    broker.positions["AAA"], broker.avg["AAA"] = Decimal(50), Decimal(100)  # bought outside the journal
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.1}))
    diffs = engine.start()
    assert [d.symbol for d in diffs] == ["AAA"]
    report = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), pd.Series({"AAA": np.nan}))
    assert any(o.symbol == "AAA" and o.tag == "protective" for o in report.orders)
    assert any("adopted" in note and "AAA" in note for note in report.notes)


def test_an_acknowledgement_that_knows_nothing_of_our_order_keeps_its_definition(make_engine) -> None:
    """Found by the paper property test: Alpaca's view of an order has no tag and no decision price;
    adopting it whole made a resting stop look like a pending sale, and a second stop was armed."""
    broker = InMemoryBroker()
    engine = make_engine(broker)
    stop = Order(client_order_id="test-stop", symbol="AAA", side=OrderSide.SELL, type="stop", qty=Decimal(10),
                 stop_price=Decimal(90), time_in_force="gtc", created_at=NOW, decision_price=Decimal(100),
                 tag="protective")
    engine.orders.submit(stop)
    venue_view = Order(client_order_id="test-stop", symbol="AAA", side=OrderSide.SELL, type="stop",
                       qty=Decimal(10), stop_price=Decimal(90), time_in_force="gtc", status="new",
                       broker_order_id=broker.orders["test-stop"].broker_order_id, created_at=NOW + timedelta(hours=1),
                       updated_at=NOW + timedelta(hours=1))
    engine.orders.on_update(OrderUpdate("new", venue_view, NOW + timedelta(hours=1)))
    mine = engine.orders.orders["test-stop"]
    assert mine.tag == "protective" and mine.decision_price == Decimal(100)
    assert engine.stops.standing() == {"AAA": [mine]}
