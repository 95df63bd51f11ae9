"""A journal that leaves tables out (a sweep point not kept) keeps every other row exactly; a
table's columns read alone come in the order the rows were written."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framework.journal.connection as journal_connection
from framework.enums import OrderSide, OrderStatus
from framework.fills import Fill
from framework.journal import UNREAD_BY_RESULTS, Journal
from framework.orders import Order
from framework.venue import ActionKind, CorporateAction

T = datetime(2020, 1, 2, 21, 0, tzinfo=UTC)
LEFT_OUT = UNREAD_BY_RESULTS
KEPT = ("runs", "orders", "order_events", "fills", "equity", "corporate_actions")


def _order(cid: str, symbol: str) -> Order:
    return Order(client_order_id=cid, symbol=symbol, side=OrderSide.BUY, qty=Decimal(10), created_at=T)


def _run(path: Path, leave_out: frozenset[str] = frozenset()) -> None:
    """Bars of fills, corporate actions, signals, positions, intents (orders filled the next bar),
    equity: the writes of a backtest, with reads between them (each one flushes the queue)."""
    journal = Journal(path, durable=False, leave_out=leave_out)
    journal.start_run("r", kind="backtest", strategy="s", initial_cash=1000.0, config={}, data_fingerprint="f",
                      started_at=T)
    symbols = [f"S{k:02d}" for k in range(30)]
    try:
        with journal.batch():
            waiting: list[Order] = []
            for day in range(40):
                t = T + timedelta(days=day)
                for order in waiting:  # yesterday's orders fill
                    filled = order.transition(OrderStatus.FILLED, filled_qty=order.qty, filled_avg_price=Decimal("10.5"))
                    journal.record_order("r", filled)
                    journal.record_event(order.client_order_id, "fill", "filled", t)
                    journal.record_fill(Fill(f"e{order.client_order_id}", order.client_order_id, order.symbol,
                                             OrderSide.BUY, Decimal(10), Decimal("10.5"), t))
                if day % 3 == 1:  # its after_fill_seq is read from the fills in SQLite when it is flushed
                    journal.record_corporate_action("r", t, CorporateAction(symbols[day % 30], t.date(), ActionKind.SPLIT,
                                                                            Decimal(2)))
                journal.record_signals("r", t, symbols, np.linspace(-1, 1, len(symbols)))
                journal.record_positions("r", t, [(s, str(day), "10.5", "11") for s in symbols])
                waiting = [_order(f"o{day}-{k}", symbols[k]) for k in range(day % 4)]
                journal.record_intents("r", waiting)
                journal.record_equity("r", t, Decimal(1000 - day), Decimal(1000), Decimal(day))
                if day % 7 == 3:
                    journal.fills()  # a read mid-run: the queue goes to SQLite here
    finally:
        journal.close()


def _rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()


def test_the_tables_kept_are_the_whole_journals_row_for_row(tmp_path, monkeypatch) -> None:
    """Left-out rows count toward the queue's slices: the kept rows reach SQLite when a whole
    journal's would (slices of 50 rows here, ~30 signals and 30 positions a bar)."""
    monkeypatch.setattr(journal_connection, "MAX_QUEUED_ROWS", 50)
    _run(tmp_path / "whole.sqlite")
    _run(tmp_path / "part.sqlite", LEFT_OUT)
    for table in KEPT:
        assert _rows(tmp_path / "part.sqlite", table) == _rows(tmp_path / "whole.sqlite", table), table
    for table in LEFT_OUT - {"risk_decisions"}:
        assert _rows(tmp_path / "whole.sqlite", table) and not _rows(tmp_path / "part.sqlite", table), table


def test_a_read_of_a_table_whose_rows_were_left_out_raises(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite", durable=False, leave_out={"positions"})
    try:
        journal.position_marks("r")  # nothing left out yet: an empty table is the truth
        journal.record_positions("r", T, [("AAA", "1", "2", "3")])
        with pytest.raises(RuntimeError, match="'positions' is read but its rows were left out"):
            journal.position_marks("r")
        with pytest.raises(RuntimeError, match="left out"):
            journal.table("positions")
        assert journal.equity_curve().empty  # equity's positions_value is not the positions table
    finally:
        journal.close()


def test_intents_left_out_are_not_built_and_a_read_of_them_still_refuses(tmp_path, monkeypatch) -> None:
    """A sweep point leaves its intents out (issue 31): their rows are not even built, yet they
    count as left out (a read refuses) and the order rows are kept."""
    journal = Journal(tmp_path / "j.sqlite", durable=False, leave_out={"intents"})
    monkeypatch.setattr(Journal, "_intent_rows", lambda *_a: pytest.fail("intent rows built to be left out"))
    try:
        with journal.batch():
            journal.record_intents("r", [_order("a", "AAA"), _order("b", "BBB")])
        assert list(journal.table("orders")["client_order_id"]) == ["a", "b"]
        with pytest.raises(RuntimeError, match="'intents' is read but its rows were left out"):
            journal.intent_sessions()
    finally:
        journal.close()


def test_an_accounts_journal_leaves_nothing_out(tmp_path) -> None:
    """Only a private journal (a backtest's) may leave rows out; a durable one is every row."""
    with pytest.raises(ValueError, match="a durable journal .* keeps every row"):
        Journal(tmp_path / "account.sqlite", leave_out={"positions"})
    assert not (tmp_path / "account.sqlite").exists()
    journal = Journal(tmp_path / "account.sqlite")
    private = Journal(tmp_path / "backtest.sqlite", durable=False, leave_out={"positions"})
    try:
        assert journal.keeps("positions") and not private.keeps("positions") and private.keeps("orders")
        journal.record_positions("r", T, [("AAA", "1", "2", "3")])
        assert len(journal.table("positions")) == 1
    finally:
        journal.close()
        private.close()


def test_leaving_out_an_unknown_table_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown journal table 'position'"):
        Journal(tmp_path / "j.sqlite", durable=False, leave_out={"position"})


def test_a_tables_columns_come_in_the_order_the_rows_were_written(tmp_path) -> None:
    """Not in the order of an index that holds them (``idx_orders_status`` covers ``status``)."""
    journal = Journal(tmp_path / "j.sqlite")
    try:
        created = _order("a", "AAA")
        sent = _order("b", "AAA").transition(OrderStatus.NEW)
        filled = sent.transition(OrderStatus.FILLED, filled_qty=Decimal(10), filled_avg_price=Decimal(1))
        canceled = _order("c", "AAA").transition(OrderStatus.NEW).transition(OrderStatus.CANCELED)
        for order in (created, filled, canceled):
            journal.record_order("r", order)
        whole = journal.table("orders")
        some = journal.table("orders", ["status", "client_order_id"])
        pd.testing.assert_frame_equal(some, whole[["status", "client_order_id"]])
        assert some["client_order_id"].tolist() == ["a", "b", "c"]
        assert journal.table("orders", ["status"])["status"].tolist() == ["created", "filled", "canceled"]
        with pytest.raises(ValueError, match="journal table 'orders' has no column 'price'"):
            journal.table("orders", ["status", "price"])
    finally:
        journal.close()


_STEP = st.sampled_from(["fills", "action", "signals", "positions", "intents", "equity", "read", "bar"])


@settings(max_examples=300)
@given(steps=st.lists(_STEP, min_size=1, max_size=60), slice_rows=st.integers(1, 40))
def test_any_sequence_of_writes_keeps_the_whole_journals_rows(steps: list[str], slice_rows: int) -> None:
    """Property: whatever the writes, reads and queue slices, the tables kept are the whole
    journal's row for row (left-out rows move no flush)."""
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(journal_connection, "MAX_QUEUED_ROWS", slice_rows)
        _replay(steps, Path(tmp) / "whole.sqlite")
        _replay(steps, Path(tmp) / "part.sqlite", LEFT_OUT)
        for table in KEPT:
            assert _rows(Path(tmp) / "part.sqlite", table) == _rows(Path(tmp) / "whole.sqlite", table), table


def _replay(steps: list[str], path: Path, leave_out: frozenset[str] = frozenset()) -> None:
    journal = Journal(path, durable=False, leave_out=leave_out)
    symbols = ["AAA", "BBB", "CCC"]
    waiting: list[Order] = []
    day = 0
    try:
        with journal.batch():
            for step in steps:
                t = T + timedelta(days=day)
                if step == "bar":
                    day += 1
                elif step == "fills":
                    for order in waiting:
                        filled = order.transition(OrderStatus.FILLED, filled_qty=order.qty,
                                                  filled_avg_price=Decimal("10.5"))
                        journal.record_order("r", filled)
                        journal.record_event(order.client_order_id, "fill", "filled", t)
                        journal.record_fill(Fill(f"e{order.client_order_id}", order.client_order_id, order.symbol,
                                                 OrderSide.BUY, Decimal(10), Decimal("10.5"), t))
                    waiting = []
                elif step == "action":
                    journal.record_corporate_action("r", t, CorporateAction(symbols[day % 3], t.date(), ActionKind.SPLIT,
                                                                            Decimal(2)))
                elif step == "signals":
                    journal.record_signals("r", t, symbols, np.array([0.5, -0.5, 1.0]))
                elif step == "positions":
                    journal.record_positions("r", t, [(s, "1", "2", "3") for s in symbols])
                elif step == "intents":
                    new = [_order(f"o{day}-{len(waiting) + k}", symbols[k]) for k in range(2)]
                    journal.record_intents("r", new)
                    waiting += new
                elif step == "equity":
                    journal.record_equity("r", t, Decimal(1000 - day), Decimal(1000), Decimal(day))
                else:
                    journal.fills()
    finally:
        journal.close()


def test_positions_a_journal_leaves_out_are_not_built_but_are_counted_left_out(tmp_path) -> None:
    """``record_holdings`` (each bar's positions) builds no rows for a journal that leaves the table
    out (issue 31 hold-day: a sweep point's books are not turned into texts to be dropped), and the
    table still answers a read as left out; a journal that keeps it gets the rows."""
    built: list[int] = []

    def rows() -> list[tuple[str, str, str, str | None]]:
        built.append(1)
        return [("AAA", "1", "2", "3")]

    private = Journal(tmp_path / "p.sqlite", durable=False, leave_out={"positions"})
    whole = Journal(tmp_path / "w.sqlite", durable=False)
    try:
        private.record_holdings("r", T, 0, rows)
        private.position_marks("r")  # nothing held: nothing left out
        private.record_holdings("r", T, 1, rows)
        assert built == []
        with pytest.raises(RuntimeError, match="'positions' is read but its rows were left out"):
            private.position_marks("r")
        whole.record_holdings("r", T, 1, rows)
        assert built == [1] and len(whole.table("positions")) == 1
    finally:
        private.close()
        whole.close()
