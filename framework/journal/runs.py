"""Runs and their decisions: which run a journal holds, each bar's signals and risk decisions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from framework.journal.connection import JournalConnection, iso


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    kind: str
    strategy: str
    initial_cash: Decimal
    data_fingerprint: str


class RunLog(JournalConnection):
    def start_run(
        self,
        run_id: str,
        *,
        kind: str,
        strategy: str,
        initial_cash: Decimal | float,
        config: dict[str, Any],
        data_fingerprint: str,
        started_at: datetime,
    ) -> None:
        self._write(
            "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?)",
            (
                run_id,
                kind,
                strategy,
                iso(started_at),
                str(Decimal(str(initial_cash))),
                json.dumps(config, sort_keys=True, default=str),
                data_fingerprint,
            ),
        )

    def run(self, run_id: str | None = None) -> RunInfo | None:
        sql = "SELECT run_id, kind, strategy, initial_cash, data_fingerprint FROM runs"
        row = self._read(
            sql + (" WHERE run_id=?" if run_id else " ORDER BY started_at LIMIT 1"),
            (run_id,) if run_id else (),
        ).fetchone()
        if row is None:
            return None
        return RunInfo(row[0], row[1], row[2], Decimal(row[3]), row[4])

    def record_signals(self, run_id: str, time: datetime, symbols: Sequence[str], values: np.ndarray) -> None:
        """One row per symbol with a view (NaN: none) at ``time``; ``values`` align to ``symbols``."""
        when = iso(time)
        self._write_many(
            "INSERT INTO signals VALUES (?,?,?,?)",
            [(run_id, when, s, v) for s, v in zip(symbols, values.tolist(), strict=True) if v == v],
        )

    def record_risk_decisions(self, run_id: str, time: datetime, decisions: Iterable[Any]) -> None:
        when = iso(time)
        self._write_many(
            "INSERT INTO risk_decisions VALUES (?,?,?,?,?,?,?,?)",
            [(run_id, when, d.symbol, str(d.reason), str(d.action), d.requested, d.approved, d.detail)
             for d in decisions],
        )

    def last_deferrals(self, run_id: str) -> dict[str, float]:
        """Targets the last completed decision deferred (symbol -> requested quantity)."""
        last = self._read("SELECT MAX(time) FROM equity WHERE run_id=?", (run_id,)).fetchone()[0]
        if last is None:
            return {}
        rows = self._read(
            "SELECT symbol, requested FROM risk_decisions WHERE run_id=? AND time=? AND action='defer'",
            (run_id, last),
        )
        return {symbol: float(requested) for symbol, requested in rows}

    def record_decision_inputs(self, run_id: str, session: datetime, signal_date: datetime, digest: str) -> None:
        """The content hash of the bars and actions the cycle for ``session`` decided on (its
        signals are those of ``signal_date``); the blob itself is in ``decision_inputs.folder_of``.
        A repeated cycle of the same session records the hash it decided on last."""
        self._write(
            "INSERT INTO decision_inputs VALUES (?,?,?,?) ON CONFLICT(run_id, session) DO UPDATE SET "
            "signal_date=excluded.signal_date, digest=excluded.digest",
            (run_id, iso(session), iso(signal_date), digest),
        )

    def decision_inputs(self, run_id: str) -> list[tuple[datetime, datetime, str]]:
        """(session, signal date, digest) of every journaled decision of ``run_id``, in order."""
        rows = self._read(
            "SELECT session, signal_date, digest FROM decision_inputs WHERE run_id=? ORDER BY session", (run_id,)
        ).fetchall()
        return [(datetime.fromisoformat(a), datetime.fromisoformat(b), c) for a, b, c in rows]


__all__ = ["RunInfo", "RunLog"]
