"""Changes to the books between fills, replayed in order with them on a restart: reconciliation
adoptions (the broker's value over ours) and the corporate actions applied (once each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from framework.journal.connection import JournalConnection, decimal, iso, text
from framework.venue.corporate import ActionKind, CorporateAction


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A reconciliation adoption: the broker's quantity/average (or cash, symbol "*") became ours
    after the fill numbered ``after_fill_seq``."""

    after_fill_seq: int
    symbol: str
    qty: Decimal | None
    avg_cost: Decimal | None
    cash: Decimal | None
    time: datetime | None = None  # when it was adopted (the venue's clock)


class AdjustmentLog(JournalConnection):
    def record_adjustment(
        self, run_id: str, time: datetime, symbol: str, *, qty: Decimal | None = None,
        avg_cost: Decimal | None = None, cash: Decimal | None = None,
    ) -> None:
        """The broker's value adopted over ours (``symbol`` "*": cash), in order with the fills,
        so a restart rebuilds the books with it and reports the difference no more."""
        self._write(
            "INSERT INTO adjustments (run_id, after_fill_seq, time, symbol, qty, avg_cost, cash)"
            " VALUES (?, IFNULL((SELECT MAX(seq) FROM fills), -1), ?, ?, ?, ?, ?)",
            (run_id, iso(time), symbol, text(qty), text(avg_cost), text(cash)),
        )

    def adjustments(self, run_id: str) -> list[Adjustment]:
        rows = self._read(
            "SELECT after_fill_seq, symbol, qty, avg_cost, cash, time FROM adjustments WHERE run_id=? ORDER BY seq",
            (run_id,),
        )
        return [Adjustment(r[0], r[1], decimal(r[2]), decimal(r[3]), decimal(r[4]),
                           datetime.fromisoformat(r[5]) if r[5] else None) for r in rows]

    def record_corporate_action(self, run_id: str, time: datetime, action: CorporateAction) -> None:
        """A split or dividend applied to the books, in order with the fills (a restart replays
        it), once per (symbol, kind, ex-date): applying one twice would rescale twice."""
        self._write(
            "INSERT OR IGNORE INTO corporate_actions (run_id, after_fill_seq, time, symbol, kind, value, ex_date)"
            " VALUES (?, IFNULL((SELECT MAX(seq) FROM fills), -1), ?, ?, ?, ?, ?)",
            (run_id, iso(time), action.symbol, action.kind.value, str(action.value), action.ex_date.isoformat()),
        )

    def corporate_actions(self, run_id: str) -> list[tuple[int, datetime, CorporateAction]]:
        """(after fill seq, when applied, action) of every action applied to ``run_id``'s books."""
        rows = self._read(
            "SELECT after_fill_seq, time, symbol, kind, value, ex_date FROM corporate_actions"
            " WHERE run_id=? ORDER BY seq",
            (run_id,),
        )
        return [(r[0], datetime.fromisoformat(r[1]),
                 CorporateAction(r[2], date.fromisoformat(r[5]), ActionKind(r[3]), Decimal(r[4]))) for r in rows]


__all__ = ["Adjustment", "AdjustmentLog"]
