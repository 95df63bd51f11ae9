"""Marketable limits re-priced through the order manager's cancel/replace (issue 29), against the
real sandbox through alpaca-py: the replacement is journaled as an intent under an id derived
from the order it replaces, the venue replaces the old order, a second call (a restart) replaces
nothing twice, and an order re-priced ``reprice_times`` times is canceled instead."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from market_once import embedded_sandbox

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from framework.config import load_settings
from framework.config.execution import OrdersConfig
from framework.enums import OrderSide, OrderStatus, OrderType
from framework.journal import Journal
from framework.order_manager import OrderManager
from framework.orders import Order
from framework.repricing import due, generation, replacement_id

KEY, SECRET = "AKREPRICE000000001", "REPRICESECRET00001"


@pytest.fixture
def venue(tmp_path):
    cfg = load_settings([], {}, validate_strategy=False)
    with embedded_sandbox(cfg, state=tmp_path / "sb.sqlite", port=0, start="2019-06-04") as server:
        ends = Endpoints(server.base_url, server.base_url, server.stream_url, paper=True)
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=5.0, stream=False)
        try:
            yield server, broker
        finally:
            broker.close()


def test_a_resting_marketable_limit_is_repriced_then_canceled(venue, tmp_path) -> None:
    _server, broker = venue
    journal = Journal(tmp_path / "j.sqlite")
    om = OrderManager(broker, journal, OrdersConfig(), "run", sleep=lambda _s: None)
    now = broker.get_clock().timestamp
    first = Order(client_order_id="mom-20190604-AAPL-rebalance-abc", symbol="AAPL", side=OrderSide.BUY,
                  type=OrderType.LIMIT, qty=Decimal(5), limit_price=Decimal("100.00"), created_at=now)
    sent = om.submit(first).order  # far under the market: it rests
    later = now + timedelta(minutes=10)
    plan = due([sent], later, after_minutes=5, times=1, collar_bps=10, latest={"AAPL": 180.0},
               round_price=lambda p: Decimal(str(round(p, 2))))
    assert [(r.limit_price, r.client_order_id) for r in plan] == [
        (Decimal("180.18"), replacement_id(sent.client_order_id))]

    new = om.reprice(sent, plan[0].limit_price, plan[0].client_order_id)  # type: ignore[arg-type]
    assert new.client_order_id == plan[0].client_order_id and generation(new.client_order_id) == 1
    assert new.broker_order_id and new.limit_price == Decimal("180.18") and new.is_open
    assert broker.get_order(sent.broker_order_id).status is OrderStatus.REPLACED  # type: ignore[arg-type]
    intents = journal.table("intents")
    assert plan[0].client_order_id in set(intents["client_order_id"])  # journaled before the replace
    events = journal.table("order_events")
    assert "repriced" in set(events[events["client_order_id"] == sent.client_order_id]["event"])

    again = om.reprice(sent, plan[0].limit_price, plan[0].client_order_id)  # type: ignore[arg-type]
    assert again.client_order_id == new.client_order_id
    assert len(broker.get_orders("all")) == 2  # the original and one replacement, not two

    last = due([new.evolve(created_at=later)], later + timedelta(minutes=10), after_minutes=5, times=1,
               collar_bps=10, latest={"AAPL": 181.0}, round_price=lambda p: Decimal(str(round(p, 2))))
    assert [r.limit_price for r in last] == [None]  # re-priced once already: canceled next
    journal.close()


def test_ids_of_successive_replacements_are_derived_and_bounded() -> None:
    cid = "momentum-20190604-AAPL-rebalanc-0123456789ab"
    one = replacement_id(cid)
    two = replacement_id(one)
    assert generation(one) == 1 and generation(two) == 2
    assert len(one) <= 48 and len(two) <= 48 and one[:31] == two[:31] == cid[:31]
    assert replacement_id(cid) == one  # deterministic: a restart derives the same id


def test_the_engine_reprices_at_the_venues_latest_trade_then_cancels(venue, tmp_path) -> None:
    """The paper path (PaperRunner.reprice → ExecutionEngine.reprice_marketable): the latest
    trade from the data API (the sandbox's /v2/stocks/trades/latest), the delay on the venue's
    clock, one re-pricing, then a cancel journaled as such; nothing without the setting."""
    from brokers.alpaca.connect import request_policy
    from brokers.alpaca.feeds import AlpacaBars, make_data_client
    from framework.engine import ExecutionEngine

    server, broker = venue
    orders = {"style": "marketable_limit", "reprice_after_minutes": 5, "reprice_times": 1, "collar_bps": 10}
    cfg = load_settings([], {"orders": orders}, validate_strategy=False)
    journal = Journal(tmp_path / "engine.sqlite")
    clock = lambda: broker.get_clock().timestamp  # noqa: E731
    engine = ExecutionEngine(settings=cfg, broker=broker, journal=journal, sectors={}, strategy_name="t",
                             run_id="r", clock=clock, sleep=lambda _s: None, initial_cash=100_000)
    now = clock()
    resting = engine.orders.submit(Order(
        client_order_id="t-20190604-AAPL-rebalance-0123456789", symbol="AAPL", side=OrderSide.BUY,
        type=OrderType.LIMIT, qty=Decimal(3), limit_price=Decimal("100.00"), created_at=now)).order
    ends = Endpoints(server.base_url, server.base_url, server.stream_url, paper=True)
    bars = AlpacaBars(make_data_client(Credentials(KEY, SECRET), ends, request_policy(cfg)))
    assert engine.repricing_symbols() == ["AAPL"]
    latest = bars.latest_trades(engine.repricing_symbols())
    assert set(latest) == {"AAPL"} and latest["AAPL"] > 100

    assert engine.reprice_marketable(now + timedelta(minutes=4), latest) == []  # not yet due
    (moved,) = engine.reprice_marketable(now + timedelta(minutes=6), latest)
    expected = engine.venue.round_price(Decimal(str(round(latest["AAPL"] * 1.001, 8))))
    assert moved.limit_price == expected and moved.client_order_id == replacement_id(resting.client_order_id)
    (gone,) = engine.reprice_marketable(moved.created_at + timedelta(minutes=6), latest)
    assert gone.client_order_id == moved.client_order_id
    assert broker.get_order(moved.broker_order_id).status is OrderStatus.CANCELED  # type: ignore[arg-type]
    events = journal.table("order_events")
    assert "reprice_cancel" in set(events[events["client_order_id"] == moved.client_order_id]["event"])

    plain = ExecutionEngine(settings=load_settings([], {}, validate_strategy=False), broker=broker,
                            journal=Journal(tmp_path / "plain.sqlite"), sectors={}, strategy_name="t", run_id="p",
                            clock=clock, sleep=lambda _s: None)
    assert not plain.reprices and plain.reprice_marketable(now + timedelta(hours=1), latest) == []
    journal.close()
