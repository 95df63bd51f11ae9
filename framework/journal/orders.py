"""The orders' write-ahead log: every intent durable before the broker hears of it, every order's
definition and state, its events and its fills (a replayed fill is ignored by execution id).

An order row keeps the order's definition as first journaled (``order_json``) and its current
state in columns; readers get both put together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from framework.fills import Fill
from framework.journal.connection import iso
from framework.journal.events import EventLog
from framework.orders import Order
from framework.serialization import WIRE

_UPSERT_ORDER = (
    "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(client_order_id) DO UPDATE SET broker_order_id=excluded.broker_order_id,"
    " filled_qty=excluded.filled_qty, filled_avg_price=excluded.filled_avg_price,"
    " status=excluded.status, arrival_price=excluded.arrival_price, updated_at=excluded.updated_at"
)
_UPDATE_STATE = (
    "UPDATE orders SET broker_order_id=?, filled_qty=?, filled_avg_price=?, status=?, arrival_price=?,"
    " updated_at=? WHERE client_order_id=?"
)
_INSERT_INTENT = "INSERT OR IGNORE INTO intents VALUES (?,?,?,?)"
_ORDER_COLUMNS = "order_json, status, broker_order_id, filled_qty, filled_avg_price, arrival_price, updated_at"
_INSERT_FILL = "INSERT OR IGNORE INTO fills VALUES (?,IFNULL((SELECT MAX(seq) FROM fills), -1) + 1,?,?,?,?,?,?,?,?)"
_FILL_COLUMNS = "execution_id, client_order_id, symbol, side, qty, price, time, commission, broker_order_id"


def _order_row(run_id: str, order: Order, order_json: str) -> tuple[Any, ...]:
    """The ``orders`` row of an order: enum members as their wire text (:data:`WIRE`), a Decimal
    as its text or None (``journal.connection.text``, written out: it runs once per order and field)."""
    qty, notional, limit, stop = order.qty, order.notional, order.limit_price, order.stop_price
    avg, decision, arrival = order.filled_avg_price, order.decision_price, order.arrival_price
    updated = order.updated_at
    return (
        order.client_order_id,
        run_id,
        order.broker_order_id,
        order.symbol,
        WIRE[order.side],
        WIRE[order.type],
        None if qty is None else str(qty),
        None if notional is None else str(notional),
        None if limit is None else str(limit),
        None if stop is None else str(stop),
        WIRE[order.time_in_force],
        str(order.filled_qty),
        None if avg is None else str(avg),
        WIRE[order.status],
        None if decision is None else str(decision),
        None if arrival is None else str(arrival),
        iso(order.created_at),
        iso(updated) if updated else None,
        order.tag,
        order_json,
    )


def _state_row(order: Order) -> tuple[Any, ...]:
    """The arguments of :data:`_UPDATE_STATE` for ``order``'s state."""
    avg, arrival, updated = order.filled_avg_price, order.arrival_price, order.updated_at
    return (
        order.broker_order_id,
        str(order.filled_qty),
        None if avg is None else str(avg),
        WIRE[order.status],
        None if arrival is None else str(arrival),
        iso(updated) if updated else None,
        order.client_order_id,
    )


def _with_state(row: tuple[Any, ...], order: Order) -> tuple[Any, ...]:
    """An order row (:func:`_order_row`) with ``order``'s state: what :data:`_UPDATE_STATE` with
    :func:`_state_row` makes of it (written out here: it is done on every update of a queued row)."""
    avg, arrival, updated = order.filled_avg_price, order.arrival_price, order.updated_at
    return (
        *row[:2], order.broker_order_id, *row[3:11], str(order.filled_qty), None if avg is None else str(avg),
        WIRE[order.status], row[14], None if arrival is None else str(arrival), row[16],
        iso(updated) if updated else None, *row[18:],
    )


def _restore(row: tuple[Any, ...]) -> Order:
    """An order from its journaled definition and current state columns."""
    definition, status, broker_id, filled_qty, filled_avg, arrival, updated = row
    return Order.from_json(definition).restored(
        status=status,
        broker_order_id=broker_id,
        filled_qty=filled_qty,
        filled_avg_price=filled_avg,
        arrival_price=arrival,
        updated_at=updated,
    )


class OrderLog(EventLog):
    def _opened(self) -> None:
        super()._opened()
        self._known = {r[0] for r in self._db.execute("SELECT client_order_id FROM orders")}
        self._order_queue: list[tuple[Any, ...]] | None = None  # the queued order rows (see _slots)
        self._order_slots: dict[str, int] = {}
        self._order_states: dict[str, Order] = {}  # a queued order's latest state, not yet in its row

    def _slots(self) -> dict[str, int]:
        """Where each order row still queued sits in the queue: a later state of the order is
        written into its row instead of an UPDATE after it (the same row either way; a private
        journal queues a decision's intents, acknowledged and filled before the queue is written)."""
        rows = self._queued.get(_UPSERT_ORDER)
        if rows is not self._order_queue:  # written since: nothing of the old queue is queued
            self._order_queue, self._order_slots, self._order_states = rows, {}, {}
        return self._order_slots

    def _complete_queue(self) -> None:
        """Each queued order row gets its latest state, once, as the queue is written (an order is
        acknowledged and filled before a private journal's queue is: one row built, not three)."""
        super()._complete_queue()
        states = self._order_states
        if states:
            queue, slots = self._order_queue, self._order_slots
            for cid, order in states.items():
                queue[slots[cid]] = _with_state(queue[slots[cid]], order)  # type: ignore[index]
            states.clear()

    def _queued_orders(self, rows: list[tuple[Any, ...]]) -> None:
        """Remember where ``rows`` (just written) sit, if they are still queued."""
        queue, slots = self._queued.get(_UPSERT_ORDER), self._slots()
        if queue is None or len(queue) < len(rows) or queue[-1] is not rows[-1]:
            return
        start = len(queue) - len(rows)
        for k, row in enumerate(rows):
            slots[row[0]] = start + k

    def record_intent(self, run_id: str, order: Order) -> None:
        """Before the broker hears of it: the order as we mean to send it."""
        self.record_intents(run_id, [order])

    def record_intents(self, run_id: str, orders: Sequence[Order], session: datetime | None = None) -> None:
        """Every order of a decision as we mean to send it, durable (committed) before the
        broker hears of any, even inside a transaction. Rows still queued (other tables, other
        orders' states) stay queued: only the intents must be durable before the send.
        ``session``: the decision session they belong to (a restart withdraws intents of an
        earlier session instead of sending them late); default: each order's creation time.
        A private journal (a backtest's, in memory until it is closed) has no durability to
        give: its intents are queued with the bar's other rows, in arrival order.
        An order already journaled keeps its row: only :meth:`record_order` moves a journaled
        order's state (an intent again would put it back to ``created`` and drop its broker id,
        or not, depending on when the queue was last written)."""
        orders = [o for o in orders if o.client_order_id not in self._known]
        if not orders:
            return
        encoded = [(order, order.to_json()) for order in orders]
        rows = [_order_row(run_id, o, definition) for o, definition in encoded]
        self._known.update(o.client_order_id for o in orders)
        if self._private:
            if self.keeps("intents"):  # a sweep's point leaves them out: not built either
                self._write_many(_INSERT_INTENT, self._intent_rows(run_id, encoded, session))
            else:
                self._leave("intents", len(rows))
            self._write_many(_UPSERT_ORDER, rows)
            self._queued_orders(rows)
            return
        with self._immediate():
            self._db.executemany(_INSERT_INTENT, self._intent_rows(run_id, encoded, session))
            self._db.executemany(_UPSERT_ORDER, rows)
        self._durable_now()

    @staticmethod
    def _intent_rows(run_id: str, encoded: list[tuple[Order, str]], session: datetime | None) -> list[tuple[Any, ...]]:
        """The ``intents`` rows of orders with their definitions."""
        return [(o.client_order_id, run_id, iso(session or o.created_at), definition) for o, definition in encoded]

    def record_order(self, run_id: str, order: Order) -> None:
        """A new order (definition and state), or the new state of a journaled one."""
        cid = order.client_order_id
        if cid in self._known:
            slot = self._slots().get(cid)
            if slot is not None and cid not in self._latest.get(_UPDATE_STATE, ()):
                self._order_states[cid] = order  # into its row when the queue is written
                return
            self._write_latest(_UPDATE_STATE, cid, _state_row(order))
            return
        self._forget_latest(_UPDATE_STATE, cid)
        row = _order_row(run_id, order, order.to_json())
        self._write(_UPSERT_ORDER, row)
        self._known.add(cid)
        self._queued_orders([row])

    def record_fill(self, fill: Fill) -> None:
        """A fill already journaled (same execution id: a replayed update) is ignored."""
        self._write(
            _INSERT_FILL,
            (
                fill.execution_id,
                fill.client_order_id,
                fill.broker_order_id,
                fill.symbol,
                WIRE[fill.side],
                str(fill.qty),
                str(fill.price),
                str(fill.commission),
                iso(fill.timestamp),
            ),
        )

    def intent_sessions(self) -> dict[str, datetime]:
        """Each journaled intent's decision session."""
        rows = self._read("SELECT client_order_id, time FROM intents")
        return {cid: datetime.fromisoformat(when) for cid, when in rows}

    def orders(self, *, open_only: bool = False) -> list[Order]:
        found = [_restore(r) for r in self._read(f"SELECT {_ORDER_COLUMNS} FROM orders ORDER BY rowid")]
        return [o for o in found if o.is_open] if open_only else found

    def order(self, client_order_id: str) -> Order | None:
        row = self._read(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE client_order_id=?", (client_order_id,)).fetchone()
        return _restore(row) if row else None

    def fills(self) -> list[Fill]:
        rows = self._read(f"SELECT {_FILL_COLUMNS} FROM fills ORDER BY seq")
        return [Fill(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]

    def fills_seq_order(self) -> list[tuple[int, Fill]]:
        """Every fill with its position in arrival order (to replay adjustments between them)."""
        rows = self._read(f"SELECT seq, {_FILL_COLUMNS} FROM fills ORDER BY seq")
        return [(r[0], Fill(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])) for r in rows]


__all__ = ["OrderLog"]
