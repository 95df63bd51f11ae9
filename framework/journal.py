"""The journal: one SQLite file (WAL) holding every decision, intent, order, event and fill.

Written *before* acting: the intents of a decision are committed before the broker hears of
any of them, and every broker answer is journaled before the engine acts on it, so a crash at
any line loses nothing and a restart rebuilds the portfolio and the open orders exactly. (A
backtest, re-run rather than recovered, keeps its journal in memory and writes the file whole at
the end: ``Journal(path, durable=False)``.)

Inside a transaction (:meth:`Journal.batch`) writes are queued and reach SQLite in bulk at the
commit, or before any read; nothing inside a transaction was durable before its commit anyway,
so queuing changes only the cost. An order row keeps the order's definition as first journaled
(``order_json``) and its current state in columns; readers get both put together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framework.fills import Fill
from framework.orders import Order
from framework.venue.corporate import ActionKind, CorporateAction

SCHEMA_VERSION = 2
MAX_QUEUED_ROWS = 20_000  # a long transaction's queue goes to SQLite in slices this size
PEAK_MARK = "peak"  # the marks' source of a drawdown peak journaled by a resume

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
    since TEXT NOT NULL, scope TEXT NOT NULL, session TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS adjustments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, after_fill_seq INTEGER NOT NULL,
    time TEXT NOT NULL, symbol TEXT NOT NULL, qty TEXT, avg_cost TEXT, cash TEXT);
CREATE TABLE IF NOT EXISTS corporate_actions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, after_fill_seq INTEGER NOT NULL,
    time TEXT NOT NULL, symbol TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    ex_date TEXT NOT NULL, UNIQUE (run_id, symbol, kind, ex_date));
CREATE TABLE IF NOT EXISTS marks (
    run_id TEXT NOT NULL, time TEXT NOT NULL, source TEXT NOT NULL, session TEXT NOT NULL,
    equity TEXT NOT NULL, cash TEXT NOT NULL, baseline TEXT);
CREATE TABLE IF NOT EXISTS foreign_orders (
    client_order_id TEXT PRIMARY KEY, broker_order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL,
    type TEXT NOT NULL, qty TEXT, filled_qty TEXT NOT NULL, filled_avg_price TEXT, status TEXT NOT NULL,
    first_seen TEXT NOT NULL, order_json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS idx_fills_order ON fills(client_order_id);
CREATE INDEX IF NOT EXISTS idx_fills_seq ON fills(seq);
"""

_UPSERT_ORDER = (
    "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(client_order_id) DO UPDATE SET broker_order_id=excluded.broker_order_id,"
    " filled_qty=excluded.filled_qty, filled_avg_price=excluded.filled_avg_price,"
    " status=excluded.status, arrival_price=excluded.arrival_price, updated_at=excluded.updated_at"
)
_UPDATE_STATE = (
    "UPDATE orders SET broker_order_id=?, filled_qty=?, filled_avg_price=?, status=?, arrival_price=?,"
    " updated_at=? WHERE client_order_id=?"
)
_ORDER_COLUMNS = "order_json, status, broker_order_id, filled_qty, filled_avg_price, arrival_price, updated_at"
_INSERT_EVENT = "INSERT INTO order_events (client_order_id, event, status, time, detail) VALUES (?,?,?,?,?)"
_INSERT_FILL = "INSERT OR IGNORE INTO fills VALUES (?,IFNULL((SELECT MAX(seq) FROM fills), -1) + 1,?,?,?,?,?,?,?,?)"


@lru_cache(maxsize=8192)
def _iso(t: datetime) -> str:
    """UTC ISO 8601 text (memoised: a bar's time is written with every row of the bar)."""
    return t.astimezone(UTC).isoformat()


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _order_row(run_id: str, order: Order, order_json: str) -> tuple[Any, ...]:
    return (
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
        order_json,
    )


def _state_row(order: Order) -> tuple[Any, ...]:
    return (
        order.broker_order_id,
        str(order.filled_qty),
        _s(order.filled_avg_price),
        order.status.value,
        _s(order.arrival_price),
        _iso(order.updated_at) if order.updated_at else None,
        order.client_order_id,
    )


def _restore(row: tuple[Any, ...]) -> Order:
    """An order from its journaled definition and current state columns."""
    text, status, broker_id, filled_qty, filled_avg, arrival, updated = row
    return Order.from_json(text).restored(
        status=status,
        broker_order_id=broker_id,
        filled_qty=filled_qty,
        filled_avg_price=filled_avg,
        arrival_price=arrival,
        updated_at=updated,
    )


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


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@dataclass(frozen=True, slots=True)
class EventRow:
    """One ``order_events`` row (``client_order_id`` "*": an account event: halt, reconcile, ...)."""

    seq: int
    client_order_id: str
    event: str
    status: str
    time: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    kind: str
    strategy: str
    initial_cash: Decimal
    data_fingerprint: str


class Journal:
    """One journal per run (backtest) or per account (paper)."""

    def __init__(self, path: Path | str, *, durable: bool = True) -> None:
        """``durable=False`` keeps the journal in memory and writes it to ``path`` whole when it
        is closed (SQLite's online backup), starting from the file's content if there is one:
        every commit and read keeps its meaning at no I/O cost, and the file always holds a
        consistent journal, but a process killed before :meth:`close` leaves the file as it was
        (and the write is not fsynced: a power cut right after it may lose it).
        For a backtest, whose journal is rebuilt by running it again; an account's journal is
        durable: every commit reaches the disk (WAL, ``synchronous=NORMAL``)."""
        self.path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._save_to: Path | None = None if durable or memory else self.path
        # In memory, no other process can write it: what it last read of the halt still holds
        # until this journal writes the halt again (a shared file is read every time).
        self._private = memory or self._save_to is not None
        self._halt: HaltState | None = None
        self._db = sqlite3.connect(
            ":memory:" if self._save_to else str(path), isolation_level=None, check_same_thread=False
        )
        if self._save_to and self._save_to.exists():
            with closing(sqlite3.connect(self._save_to)) as saved:
                saved.backup(self._db)
        self._db.execute("PRAGMA journal_mode=WAL")  # an in-memory database keeps its own mode
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._check_version()
        self._batch_depth = 0
        self._queued: dict[str, list[tuple[Any, ...]]] = {}  # statement -> rows, in arrival order
        self._queued_rows = 0
        self._states: dict[str, tuple[Any, ...]] = {}  # client id -> latest state row (coalesced)
        self._known = {r[0] for r in self._db.execute("SELECT client_order_id FROM orders")}
        self._peer: sqlite3.Connection | None = None  # a second connection: the latest commits, mid-transaction

    @classmethod
    def scratch_copy(cls, path: Path | str) -> Journal:
        """The journal at ``path`` copied into memory: every read sees its content, every write
        stays in memory and is gone at close (a dry run). A missing file is an empty journal."""
        journal = cls(":memory:")
        source = Path(path)
        if source.exists():
            with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as saved:
                saved.backup(journal._db)
            journal._db.executescript(SCHEMA)
            journal._check_version()
            journal._known = {r[0] for r in journal._db.execute("SELECT client_order_id FROM orders")}
        return journal

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) == 1:
            self._migrate_v1()
        elif int(row[0]) != SCHEMA_VERSION:
            from framework.errors import InputError

            raise InputError(f"{self.path}: journal schema {row[0]}, this version reads {SCHEMA_VERSION}")

    def _migrate_v1(self) -> None:
        """v1 → v2: the halt's session (one clock for lifting a daily-loss halt); the adjustments
        table (`CREATE ... IF NOT EXISTS` above made it) for reconciliation adoptions."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(halt)")}
        if "session" not in columns:
            self._db.execute("ALTER TABLE halt ADD COLUMN session TEXT NOT NULL DEFAULT ''")
        self._db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._flush()
        if self._peer is not None:
            self._peer.close()
            self._peer = None
        save_to, self._save_to = self._save_to, None  # closing twice writes once
        if save_to:
            with closing(sqlite3.connect(save_to)) as saved:
                saved.execute("PRAGMA synchronous=OFF")  # reaches the OS, not the platter: see __init__
                self._db.backup(saved)
        self._db.close()

    # -- transactions and the write queue ---------------------------------------------------

    @property
    def in_batch(self) -> bool:
        return self._batch_depth > 0

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes in one transaction (durable at its end)."""
        self._batch_depth += 1
        if self._batch_depth == 1:
            self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:  # on failure too: keep what was journaled before it
                self._commit()

    def _commit(self) -> None:
        try:
            self._flush()
        finally:
            self._db.execute("COMMIT")

    def _write(self, sql: str, row: tuple[Any, ...]) -> None:
        self._write_many(sql, [row])

    def _write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self._batch_depth:
            self._queued.setdefault(sql, []).extend(rows)
            self._queued_rows += len(rows)
            if self._queued_rows >= MAX_QUEUED_ROWS:
                self._flush()
        else:
            self._db.executemany(sql, rows)

    def _flush(self) -> None:
        """Queued rows into SQLite: inserts first (in order), then the orders' latest states."""
        queued, states = self._queued, self._states
        self._queued, self._states, self._queued_rows = {}, {}, 0
        for sql, rows in queued.items():
            self._db.executemany(sql, rows)
        if states:
            self._db.executemany(_UPDATE_STATE, list(states.values()))

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        self._flush()
        return self._db.execute(sql, args)

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
        self._write(
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
        row = self._read(
            sql + (" WHERE run_id=?" if run_id else " ORDER BY started_at LIMIT 1"),
            (run_id,) if run_id else (),
        ).fetchone()
        if row is None:
            return None
        return RunInfo(row[0], row[1], row[2], Decimal(row[3]), row[4])

    # -- decisions ------------------------------------------------------------------------

    def record_signals(self, run_id: str, time: datetime, symbols: Sequence[str], values: np.ndarray) -> None:
        """One row per symbol with a view (NaN: none) at ``time``; ``values`` align to ``symbols``."""
        when = _iso(time)
        self._write_many(
            "INSERT INTO signals VALUES (?,?,?,?)",
            [(run_id, when, s, v) for s, v in zip(symbols, values.tolist(), strict=True) if v == v],
        )

    def record_risk_decisions(self, run_id: str, time: datetime, decisions: Iterable[Any]) -> None:
        when = _iso(time)
        self._write_many(
            "INSERT INTO risk_decisions VALUES (?,?,?,?,?,?,?,?)",
            [(run_id, when, d.symbol, str(d.reason), str(d.action), d.requested, d.approved, d.detail)
             for d in decisions],
        )

    # -- orders ---------------------------------------------------------------------------

    def record_intent(self, run_id: str, order: Order) -> None:
        """Before the broker hears of it: the order as we mean to send it."""
        self.record_intents(run_id, [order])

    def record_intents(self, run_id: str, orders: Sequence[Order], session: datetime | None = None) -> None:
        """Every order of a decision as we mean to send it, durable (committed) before the
        broker hears of any, even inside a transaction. Rows still queued (other tables, other
        orders' states) stay queued: only the intents must be durable before the send.
        ``session``: the decision session they belong to (a restart withdraws intents of an
        earlier session instead of sending them late); default: each order's creation time."""
        if not orders:
            return
        encoded = [(order, order.to_json()) for order in orders]
        self._db.executemany(
            "INSERT OR IGNORE INTO intents VALUES (?,?,?,?)",
            [(o.client_order_id, run_id, _iso(session or o.created_at), text) for o, text in encoded],
        )
        self._db.executemany(_UPSERT_ORDER, [_order_row(run_id, o, text) for o, text in encoded])
        self._known.update(o.client_order_id for o in orders)
        if self._batch_depth:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")

    def record_order(self, run_id: str, order: Order) -> None:
        """A new order (definition and state), or the new state of a journaled one."""
        cid = order.client_order_id
        if cid in self._known:
            if self._batch_depth:
                self._states[cid] = _state_row(order)
            else:
                self._db.execute(_UPDATE_STATE, _state_row(order))
            return
        self._states.pop(cid, None)
        self._write(_UPSERT_ORDER, _order_row(run_id, order, order.to_json()))
        self._known.add(cid)

    def record_event(self, client_order_id: str, event: str, status: str, time: datetime, detail: str = "") -> None:
        self._write(_INSERT_EVENT, (client_order_id, event, status, _iso(time), detail))

    def record_fill(self, fill: Fill) -> None:
        """A fill already journaled (same execution id: a replayed update) is ignored."""
        self._write(
            _INSERT_FILL,
            (
                fill.execution_id,
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

    def intent_sessions(self) -> dict[str, datetime]:
        """Each journaled intent's decision session."""
        rows = self._read("SELECT client_order_id, time FROM intents")
        return {cid: datetime.fromisoformat(when) for cid, when in rows}

    def orders(self, *, open_only: bool = False) -> list[Order]:
        found = [_restore(r) for r in self._read(f"SELECT {_ORDER_COLUMNS} FROM orders ORDER BY rowid")]
        return [o for o in found if o.is_open] if open_only else found

    def order(self, client_order_id: str) -> Order | None:
        row = self._read(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE client_order_id=?", (client_order_id,)).fetchone()
        return _restore(row) if row else None

    def fills(self) -> list[Fill]:
        rows = self._read(
            "SELECT execution_id, client_order_id, symbol, side, qty, price, time, commission,"
            " broker_order_id FROM fills ORDER BY seq"
        )
        return [Fill(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]

    # -- snapshots ------------------------------------------------------------------------

    def record_equity(
        self, run_id: str, time: datetime, cash: Decimal, equity: Decimal, positions_value: Decimal
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO equity VALUES (?,?,?,?,?)",
            (run_id, _iso(time), str(cash), str(equity), str(positions_value)),
        )

    def record_positions(
        self, run_id: str, time: datetime, rows: Iterable[tuple[str, Decimal, Decimal, Decimal | None]]
    ) -> None:
        when = _iso(time)
        self._write_many(
            "INSERT INTO positions VALUES (?,?,?,?,?,?)",
            [(run_id, when, s, str(q), str(c), _s(p)) for s, q, c, p in rows],
        )

    def equity_curve(self, run_id: str | None = None) -> pd.DataFrame:
        sql = "SELECT time, cash, equity, positions_value FROM equity"
        args: tuple[Any, ...] = ()
        if run_id:
            sql, args = sql + " WHERE run_id=?", (run_id,)
        self._flush()
        frame = pd.read_sql_query(sql + " ORDER BY time", self._db, params=args)
        for column in ("cash", "equity", "positions_value"):
            frame[column] = frame[column].astype(float)
        frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
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
            "adjustments",
            "corporate_actions",
            "marks",
            "foreign_orders",
        }:
            raise ValueError(f"unknown journal table {name!r}")
        self._flush()
        return pd.read_sql_query(f"SELECT * FROM {name}", self._db)

    # -- halt -----------------------------------------------------------------------------

    def set_halt(
        self, halted: bool, reason: str, since: datetime, scope: str = "persistent", session: datetime | None = None
    ) -> None:
        """``since``: the venue's clock when it happened; ``session``: the decision session it
        covers (a daily-loss halt lifts at the first decision of a later session)."""
        self._write(
            "INSERT OR REPLACE INTO halt VALUES (1, ?, ?, ?, ?, ?)",
            (int(halted), reason, _iso(since), scope, _iso(session) if session else ""),
        )
        self._halt = None
        self.record_event("*", "halt" if halted else "resume", scope, since, reason)

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

    # -- marks (intraday and after-close equity, from the venue) ---------------------------

    def record_mark(self, run_id: str, time: datetime, source: str, session: datetime, *, equity: Decimal,
                    cash: Decimal, baseline: Decimal | None) -> None:
        """The account's equity as the venue reported it at ``time`` (``source``: "watch" for an
        intraday poll, "close" for the after-close step); ``baseline``: the equity the daily loss
        is measured from. Marks are observations: the books and the decisions never read them."""
        self._write(
            "INSERT INTO marks VALUES (?,?,?,?,?,?,?)",
            (run_id, _iso(time), source, _iso(session), str(equity), str(cash), _s(baseline)),
        )

    def reset_peaks(self, time: datetime) -> None:
        """An operator's resume: each run's drawdown is measured again from its latest equity (a
        "peak" mark), so a max-drawdown halt, once resumed, does not fire again at the next
        decision on the same loss."""
        self._flush()
        latest = self._db.execute(
            "SELECT run_id, time, equity FROM equity e"
            " WHERE time = (SELECT MAX(time) FROM equity WHERE run_id = e.run_id)"
        ).fetchall()
        for run_id, session, equity in latest:
            self._write("INSERT INTO marks VALUES (?,?,?,?,?,?,?)",
                        (run_id, _iso(time), PEAK_MARK, session, equity, equity, None))

    def peak(self, run_id: str) -> float | None:
        """The drawdown guard's peak as journaled: the highest equity since the last resume (its
        "peak" mark included), or over the whole run when never resumed; None before any decision."""
        self._flush()
        reset = self._db.execute(
            "SELECT time, equity FROM marks WHERE run_id=? AND source=? ORDER BY time DESC, rowid DESC LIMIT 1",
            (run_id, PEAK_MARK)).fetchone()
        if reset is None:
            row = self._db.execute("SELECT MAX(CAST(equity AS REAL)) FROM equity WHERE run_id=?", (run_id,)).fetchone()
            return row[0]
        row = self._db.execute("SELECT MAX(CAST(equity AS REAL)) FROM equity WHERE run_id=? AND time > ?",
                               (run_id, reset[0])).fetchone()
        return max(float(reset[1]), row[0]) if row[0] is not None else float(reset[1])

    def marks(self, run_id: str | None = None, source: str | None = None) -> pd.DataFrame:
        sql, args = "SELECT run_id, time, source, session, equity, cash, baseline FROM marks WHERE 1=1", []
        if run_id:
            sql, args = sql + " AND run_id=?", [*args, run_id]
        if source:
            sql, args = sql + " AND source=?", [*args, source]
        self._flush()
        frame = pd.read_sql_query(sql + " ORDER BY time", self._db, params=tuple(args))
        for column in ("equity", "cash", "baseline"):
            frame[column] = pd.to_numeric(frame[column])
        for column in ("time", "session"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame

    @property
    def shared(self) -> bool:
        """Whether another process may write this journal (an account's file, not a backtest's)."""
        return not self._private

    def halt_state_now(self) -> HaltState:
        """The halt as another process last committed it, read without touching this journal's
        transaction: a read inside it would see the transaction's snapshot (WAL), not a halt that
        landed since, and flushing the queued writes to read would hold the write lock across the
        broker calls that follow (an operator's `trade halt` would then wait on it)."""
        if self._private:  # no other process writes it
            return self.halt_state()
        if self._peer is None:
            self._peer = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                         check_same_thread=False, timeout=30)
        row = self._peer.execute("SELECT halted, reason, since, scope, session FROM halt WHERE id=1").fetchone()
        return HaltState(bool(row[0]), row[1], row[2], row[3], row[4]) if row else HaltState(False)

    def halt_state(self) -> HaltState:
        if self._halt is not None:
            return self._halt
        row = self._read("SELECT halted, reason, since, scope, session FROM halt WHERE id=1").fetchone()
        state = HaltState(bool(row[0]), row[1], row[2], row[3], row[4]) if row else HaltState(False)
        if self._private:
            self._halt = state
        return state

    # -- foreign orders ---------------------------------------------------------------------

    def record_foreign(self, order: Order, seen: datetime) -> bool:
        """An order at the venue with no journaled intent (placed by hand, by another program):
        kept apart from ours, its latest state updated. True the first time it is seen (report it
        then, once)."""
        self._flush()
        new = self._db.execute("SELECT 1 FROM foreign_orders WHERE client_order_id=?",
                               (order.client_order_id,)).fetchone() is None
        self._write(
            "INSERT INTO foreign_orders VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(client_order_id) DO UPDATE SET"
            " filled_qty=excluded.filled_qty, filled_avg_price=excluded.filled_avg_price, status=excluded.status,"
            " order_json=excluded.order_json",
            (order.client_order_id, order.broker_order_id, order.symbol, order.side.value, order.type.value,
             _s(order.qty), str(order.filled_qty), _s(order.filled_avg_price), order.status.value, _iso(seen),
             order.to_json()),
        )
        return new

    def foreign_orders(self, *, open_only: bool = False) -> list[Order]:
        self._flush()
        rows = self._db.execute("SELECT order_json FROM foreign_orders ORDER BY first_seen, client_order_id")
        orders = [Order.from_json(r[0]) for r in rows]
        return [o for o in orders if o.is_open] if open_only else orders

    def is_foreign(self, client_order_id: str) -> bool:
        self._flush()
        return self._db.execute("SELECT 1 FROM foreign_orders WHERE client_order_id=?",
                                (client_order_id,)).fetchone() is not None

    # -- reconciliation -------------------------------------------------------------------

    def record_adjustment(
        self, run_id: str, time: datetime, symbol: str, *, qty: Decimal | None = None,
        avg_cost: Decimal | None = None, cash: Decimal | None = None,
    ) -> None:
        """The broker's value adopted over ours (``symbol`` "*": cash), in order with the fills,
        so a restart rebuilds the books with it and reports the difference no more."""
        self._write(
            "INSERT INTO adjustments (run_id, after_fill_seq, time, symbol, qty, avg_cost, cash)"
            " VALUES (?, IFNULL((SELECT MAX(seq) FROM fills), -1), ?, ?, ?, ?, ?)",
            (run_id, _iso(time), symbol, _s(qty), _s(avg_cost), _s(cash)),
        )

    def adjustments(self, run_id: str) -> list[Adjustment]:
        rows = self._read(
            "SELECT after_fill_seq, symbol, qty, avg_cost, cash, time FROM adjustments WHERE run_id=? ORDER BY seq",
            (run_id,),
        )
        return [Adjustment(r[0], r[1], _dec(r[2]), _dec(r[3]), _dec(r[4]),
                           datetime.fromisoformat(r[5]) if r[5] else None) for r in rows]

    def record_corporate_action(self, run_id: str, time: datetime, action: CorporateAction) -> None:
        """A split or dividend applied to the books, in order with the fills (a restart replays
        it), once per (symbol, kind, ex-date): applying one twice would rescale twice."""
        self._write(
            "INSERT OR IGNORE INTO corporate_actions (run_id, after_fill_seq, time, symbol, kind, value, ex_date)"
            " VALUES (?, IFNULL((SELECT MAX(seq) FROM fills), -1), ?, ?, ?, ?, ?)",
            (run_id, _iso(time), action.symbol, action.kind.value, str(action.value), action.ex_date.isoformat()),
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

    def position_marks(self, run_id: str) -> list[tuple[datetime, str, Decimal]]:
        """(decision session, symbol, mark) of every journaled position row with a price."""
        rows = self._read(
            "SELECT time, symbol, price FROM positions WHERE run_id=? AND price IS NOT NULL", (run_id,)
        )
        return [(datetime.fromisoformat(r[0]), r[1], Decimal(r[2])) for r in rows]

    def fills_seq_order(self) -> list[tuple[int, Fill]]:
        """Every fill with its position in arrival order (to replay adjustments between them)."""
        rows = self._read(
            "SELECT seq, execution_id, client_order_id, symbol, side, qty, price, time, commission,"
            " broker_order_id FROM fills ORDER BY seq"
        )
        return [(r[0], Fill(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])) for r in rows]

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
