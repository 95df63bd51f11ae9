"""Foreign orders: at the venue with no journaled intent (placed by hand, by another program),
kept apart from ours (:mod:`framework.foreign`): each with its latest state, first seen once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from framework.journal.connection import JournalConnection, iso, text
from framework.orders import Order
from framework.venue import ActionKind, CorporateAction

#: made at the first foreign order (a backtest's journal, which never meets one, stays as it was)
FOREIGN_TABLE = """CREATE TABLE IF NOT EXISTS foreign_orders (
    client_order_id TEXT PRIMARY KEY, broker_order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL,
    type TEXT NOT NULL, qty TEXT, filled_qty TEXT NOT NULL, filled_avg_price TEXT, status TEXT NOT NULL,
    first_seen TEXT NOT NULL, order_json TEXT NOT NULL)"""
#: foreign orders whose shares a flatten closed with ours (the venue closes a symbol whole): what
#: their fills moved is no longer the person's, so it is no longer taken out of the venue's positions
SETTLED_TABLE = """CREATE TABLE IF NOT EXISTS foreign_settled (
    client_order_id TEXT PRIMARY KEY, time TEXT NOT NULL, reason TEXT NOT NULL)"""
#: every split the venue's bars showed while a person's fills were in the account: a fill's shares
#: are restated by the splits gone ex after it (:func:`framework.foreign.held_now`), each once
SPLITS_TABLE = """CREATE TABLE IF NOT EXISTS venue_splits (
    symbol TEXT NOT NULL, ex_date TEXT NOT NULL, ratio TEXT NOT NULL, PRIMARY KEY (symbol, ex_date))"""


class ForeignLog(JournalConnection):
    def _has_foreign(self) -> bool:
        return self._read("SELECT 1 FROM sqlite_master WHERE type='table' AND name='foreign_orders'").fetchone() \
            is not None

    def record_foreign(self, order: Order, seen: datetime) -> bool:
        """Journaled apart from ours, its latest state updated; True the first time it is seen
        (report it then, once)."""
        if not self._has_foreign():
            self._flush()
            self._db.execute(FOREIGN_TABLE)
        new = self._read("SELECT 1 FROM foreign_orders WHERE client_order_id=?",
                         (order.client_order_id,)).fetchone() is None
        self._write(
            "INSERT INTO foreign_orders VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(client_order_id) DO UPDATE SET"
            " filled_qty=excluded.filled_qty, filled_avg_price=excluded.filled_avg_price, status=excluded.status,"
            " order_json=excluded.order_json",
            (order.client_order_id, order.broker_order_id, order.symbol, order.side.value, order.type.value,
             text(order.qty), str(order.filled_qty), text(order.filled_avg_price), order.status.value, iso(seen),
             order.to_json()),
        )
        return new

    def settle_foreign(self, client_order_ids: list[str], when: datetime, reason: str) -> None:
        """These foreign orders' shares were closed with ours (a flatten closes a symbol whole):
        from now on what their fills moved is not subtracted from the venue's positions."""
        if not client_order_ids:
            return
        self._flush()
        self._db.execute(SETTLED_TABLE)
        for cid in client_order_ids:
            self._write("INSERT OR IGNORE INTO foreign_settled VALUES (?,?,?)", (cid, iso(when), reason))

    def record_venue_splits(self, splits: Iterable[CorporateAction]) -> None:
        """The venue's splits (from its bars), each once per (symbol, ex-date)."""
        rows = [(a.symbol, a.ex_date.isoformat(), str(a.value)) for a in splits if a.kind is ActionKind.SPLIT]
        if not rows:
            return
        self._flush()
        self._db.execute(SPLITS_TABLE)
        for row in rows:
            self._write("INSERT OR IGNORE INTO venue_splits VALUES (?,?,?)", row)

    def venue_splits(self) -> list[CorporateAction]:
        if self._read("SELECT 1 FROM sqlite_master WHERE type='table' AND name='venue_splits'").fetchone() is None:
            return []
        rows = self._read("SELECT symbol, ex_date, ratio FROM venue_splits ORDER BY ex_date, symbol")
        return [CorporateAction(r[0], date.fromisoformat(r[1]), ActionKind.SPLIT, Decimal(r[2])) for r in rows]

    def foreign_orders(self, *, open_only: bool = False, settled: bool = True) -> list[Order]:
        """``settled=False``: without the ones a flatten settled (what the person still holds)."""
        if not self._has_foreign():
            return []
        rows = self._read("SELECT order_json FROM foreign_orders ORDER BY first_seen, client_order_id")
        orders = [Order.from_json(r[0]) for r in rows]
        if not settled and self._read("SELECT 1 FROM sqlite_master WHERE type='table' AND name='foreign_settled'"
                                      ).fetchone() is not None:
            gone = {r[0] for r in self._read("SELECT client_order_id FROM foreign_settled")}
            orders = [o for o in orders if o.client_order_id not in gone]
        return [o for o in orders if o.is_open] if open_only else orders


__all__ = ["ForeignLog"]
