"""The halt: one flag shared by every process on the account's journal (`trade paper`, `trade
watch`, `trade halt`, the dashboard), so a halt holds across processes and restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from framework.journal.connection import iso
from framework.journal.events import EventLog


@dataclass(frozen=True, slots=True)
class HaltState:
    """``scope`` "session": lifts by itself at the first decision of a later session (a *daily*
    loss limit; ``session`` is the decision session it covers); "persistent": only an explicit
    resume lifts it (drawdown, manual halts). ``since`` is the venue's time it began."""

    halted: bool
    reason: str = ""
    since: str = ""
    scope: str = "persistent"
    session: str = ""


class HaltFlag(EventLog):
    """Read at every decision and before every send that adds risk, so it is kept in memory:
    a private journal (in memory) keeps what it last read or wrote (no other process can write
    it); a shared one keeps what it last read while SQLite's ``PRAGMA data_version`` says no
    other connection has committed since (a halt by `trade halt` is seen at the next read)."""

    def _opened(self) -> None:
        super()._opened()
        self._halt: HaltState | None = None
        self._halt_version = -1  # the shared journal's data_version when _halt was read

    def set_halt(
        self, halted: bool, reason: str, since: datetime, scope: str = "persistent", session: datetime | None = None
    ) -> None:
        """``since``: the venue's clock when it happened; ``session``: the decision session it
        covers (a daily-loss halt lifts at the first decision of a later session)."""
        self._write(
            "INSERT OR REPLACE INTO halt VALUES (1, ?, ?, ?, ?, ?)",
            (int(halted), reason, iso(since), scope, iso(session) if session else ""),
        )
        # what this journal wrote is what it reads back; a shared one reads it again (it may be
        # queued behind another process's write until the next flush)
        self._halt = HaltState(bool(halted), reason, iso(since), scope, iso(session) if session else "") \
            if self._private else None
        self.record_event("*", "halt" if halted else "resume", scope, since, reason)

    def halt_state(self) -> HaltState:
        if self._private:
            if self._halt is None:
                self._halt = self._halt_row()
            return self._halt
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if self._halt is None or version != self._halt_version:
            self._halt, self._halt_version = self._halt_row(), version
        return self._halt

    def _halt_row(self) -> HaltState:
        row = self._read("SELECT halted, reason, since, scope, session FROM halt WHERE id=1").fetchone()
        return HaltState(bool(row[0]), row[1], row[2], row[3], row[4]) if row else HaltState(False)


__all__ = ["HaltFlag", "HaltState"]
