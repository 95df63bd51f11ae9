"""The account's read model: each decision's equity and positions, and the venue's marks
(intraday and after-close equity). Observations: the books and the decisions never read marks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from framework.journal.connection import JournalConnection, iso, text

PEAK_MARK = "peak"  # the marks' source of a drawdown peak journaled by a resume


class EquityLog(JournalConnection):
    def record_equity(
        self, run_id: str, time: datetime, cash: Decimal, equity: Decimal, positions_value: Decimal
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO equity VALUES (?,?,?,?,?)",
            (run_id, iso(time), str(cash), str(equity), str(positions_value)),
        )

    def record_positions(
        self,
        run_id: str,
        time: datetime,
        rows: Iterable[tuple[str, str, str, str | None]],
    ) -> None:
        """One row per holding: symbol, quantity, average cost, mark, as the table keeps them
        (``str`` of the Decimals, None where no mark: :meth:`framework.portfolio.Portfolio.journal_rows`,
        whose texts are memoised per holding)."""
        when = iso(time)
        self._write_many("INSERT INTO positions VALUES (?,?,?,?,?,?)", [(run_id, when, *row) for row in rows])

    def record_holdings(
        self,
        run_id: str,
        time: datetime,
        count: int,
        rows: Callable[[], Iterable[tuple[str, str, str, str | None]]],
    ) -> None:
        """:meth:`record_positions` of the ``count`` rows ``rows()`` gives, built only where the
        table is kept: a sweep point's journal leaves positions out, and its every bar would build
        a row per holding to drop it (they are counted as left out all the same)."""
        if self.keeps("positions"):
            self.record_positions(run_id, time, rows())
        elif count:
            self._leave("positions", count)

    def equity_curve(self, run_id: str | None = None) -> pd.DataFrame:
        sql = "SELECT time, cash, equity, positions_value FROM equity"
        args: tuple[Any, ...] = ()
        if run_id:
            sql, args = sql + " WHERE run_id=?", (run_id,)
        frame = self._frame(sql + " ORDER BY time", args)
        for column in ("cash", "equity", "positions_value"):
            frame[column] = frame[column].astype(float)
        frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
        return frame

    def position_marks(self, run_id: str) -> list[tuple[datetime, str, Decimal]]:
        """(decision session, symbol, mark) of every journaled position row with a price."""
        rows = self._read(
            "SELECT time, symbol, price FROM positions WHERE run_id=? AND price IS NOT NULL", (run_id,)
        )
        return [(datetime.fromisoformat(r[0]), r[1], Decimal(r[2])) for r in rows]

    def record_mark(self, run_id: str, time: datetime, source: str, session: datetime, *, equity: Decimal,
                    cash: Decimal, baseline: Decimal | None) -> None:
        """The account's equity as the venue reported it at ``time`` (``source``: "watch" for an
        intraday poll, "close" for the after-close step); ``baseline``: the equity the daily loss
        is measured from. Marks are observations: the books and the decisions never read them."""
        self._write(
            "INSERT INTO marks VALUES (?,?,?,?,?,?,?)",
            (run_id, iso(time), source, iso(session), str(equity), str(cash), text(baseline)),
        )

    def reset_peaks(self, time: datetime) -> None:
        """An operator's resume: each run's drawdown is measured again from its latest equity (a
        "peak" mark), so a max-drawdown halt, once resumed, does not fire again at the next
        decision on the same loss."""
        latest = self._read(
            "SELECT run_id, time, equity FROM equity e"
            " WHERE time = (SELECT MAX(time) FROM equity WHERE run_id = e.run_id)"
        ).fetchall()
        for run_id, session, equity in latest:
            self._write("INSERT INTO marks VALUES (?,?,?,?,?,?,?)",
                        (run_id, iso(time), PEAK_MARK, session, equity, equity, None))

    def peak(self, run_id: str) -> float | None:
        """The drawdown guard's peak as journaled: the highest equity since the last resume (its
        "peak" mark included), or over the whole run when never resumed; None before any decision."""
        reset = self._read(
            "SELECT time, equity FROM marks WHERE run_id=? AND source=? ORDER BY time DESC, rowid DESC LIMIT 1",
            (run_id, PEAK_MARK)).fetchone()
        if reset is None:
            row = self._read("SELECT MAX(CAST(equity AS REAL)) FROM equity WHERE run_id=?", (run_id,)).fetchone()
            return row[0]
        row = self._read("SELECT MAX(CAST(equity AS REAL)) FROM equity WHERE run_id=? AND time > ?",
                         (run_id, reset[0])).fetchone()
        return max(float(reset[1]), row[0]) if row[0] is not None else float(reset[1])

    def marks(self, run_id: str | None = None, source: str | None = None) -> pd.DataFrame:
        sql, args = "SELECT run_id, time, source, session, equity, cash, baseline FROM marks WHERE 1=1", []
        if run_id:
            sql, args = sql + " AND run_id=?", [*args, run_id]
        if source:
            sql, args = sql + " AND source=?", [*args, source]
        frame = self._frame(sql + " ORDER BY time", tuple(args))
        for column in ("equity", "cash", "baseline"):
            frame[column] = pd.to_numeric(frame[column])
        for column in ("time", "session"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame


__all__ = ["PEAK_MARK", "EquityLog"]
