"""The journal's write path: queued inside a transaction, durable intents, exact restores."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_order_model import valid_orders

import framework.journal.connection as journal_connection
from framework.enums import OrderSide, OrderStatus
from framework.fills import Fill
from framework.journal import Journal
from framework.orders import Order

T = datetime(2020, 1, 2, 21, 0, tzinfo=UTC)


def _order(cid: str, symbol: str = "AAA") -> Order:
    return Order(client_order_id=cid, symbol=symbol, side=OrderSide.BUY, qty=Decimal(10), created_at=T)


def _count(path, table: str) -> int:
    """Rows another process would see (committed only)."""
    with sqlite3.connect(path) as other:
        return other.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_reads_inside_a_transaction_see_queued_writes(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    with journal.batch():
        journal.record_order("r", _order("a"))
        journal.record_event("a", "ack", "new", T)
        journal.record_fill(Fill("e1", "a", "AAA", OrderSide.BUY, Decimal(10), Decimal("10.5"), T))
        assert [o.client_order_id for o in journal.orders()] == ["a"]
        assert [f.execution_id for f in journal.fills()] == ["e1"]
        assert len(journal.table("order_events")) == 1


def test_intents_are_durable_before_the_transaction_ends(tmp_path) -> None:
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    with journal.batch():
        journal.record_signals("r", T, ("AAA", "BBB"), np.array([0.5, np.nan]))
        journal.record_intents("r", [_order("a"), _order("b", "BBB")])
        assert _count(path, "intents") == 2 and _count(path, "orders") == 2  # before any send
        journal.record_event("a", "ack", "new", T)
        assert _count(path, "order_events") == 0  # the rest commits with the transaction
    assert _count(path, "order_events") == 1 and _count(path, "signals") == 1


def test_a_failure_inside_a_transaction_keeps_what_was_journaled(tmp_path) -> None:
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    with pytest.raises(RuntimeError), journal.batch():
        journal.record_event("a", "ack", "new", T)
        raise RuntimeError("crash mid-bar")
    assert _count(path, "order_events") == 1


def test_a_non_durable_journal_reaches_its_file_whole_when_closed(tmp_path) -> None:
    path = tmp_path / "run" / "j.sqlite"
    journal = Journal(path, durable=False)
    with journal.batch():
        journal.record_intents("r", [_order("a")])
        journal.record_event("a", "ack", "new", T)
    assert not path.exists()  # a backtest's journal is published when the run is done
    journal.close()
    journal.close()  # idempotent: written once
    again = Journal(path)
    assert [o.client_order_id for o in again.orders()] == ["a"] and len(again.table("order_events")) == 1


def test_a_non_durable_journal_continues_from_its_file(tmp_path) -> None:
    path = tmp_path / "j.sqlite"
    first = Journal(path)
    first.record_intents("r", [_order("a")])
    first.close()
    journal = Journal(path, durable=False)
    assert [o.client_order_id for o in journal.orders()] == ["a"]
    journal.record_intents("r", [_order("b", "BBB")])
    assert _count(path, "orders") == 1  # the file keeps the last closed state meanwhile
    journal.close()
    assert _count(path, "orders") == 2


@settings(max_examples=150, deadline=None)
@given(valid_orders())
def test_definition_plus_state_restores_the_latest_order(order: Order) -> None:
    journal = Journal(":memory:")  # a fresh journal per example
    first = order.restored(
        status=OrderStatus.CREATED,
        filled_qty=Decimal(0),
        filled_avg_price=None,
        broker_order_id=None,
        arrival_price=None,
        updated_at=None,
    )
    with journal.batch():
        journal.record_intent("r", first)
        journal.record_order("r", order)  # a later state of the same order
    assert journal.order(order.client_order_id) == order
    journal.close()


def test_a_long_transaction_never_queues_more_than_the_cap(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(journal_connection, "MAX_QUEUED_ROWS", 50)
    journal = Journal(tmp_path / "j.sqlite")
    with journal.batch():
        for i in range(30):
            journal.record_signals("r", T, ("AAA", "BBB", "CCC"), np.array([0.1, 0.2, float(i)]))
            assert journal._queued_rows < 50
    assert len(journal.table("signals")) == 90


def test_an_in_memory_journal_reads_the_halt_once_and_sees_its_own_changes(tmp_path) -> None:
    journal = Journal(tmp_path / "bt.sqlite", durable=False)
    assert not journal.halt_state().halted
    with journal.batch():
        journal.set_halt(True, "max drawdown", T)
        assert journal.halt_state().halted and journal.halt_state().reason == "max drawdown"
        journal.set_halt(False, "resumed", T)
        assert not journal.halt_state().halted
    journal.close()


def test_a_shared_journal_sees_a_halt_another_process_wrote(tmp_path) -> None:
    path = tmp_path / "paper.sqlite"
    journal = Journal(path)
    assert not journal.halt_state().halted
    other = Journal(path)  # `trade halt` from another process
    other.set_halt(True, "halted by hand", T)
    other.close()
    assert journal.halt_state().reason == "halted by hand"
    journal.close()


def test_a_shared_journal_reads_the_halt_again_only_after_another_connection_wrote(tmp_path) -> None:
    """The halt is read at every decision: while no other connection commits, the journal answers
    from memory (SQLite's data_version unchanged); a halt by another process is seen at once."""
    path = tmp_path / "paper.sqlite"
    journal = Journal(path)
    reads: list[str] = []
    journal._db.set_trace_callback(lambda sql: reads.append(sql) if "FROM halt" in sql else None)
    with journal.batch():  # a decision's batch: the flag is read inside it
        assert not journal.halt_state().halted
        assert not journal.halt_state().halted
    assert len(reads) == 1
    other = Journal(path)  # `trade halt` from another process, between two decisions
    other.set_halt(True, "halted by hand", T)
    other.close()
    with journal.batch():
        assert journal.halt_state().reason == "halted by hand"
        assert journal.halt_state().halted
    assert len(reads) == 2
    journal.set_halt(False, "resumed", T)  # its own write: read back, never stale
    assert not journal.halt_state().halted
    journal.close()


def test_a_private_journal_queues_its_intents_with_the_bar_and_commits_once(tmp_path) -> None:
    """A backtest's journal has no durability to give before a send: its intents are queued with the
    bar's other rows (no statement, no commit per decision), and every read still sees them."""
    journal = Journal(tmp_path / "bt.sqlite", durable=False)
    statements: list[str] = []
    journal._db.set_trace_callback(statements.append)
    with journal.batch():
        journal.record_intents("r", [_order("a"), _order("b", "BBB")])
        journal.record_order("r", _order("a").transition(OrderStatus.NEW, updated_at=T))
        assert statements == ["BEGIN"]
        assert [(o.client_order_id, o.status) for o in journal.orders()] == [
            ("a", OrderStatus.NEW), ("b", OrderStatus.CREATED)]
        assert sorted(journal.intent_sessions()) == ["a", "b"]
    assert sum(s == "COMMIT" for s in statements) == 1
    journal.close()


def test_a_queued_order_row_gets_its_latest_state_once(tmp_path, monkeypatch) -> None:
    """Acknowledged then filled before the queue is written (a backtest's decision): the order's
    row is completed with its last state once, as the queue is written, not once per update."""
    import framework.journal.orders as journal_orders

    merged: list[str] = []
    with_state = journal_orders._with_state
    monkeypatch.setattr(journal_orders, "_with_state", lambda row, o: merged.append(o.status.value) or with_state(row, o))
    journal = Journal(tmp_path / "bt.sqlite", durable=False)
    acked = _order("a").transition(OrderStatus.NEW, broker_order_id="b1", updated_at=T)
    with journal.batch():
        journal.record_intents("r", [_order("a")])
        journal.record_order("r", acked)
        journal.record_order("r", acked.transition(OrderStatus.FILLED, filled_qty=Decimal(10),
                                                   filled_avg_price=Decimal("1.5"), updated_at=T))
    assert merged == ["filled"]
    (only,) = journal.orders()
    assert (only.status, only.broker_order_id, only.filled_qty) == (OrderStatus.FILLED, "b1", Decimal(10))
    journal.close()


@pytest.mark.parametrize("durable", [True, False])
@pytest.mark.parametrize("read_between", [False, True])
def test_an_intent_of_a_journaled_order_never_moves_its_state(tmp_path, durable, read_between) -> None:
    """Defect: intending an acknowledged order again put its row back to ``created`` without its
    broker id when the queue had been written in between (a read), and left it ``new`` when not:
    the journal's truth hung on the moment of a flush. An intent of a journaled order is now no
    write at all; its state moves by ``record_order`` only."""
    journal = Journal(tmp_path / "j.sqlite", durable=durable)
    try:
        with journal.batch():
            journal.record_intents("r", [_order("a")])
            journal.record_order("r", _order("a").transition(OrderStatus.NEW, broker_order_id="b1", updated_at=T))
            if read_between:
                journal.orders()  # a read writes the queue first
            journal.record_intents("r", [_order("a")])  # the same id intended again
        (only,) = journal.orders()
        assert (only.status, only.broker_order_id) == (OrderStatus.NEW, "b1")
        assert list(journal.intent_sessions()) == ["a"]
    finally:
        journal.close()


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["intent", "state", "read"]), st.integers(0, 3),
                          st.sampled_from([OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED])),
                max_size=30))
@example([("intent", 0, OrderStatus.NEW), ("read", 0, OrderStatus.NEW), ("state", 0, OrderStatus.NEW),
          ("intent", 0, OrderStatus.NEW), ("state", 0, OrderStatus.FILLED)])  # a state queued before the row
@example([("intent", 0, OrderStatus.NEW), ("read", 0, OrderStatus.NEW), ("state", 0, OrderStatus.NEW),
          ("intent", 0, OrderStatus.NEW)])  # an intent journaled again after a queued state
def test_a_state_written_into_its_queued_order_row_gives_the_same_table_as_an_update(script) -> None:
    """A later state of an order whose row is still queued is written into that row (issue 31):
    the orders table ends as it does when each state is queued as an UPDATE after the row,
    whatever the interleaving with reads (which write the queue) and intents journaled again."""
    def play(merge: bool) -> pd.DataFrame:
        journal = Journal(":memory:")
        if not merge:
            journal._slots = dict  # no queued row is known: every state goes as an UPDATE
        with journal.batch():
            known: set[str] = set()
            for step, k, status in script:
                order = _order(f"c{k}", ("AAA", "BBB", "CCC", "DDD")[k])
                if step == "intent":
                    journal.record_intents("r", [order])
                    known.add(order.client_order_id)
                elif step == "state" and order.client_order_id in known:
                    filled = {OrderStatus.NEW: 0, OrderStatus.PARTIALLY_FILLED: 4, OrderStatus.FILLED: 10}[status]
                    journal.record_order("r", order.restored(status=status, broker_order_id=f"b{k}",
                                                             filled_qty=Decimal(filled), updated_at=T))
                elif step == "read":
                    journal.orders()  # a read writes the queue first
        return journal.table("orders")

    pd.testing.assert_frame_equal(play(merge=True), play(merge=False))
