"""The event log (``order_events``: an order's events, and the account's under client id "*":
halt, resume, reconcile, flatten) and the alert cursor over it: each event claimed once for
every process sharing the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from framework.journal.connection import JournalConnection, iso

_INSERT_EVENT = "INSERT INTO order_events (client_order_id, event, status, time, detail) VALUES (?,?,?,?,?)"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One ``order_events`` row (``client_order_id`` "*": an account event: halt, reconcile, ...)."""

    seq: int
    client_order_id: str
    event: str
    status: str
    time: datetime
    detail: str


class EventLog(JournalConnection):
    def record_event(self, client_order_id: str, event: str, status: str, time: datetime, detail: str = "") -> None:
        self._write(_INSERT_EVENT, (client_order_id, event, status, iso(time), detail))

    def claim_events(self, cursor: str) -> list[EventRow]:
        """Events journaled since this ``cursor`` last claimed them, oldest first, claimed at
        once for every process sharing the journal (one alert per event, whoever sends it). The
        first claim of a cursor starts at the newest event: history is not claimed."""
        if self._batch_depth:
            raise RuntimeError("claim_events inside a transaction")
        self._flush()
        key = f"cursor:{cursor}"
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            newest = self._db.execute("SELECT IFNULL(MAX(seq), 0) FROM order_events").fetchone()[0]
            after = newest if row is None else int(row[0])
            rows = self._db.execute(
                "SELECT seq, client_order_id, event, status, time, detail FROM order_events WHERE seq > ? ORDER BY seq",
                (after,),
            ).fetchall()
            last = max([after, *(r[0] for r in rows)])
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(last)))
        finally:
            self._db.execute("COMMIT")
        return [EventRow(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5]) for r in rows]


__all__ = ["EventLog", "EventRow"]
