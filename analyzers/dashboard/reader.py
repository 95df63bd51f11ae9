"""The journal, read-only, as the dashboard shows it: it never writes a run folder, and reads a
live paper journal while `trade paper` writes it, through the journal's read-only connection
(:class:`framework.journal.ReadOnlyJournal`, whose ``version`` changes whenever another
connection commits: the tables are read again only then).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analyzers.records import NEW_YORK
from framework.journal import ReadOnlyJournal

NUMERIC = {
    "orders": ("qty", "filled_qty", "filled_avg_price", "decision_price", "arrival_price", "limit_price", "stop_price"),
    "fills": ("qty", "price", "commission"),
    "equity": ("cash", "equity", "positions_value"),
    "positions": ("qty", "avg_cost", "price"),
    "marks": ("equity", "cash", "baseline"),
}


def venue_day(times: pd.Series) -> pd.Series:
    """Venue (New York) session dates of UTC ISO stamps, tz-naive midnight."""
    return pd.to_datetime(times, utc=True, format="ISO8601").dt.tz_convert(NEW_YORK).dt.normalize().dt.tz_localize(None)


def decision_day(orders: pd.DataFrame) -> pd.Series:
    """The session an order was decided on: from its client id (``strategy-YYYYMMDD-...``),
    else its creation time's venue date (an order adopted from the broker)."""
    encoded = orders["client_order_id"].str.extract(r"^[^-]*-(\d{8})-")[0]
    return pd.to_datetime(encoded, format="%Y%m%d", errors="coerce").fillna(venue_day(orders["created_at"]))


@dataclass(frozen=True)
class JournalTables:
    run: dict[str, Any]
    orders: pd.DataFrame
    fills: pd.DataFrame
    equity: pd.DataFrame
    positions: pd.DataFrame
    events: pd.DataFrame
    halt: dict[str, Any] = field(default_factory=dict)
    marks: pd.DataFrame = field(default_factory=pd.DataFrame)


class JournalReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._journal = ReadOnlyJournal(path)

    def close(self) -> None:
        self._journal.close()

    def version(self) -> tuple[int, int, int]:
        return self._journal.version()

    def _table(self, name: str) -> pd.DataFrame:
        frame = self._journal.table(name)  # empty for a table an older journal does not have
        for column in NUMERIC.get(name, ()):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column])
        return frame

    def read(self) -> JournalTables:
        runs = self._table("runs")
        runs = runs.sort_values("started_at") if len(runs) else runs
        run = runs.iloc[0].to_dict() if len(runs) else {}
        if run:
            run["config"] = json.loads(run.pop("config_json") or "{}")
        orders = self._table("orders")
        if len(orders):
            orders = orders.drop(columns=["order_json"]).assign(day=decision_day(orders))
        halt_rows = self._table("halt")
        return JournalTables(
            run=run,
            orders=orders,
            fills=self._table("fills"),
            equity=self._table("equity"),
            positions=self._table("positions"),
            events=self._table("order_events"),
            halt=halt_rows.iloc[0].to_dict() if len(halt_rows) else {},
            marks=self._table("marks"),
        )


__all__ = ["JournalReader", "JournalTables", "decision_day", "venue_day"]
