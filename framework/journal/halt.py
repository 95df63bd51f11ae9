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
    def _opened(self) -> None:
        super()._opened()
        # A private journal (in memory) keeps what it last read: no other process can write it.
        self._halt: HaltState | None = None

    def set_halt(
        self, halted: bool, reason: str, since: datetime, scope: str = "persistent", session: datetime | None = None
    ) -> None:
        """``since``: the venue's clock when it happened; ``session``: the decision session it
        covers (a daily-loss halt lifts at the first decision of a later session)."""
        self._write(
            "INSERT OR REPLACE INTO halt VALUES (1, ?, ?, ?, ?, ?)",
            (int(halted), reason, iso(since), scope, iso(session) if session else ""),
        )
        self._halt = None
        self.record_event("*", "halt" if halted else "resume", scope, since, reason)

    def halt_state(self) -> HaltState:
        if self._halt is not None:
            return self._halt
        row = self._read("SELECT halted, reason, since, scope, session FROM halt WHERE id=1").fetchone()
        state = HaltState(bool(row[0]), row[1], row[2], row[3], row[4]) if row else HaltState(False)
        if self._private:
            self._halt = state
        return state


__all__ = ["HaltFlag", "HaltState"]
