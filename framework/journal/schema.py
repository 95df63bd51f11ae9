"""The journal's tables (one SQLite file), its schema version and the migrations to it.

Which part writes which table: ``runs`` ``signals`` ``risk_decisions`` ``decision_inputs``
(:mod:`.runs`); ``intents``
``orders`` ``order_events`` ``fills`` (:mod:`.orders`, the write-ahead log); ``positions``
``equity`` ``marks`` (:mod:`.equity`, the read model); ``adjustments`` ``corporate_actions``
(:mod:`.adjustments`); ``halt`` (:mod:`.halt`); ``meta`` (the version, the alert cursors:
:mod:`.alerts`).
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 2

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
CREATE TABLE IF NOT EXISTS decision_inputs (
    run_id TEXT NOT NULL, session TEXT NOT NULL, signal_date TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (run_id, session));
CREATE INDEX IF NOT EXISTS idx_orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS idx_fills_order ON fills(client_order_id);
CREATE INDEX IF NOT EXISTS idx_fills_seq ON fills(seq);
"""

#: the tables a finished run's results (its figures, fills and final value) never read: the record of
#: its decisions, read back only by a restart (a backtest reads them at its start, empty); what a
#: journal only its results read back leaves out (``Journal(..., leave_out=...)``)
UNREAD_BY_RESULTS = frozenset({"signals", "positions", "risk_decisions", "intents"})

#: every table a reader may ask for by name
TABLES = frozenset({
    "runs", "signals", "risk_decisions", "intents", "orders", "order_events", "fills", "positions", "equity",
    "halt", "adjustments", "corporate_actions", "marks", "foreign_orders", "foreign_settled",
    "venue_splits", "decision_inputs",
})


def migrate_v1(db: sqlite3.Connection) -> None:
    """v1 → v2: the halt's session (one clock for lifting a daily-loss halt); the adjustments
    table (``CREATE ... IF NOT EXISTS`` in :data:`SCHEMA` made it) for reconciliation adoptions."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(halt)")}
    if "session" not in columns:
        db.execute("ALTER TABLE halt ADD COLUMN session TEXT NOT NULL DEFAULT ''")
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))


__all__ = ["SCHEMA", "SCHEMA_VERSION", "TABLES", "UNREAD_BY_RESULTS", "migrate_v1"]
