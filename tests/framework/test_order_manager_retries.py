"""The order manager never sends two orders with one client id, whatever the broker throws."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inmemory_broker import FAULTS, InMemoryBroker

from framework.config import OrdersConfig
from framework.enums import OrderSide, OrderStatus
from framework.errors import TransientBrokerError
from framework.journal import Journal
from framework.order_manager import OrderManager
from framework.orders import Order, make_client_order_id

T = datetime(2020, 1, 2, tzinfo=UTC)


def order(symbol: str, seq: int) -> Order:
    return Order(
        client_order_id=make_client_order_id("s", "r", T, symbol, f"p{seq}"),
        symbol=symbol,
        side=OrderSide.BUY,
        qty=Decimal(10),
        created_at=T,
    )


@settings(max_examples=200, deadline=None)
@given(
    faults=st.lists(st.sampled_from(sorted(FAULTS)), max_size=8),
    lookup_faults=st.lists(st.sampled_from(["429", "503", "timeout_before"]), max_size=3),
    n_orders=st.integers(1, 4),
)
def test_no_client_id_is_ever_submitted_twice(faults, lookup_faults, n_orders) -> None:
    """The journal in memory (real SQLite, the same statements): a file and a folder for each of
    200 examples were most of the test's time, and its durability is not the point here."""
    broker = InMemoryBroker()
    broker.faults.extend(faults)
    broker.lookup_faults.extend(lookup_faults)
    journal = Journal(":memory:")
    slept: list[float] = []
    om = OrderManager(broker, journal, OrdersConfig(max_retries=10), "r", sleep=slept.append)
    for i in range(n_orders):
        try:
            om.submit(order(f"S{i}", i))
        except TransientBrokerError:
            pass  # retries exhausted: the intent stays journaled for the next start
    counts = Counter(broker.submit_calls)
    assert all(c == 1 for c in counts.values()), counts
    # Every order the broker holds is known to us with its broker id.
    for cid, held in broker.orders.items():
        assert om.orders[cid].broker_order_id in (held.broker_order_id, None)
    assert all(s >= 0 for s in slept)
    journal.close()


def test_lost_answer_is_resolved_by_lookup_not_resubmission(tmp_path) -> None:
    broker = InMemoryBroker()
    broker.faults.append("lost_answer")
    om = OrderManager(broker, Journal(tmp_path / "j.sqlite"), OrdersConfig(), "r", sleep=lambda s: None)
    result = om.submit(order("AAA", 0))
    assert result.looked_up and result.order.status is OrderStatus.NEW
    assert broker.submit_calls == [result.order.client_order_id]


def test_retry_waits_with_backoff_and_respects_retry_budget(tmp_path) -> None:
    broker = InMemoryBroker()
    broker.faults.extend(["503"] * 3)
    slept: list[float] = []
    om = OrderManager(
        broker,
        Journal(tmp_path / "j.sqlite"),
        OrdersConfig(max_retries=2, backoff_initial_seconds=1.0),
        "r",
        sleep=slept.append,
    )
    with pytest.raises(TransientBrokerError):
        om.submit(order("AAA", 0))
    assert broker.submit_calls == []
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0
    # The intent is journaled and still CREATED: a restart resolves it exactly once.
    restarted = OrderManager(broker, om.journal, OrdersConfig(), "r", sleep=slept.append)
    [resolved] = restarted.resolve_pending()
    assert resolved.status is OrderStatus.NEW and len(broker.submit_calls) == 1


def test_every_intent_of_a_decision_is_durable_before_the_first_send(tmp_path) -> None:
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    seen_at_first_send: list[int] = []

    class Watching(InMemoryBroker):
        def submit_order(self, o: Order) -> Order:
            if not seen_at_first_send:  # what a process opening the journal now would find
                with sqlite3.connect(path) as other:
                    seen_at_first_send.append(other.execute("SELECT COUNT(*) FROM intents").fetchone()[0])
            return super().submit_order(o)

    manager = OrderManager(Watching(), journal, OrdersConfig(), "r", sleep=lambda _s: None)
    batch = [order(s, i) for i, s in enumerate(["AAA", "BBB", "CCC"])]
    with journal.batch():  # as the engine sends them: inside the bar's transaction
        results = manager.submit_many(batch)
    assert seen_at_first_send == [3]
    assert [r.order.status for r in results] == [OrderStatus.NEW] * 3
    again = manager.submit_many(batch)  # the same decision again: its journaled state, nothing sent
    assert [(r.order.status, r.attempts, r.looked_up) for r in again] == [(OrderStatus.NEW, 0, False)] * 3
