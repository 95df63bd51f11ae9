"""The journal: one SQLite file (WAL) holding every decision, intent, order, event and fill.

Written *before* acting: the intent is stored before the broker is called, and every broker
answer is stored before the engine acts on it, so a crash at any line loses nothing and a
restart can rebuild the portfolio and the open orders exactly (:meth:`Journal.replay`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from framework.broker import OrderUpdate
from framework.fills import Fill
from framework.orders import Order

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, strategy TEXT NOT NULL, started_at TEXT NOT NULL,
    initial_cash TEXT NOT NULL, config_json TEXT NOT NULL, data_fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signals (
    run_id TEXT NOT NULL, time TEXT NOT NULL, symbol TEXT NOT NULL, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS risk_decisions (
    run_id TEXT NOT NULL, time TEXT NOT NULL, symbol TEXT NOT NULL, reason TEXT NOT NULL,
    action TEXT NOT NULL, requested REAL NOT NULL, approved REAL NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    client_order_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, time TEXT NOT NULL,
    order_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, broker_order_id TEXT,
    symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, qty TEXT, notional TEXT,
    limit_price TEXT, stop_price TEXT, time_in_force TEXT NOT NULL,
    filled_qty TEXT NOT NULL, filled_avg_price TEXT, status TEXT NOT NULL,
    decision_price TEXT, arrival_price TEXT, created_at TEXT NOT NULL, updated_at TEXT,
    tag TEXT NOT NULL, order_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS order_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL, event TEXT NOT NULL,
    status TEXT NOT NULL, time TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fills (
    execution_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, client_order_id TEXT NOT NULL,
    broker_order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL, qty TEXT NOT NULL,
    price TEXT NOT NULL, commission TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (
    run_id TEXT NOT NULL, time TEXT NOT NULL, symbol TEXT NOT NULL, qty TEXT NOT NULL,
    avg_cost TEXT NOT NULL, price TEXT);
CREATE TABLE IF NOT EXISTS equity (
    run_id TEXT NOT NULL, time TEXT NOT NULL, cash TEXT NOT NULL, equity TEXT NOT NULL,
    positions_value TEXT NOT NULL, PRIMARY KEY (run_id, time));
CREATE TABLE IF NOT EXISTS halt (
    id INTEGER PRIMARY KEY CHECK (id = 1), halted INTEGER NOT NULL, reason TEXT NOT NULL,
    since TEXT NOT NULL, scope TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS idx_fills_order ON fills(client_order_id);
"""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class HaltState:
    """``scope`` "session": lifts by itself at the next session (a *daily* loss limit);
    "persistent": only an explicit resume lifts it (drawdown, manual halts)."""

    halted: bool
    reason: str = ""
    since: str = ""
    scope: str = "persistent"


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    kind: str
    strategy: str
    initial_cash: Decimal
    data_fingerprint: str


class Journal:
    """One journal per run (backtest) or per account (paper)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._check_version()
        self._batch_depth = 0

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            from framework.errors import InputError

            raise InputError(f"{self.path}: journal schema {row[0]}, this version reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes of one bar in one transaction (durable at its end)."""
        self._batch_depth += 1
        if self._batch_depth == 1:
            self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            if self._batch_depth == 1:
                self._db.execute("COMMIT")  # keep what was journaled before the failure
            raise
        else:
            if self._batch_depth == 1:
                self._db.execute("COMMIT")
        finally:
            self._batch_depth -= 1

    def _exec(self, sql: str, args: Iterable[Any] = ()) -> None:
        self._db.execute(sql, tuple(args))

    # -- runs -----------------------------------------------------------------------------

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
        self._exec(
            "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?)",
            (
                run_id,
                kind,
                strategy,
                _iso(started_at),
                str(Decimal(str(initial_cash))),
                json.dumps(config, sort_keys=True, default=str),
                data_fingerprint,
            ),
        )

    def run(self, run_id: str | None = None) -> RunInfo | None:
        sql = "SELECT run_id, kind, strategy, initial_cash, data_fingerprint FROM runs"
        row = self._db.execute(
            sql + (" WHERE run_id=?" if run_id else " ORDER BY started_at LIMIT 1"),
            (run_id,) if run_id else (),
        ).fetchone()
        if row is None:
            return None
        return RunInfo(row[0], row[1], row[2], Decimal(row[3]), row[4])

    # -- decisions ------------------------------------------------------------------------

    def record_signals(self, run_id: str, time: datetime, signals: pd.Series) -> None:
        clean = signals.dropna()
        self._db.executemany(
            "INSERT INTO signals VALUES (?,?,?,?)",
            [(run_id, _iso(time), str(s), float(v)) for s, v in clean.items()],
        )

    def record_risk_decisions(self, run_id: str, time: datetime, decisions: Iterable[Any]) -> None:
        self._db.executemany(
            "INSERT INTO risk_decisions VALUES (?,?,?,?,?,?,?,?)",
            [
                (run_id, _iso(time), d.symbol, str(d.reason), str(d.action), d.requested, d.approved, d.detail)
                for d in decisions
            ],
        )

    # -- orders ---------------------------------------------------------------------------

    def record_intent(self, run_id: str, order: Order) -> None:
        """Before the broker hears of it: the order as we mean to send it."""
        self._exec(
            "INSERT OR IGNORE INTO intents VALUES (?,?,?,?)",
            (order.client_order_id, run_id, _iso(order.created_at), order.to_json()),
        )
        self.record_order(run_id, order)
        if self._batch_depth:  # durable before the broker hears of it, even inside a bar's batch
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")

    def record_order(self, run_id: str, order: Order) -> None:
        self._exec(
            "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(client_order_id) DO UPDATE SET broker_order_id=excluded.broker_order_id,"
            " filled_qty=excluded.filled_qty, filled_avg_price=excluded.filled_avg_price,"
            " status=excluded.status, arrival_price=excluded.arrival_price,"
            " updated_at=excluded.updated_at, order_json=excluded.order_json",
            (
                order.client_order_id,
                run_id,
                order.broker_order_id,
                order.symbol,
                order.side.value,
                order.type.value,
                _s(order.qty),
                _s(order.notional),
                _s(order.limit_price),
                _s(order.stop_price),
                order.time_in_force.value,
                str(order.filled_qty),
                _s(order.filled_avg_price),
                order.status.value,
                _s(order.decision_price),
                _s(order.arrival_price),
                _iso(order.created_at),
                _iso(order.updated_at) if order.updated_at else None,
                order.tag,
                order.to_json(),
            ),
        )

    def record_event(self, client_order_id: str, event: str, status: str, time: datetime, detail: str = "") -> None:
        self._exec(
            "INSERT INTO order_events (client_order_id, event, status, time, detail) VALUES (?,?,?,?,?)",
            (client_order_id, event, status, _iso(time), detail),
        )

    def record_update(self, run_id: str, update: OrderUpdate) -> None:
        self.record_event(update.order.client_order_id, update.event.value, update.order.status.value, update.timestamp)
        if update.fill is not None:
            self.record_fill(update.fill)

    def record_fill(self, fill: Fill) -> bool:
        """False when the execution id is already journaled (a replayed update)."""
        seq = self._db.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        cur = self._db.execute(
            "INSERT OR IGNORE INTO fills VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                fill.execution_id,
                seq,
                fill.client_order_id,
                fill.broker_order_id,
                fill.symbol,
                fill.side.value,
                str(fill.qty),
                str(fill.price),
                str(fill.commission),
                _iso(fill.timestamp),
            ),
        )
        return cur.rowcount == 1

    def orders(self, *, open_only: bool = False) -> list[Order]:
        rows = self._db.execute("SELECT order_json FROM orders ORDER BY rowid")
        found = [Order.from_json(r[0]) for r in rows]
        return [o for o in found if o.is_open] if open_only else found

    def order(self, client_order_id: str) -> Order | None:
        row = self._db.execute("SELECT order_json FROM orders WHERE client_order_id=?", (client_order_id,)).fetchone()
        return Order.from_json(row[0]) if row else None

    def fills(self) -> list[Fill]:
        rows = self._db.execute(
            "SELECT execution_id, client_order_id, symbol, side, qty, price, time, commission,"
            " broker_order_id FROM fills ORDER BY seq"
        )
        return [Fill(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]

    # -- snapshots ------------------------------------------------------------------------

    def record_equity(
        self, run_id: str, time: datetime, cash: Decimal, equity: Decimal, positions_value: Decimal
    ) -> None:
        self._exec(
            "INSERT OR REPLACE INTO equity VALUES (?,?,?,?,?)",
            (run_id, _iso(time), str(cash), str(equity), str(positions_value)),
        )

    def record_positions(
        self, run_id: str, time: datetime, rows: Iterable[tuple[str, Decimal, Decimal, Decimal | None]]
    ) -> None:
        self._db.executemany(
            "INSERT INTO positions VALUES (?,?,?,?,?,?)",
            [(run_id, _iso(time), s, str(q), str(c), _s(p)) for s, q, c, p in rows],
        )

    def equity_curve(self, run_id: str | None = None) -> pd.DataFrame:
        sql = "SELECT time, cash, equity, positions_value FROM equity"
        args: tuple[Any, ...] = ()
        if run_id:
            sql, args = sql + " WHERE run_id=?", (run_id,)
        frame = pd.read_sql_query(sql + " ORDER BY time", self._db, params=args)
        for column in ("cash", "equity", "positions_value"):
            frame[column] = frame[column].astype(float)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame (for reports and run folders)."""
        if name not in {
            "runs",
            "signals",
            "risk_decisions",
            "intents",
            "orders",
            "order_events",
            "fills",
            "positions",
            "equity",
            "halt",
        }:
            raise ValueError(f"unknown journal table {name!r}")
        return pd.read_sql_query(f"SELECT * FROM {name}", self._db)

    # -- halt -----------------------------------------------------------------------------

    def set_halt(self, halted: bool, reason: str, since: datetime, scope: str = "persistent") -> None:
        self._exec("INSERT OR REPLACE INTO halt VALUES (1, ?, ?, ?, ?)", (int(halted), reason, _iso(since), scope))
        self.record_event("*", "halt" if halted else "resume", scope, since, reason)

    def halt_state(self) -> HaltState:
        row = self._db.execute("SELECT halted, reason, since, scope FROM halt WHERE id=1").fetchone()
        return HaltState(bool(row[0]), row[1], row[2], row[3]) if row else HaltState(False)
