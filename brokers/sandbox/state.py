"""The sandbox's state in SQLite: a restart (of the client or the server) sees the same account.

The state is one JSON document (:func:`state_doc` writes it, :func:`restored` reads it): the
clock's session and phase, the ledger, the order book (each order in Alpaca's JSON,
:func:`brokers.sandbox.wire.order_json`), the fingerprint of the data it was made with, and the
ids of the stop-limits already elected (what Alpaca's order JSON does not say; a document
without the key, written before, has none).

One sandbox per state file: the store holds an exclusive lock (``flock`` on ``STATE.lock``)
while it is open, so a second sandbox on the same file is refused instead of both writing the
account. The lock is the operating system's: it goes when the process does, however it ends.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from brokers.sandbox.book import OrderBook
from brokers.sandbox.clock import Phase, SessionClock
from brokers.sandbox.ledger import Ledger
from brokers.sandbox.wire import order_from_json, order_json
from framework.errors import InputError


@dataclass(frozen=True)
class Saved:
    """The exchange's state as a state document holds it."""

    sessions: SessionClock
    ledger: Ledger
    orders: OrderBook


def state_doc(sessions: SessionClock, ledger: Ledger, orders: OrderBook, fingerprint: str) -> dict[str, Any]:
    money = ledger.to_state()
    return {
        "session": sessions.session,
        "phase": sessions.phase.value,
        "cash": money["cash"],
        "last_equity": money["last_equity"],
        "orders": {oid: order_json(o) for oid, o in orders.items()},
        "positions": money["positions"],
        "fingerprint": fingerprint,
        "elected": [oid for oid, o in orders.items() if o.elected],
    }


def restored(doc: dict[str, Any], dates: pd.DatetimeIndex) -> Saved:
    """The state in ``doc``, its clock over the sessions ``dates`` (the data it was made with)."""
    orders = OrderBook(order_from_json(o) for o in doc["orders"].values())
    for oid in doc.get("elected", []):
        orders[oid].elected = True
    return Saved(SessionClock(dates, int(doc["session"]), Phase(doc["phase"])), Ledger.from_state(doc), orders)


def _lock(path: Path) -> int:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise InputError(f"{path}: another sandbox is using this state file (pid {holder}); "
                         "stop it, or give this one its own --state") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


class StateStore:
    """The state document in a SQLite file, under the file's lock."""

    def __init__(self, path: Path | str, *, reset: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock: int | None = _lock(self.path)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Commits are not synced to the disk one by one: under WAL a commit survives the process
        # (killed, crashed, restarted) and only a crash of the machine could lose the last ones.
        # The state is saved after every answer, and a sync each time was most of an answer's time.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._saved: str | None = None  # the document last written, as text
        self._db.execute("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), doc TEXT NOT NULL)")
        if reset:
            self._db.execute("DELETE FROM state")

    def load(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM state WHERE id = 1").fetchone()
        return json.loads(row[0]) if row else None

    def save(self, doc: dict[str, Any]) -> None:
        """Write ``doc``, unless it is the document already written (most answers are reads)."""
        text = json.dumps(doc)
        if text == self._saved:
            return
        self._db.execute("INSERT OR REPLACE INTO state VALUES (1, ?)", (text,))
        self._saved = text

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the flock
            self._lock = None
