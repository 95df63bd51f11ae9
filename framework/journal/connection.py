"""The journal's one connection policy: the SQLite file (WAL), its durability, the schema and its
migrations, transactions and the write queue; and the read-only opening a reader (the dashboard)
uses while a writer works.

Inside a transaction (:meth:`JournalConnection.batch`) writes are queued and reach SQLite in bulk
at the commit, or before any read; nothing inside a transaction was durable before its commit
anyway, so queuing changes only the cost. Rows written "latest wins" (an order's state) are
coalesced per key and written after the queued inserts.

A private journal may leave tables out (``leave_out``): it writes no rows to them (a sweep point
whose journal is not kept: nothing reads its signals or positions back).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from framework.journal.schema import SCHEMA, SCHEMA_VERSION, TABLES, migrate_v1

MAX_QUEUED_ROWS = 20_000  # a long transaction's queue goes to SQLite in slices this size
BUSY_TIMEOUT = 30.0  # seconds a write waits for another process's short write transaction

#: the table an INSERT or UPDATE statement writes
_WRITTEN_TABLE = re.compile(r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?)\s+(\w+)", re.IGNORECASE)


@lru_cache(maxsize=8192)
def iso(t: datetime) -> str:
    """UTC ISO 8601 text (memoised: a bar's time is written with every row of the bar)."""
    return t.astimezone(UTC).isoformat()


def text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class JournalConnection:
    """One connection to one journal file; every part of the journal writes and reads through it."""

    def __init__(self, path: Path | str, *, durable: bool = True, leave_out: Iterable[str] = ()) -> None:
        """``durable=False`` keeps the journal in memory and writes it to ``path`` whole when it
        is closed (SQLite's online backup), starting from the file's content if there is one:
        every commit and read keeps its meaning at no I/O cost, and the file always holds a
        consistent journal, but a process killed before :meth:`close` leaves the file as it was
        (and the write is not fsynced: a power cut right after it may lose it).
        For a backtest, whose journal is rebuilt by running it again; an account's journal is
        durable: every commit reaches the disk (WAL, ``synchronous=NORMAL``).

        ``leave_out``: tables a private journal writes no rows to, for a run whose journal only its
        figures read back (a sweep point that is not kept: its signals and positions are two thirds
        of its rows, inserted for nothing). The rows kept are the rows, in the order, of a whole
        journal (left-out rows count toward the write queue's slices, so the kept ones reach
        SQLite at the same moments); a read of a table after rows of it were left out raises
        instead of answering from a part. An account's (durable) journal keeps every row."""
        leave = frozenset(leave_out)
        if leave - TABLES:
            raise ValueError(f"unknown journal table {sorted(leave - TABLES)[0]!r}")
        if leave and durable:
            raise ValueError("a durable journal (an account's) keeps every row: leave_out is for a backtest's")
        self.path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._save_to: Path | None = None if durable or memory else self.path
        # In memory, no other process can write it: what it last read of a shared flag (the
        # halt) still holds until this journal writes it again (a shared file is read every time).
        self._private = memory or self._save_to is not None
        self._db = sqlite3.connect(
            ":memory:" if self._save_to else str(path), isolation_level=None, check_same_thread=False,
            timeout=BUSY_TIMEOUT,
        )
        if self._save_to and self._save_to.exists():
            with closing(sqlite3.connect(self._save_to)) as saved:
                saved.backup(self._db)
        self._db.execute("PRAGMA journal_mode=WAL")  # an in-memory database keeps its own mode
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._check_version()
        self._batch_depth = 0
        self._in_transaction = False  # a private journal's batch holds one open transaction
        self._queued: dict[str, list[tuple[Any, ...]]] = {}  # statement -> rows, in arrival order
        self._queued_rows = 0
        self._latest: dict[str, dict[str, tuple[Any, ...]]] = {}  # statement -> key -> latest row
        self._leave_out = leave
        self._leaving: dict[str, str] = {}  # statement -> the left-out table it writes, or ""
        self._left_out: set[str] = set()  # tables some rows of which were left out
        self._opened()

    def _opened(self) -> None:
        """After the connection (and after :meth:`scratch_copy` loads a journal): the parts read
        what they keep in memory. Parts extend it, calling ``super()._opened()``."""

    @classmethod
    def scratch_copy(cls, path: Path | str) -> Any:
        """The journal at ``path`` copied into memory: every read sees its content, every write
        stays in memory and is gone at close (a dry run). A missing file is an empty journal."""
        journal = cls(":memory:")
        source = Path(path)
        if source.exists():
            with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as saved:
                saved.backup(journal._db)
            journal._db.executescript(SCHEMA)
            journal._check_version()
            journal._opened()
        return journal

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) == 1:
            migrate_v1(self._db)
        elif int(row[0]) != SCHEMA_VERSION:
            from framework.errors import InputError

            raise InputError(f"{self.path}: journal schema {row[0]}, this version reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self._flush()
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
        """Group writes: queued, and written together at the end (or before a read that must see
        them). A private journal (a backtest's) holds one transaction for the whole batch. A shared
        one (an account's, which `trade halt`, `trade watch` and the dashboard write too) holds
        none: each write of the queue is one short ``BEGIN IMMEDIATE`` transaction, so a batch that
        spans broker I/O never holds a lock or a stale snapshot — another process writes at any
        time, and every read sees what it wrote."""
        self._batch_depth += 1
        if self._batch_depth == 1 and self._private:
            self._db.execute("BEGIN")
            self._in_transaction = True
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:  # on failure too: keep what was journaled before it
                self._commit()

    def _commit(self) -> None:
        if not self._in_transaction:
            self._flush()
            return
        try:
            self._flush()
        finally:
            self._db.execute("COMMIT")
            self._in_transaction = False

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """One short write transaction (inside a private journal's batch: the batch's own)."""
        if self._in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _durable_now(self) -> None:
        """What was executed so far is committed, even inside a private journal's transaction
        (which goes on); rows still queued stay queued."""
        if self._in_transaction:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")

    def _write(self, sql: str, row: tuple[Any, ...]) -> None:
        self._write_many(sql, [row])

    def _write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self._leave_out and self._left(sql, len(rows)):
            return
        if self._batch_depth:
            self._queued.setdefault(sql, []).extend(rows)
            self._queued_rows += len(rows)
            if self._queued_rows >= MAX_QUEUED_ROWS:
                self._flush()
        else:
            self._db.executemany(sql, rows)

    def _write_latest(self, sql: str, key: str, row: tuple[Any, ...]) -> None:
        """A row of which only the latest per ``key`` matters (inside a transaction: coalesced,
        written after the queued inserts)."""
        if self._leave_out and self._left(sql, 0):
            return
        if self._batch_depth:
            self._latest.setdefault(sql, {})[key] = row
        else:
            self._db.execute(sql, row)

    def keeps(self, table: str) -> bool:
        """Whether rows written to ``table`` are kept (see ``leave_out``): a writer may skip
        building rows that would be left out."""
        return table not in self._leave_out

    def _left(self, sql: str, rows: int) -> bool:
        """Whether ``sql`` writes a left-out table; if so its ``rows`` are counted as left out."""
        table = self._leaving[sql] if sql in self._leaving else self._leaving_table(sql)
        if table:
            self._leave(table, rows)
        return bool(table)

    def _leaving_table(self, sql: str) -> str:
        """The left-out table ``sql`` writes, or "" (remembered per statement)."""
        table = _WRITTEN_TABLE.match(sql)
        name = table.group(1) if table and table.group(1) in self._leave_out else ""
        self._leaving[sql] = name
        return name

    def _leave(self, table: str, rows: int) -> None:
        """Rows of ``table`` not written; they count toward the queue's slices as if queued (the
        rows kept are flushed when a whole journal would flush them)."""
        self._left_out.add(table)
        if self._batch_depth:
            self._queued_rows += rows
            if self._queued_rows >= MAX_QUEUED_ROWS:
                self._flush()

    def _forget_latest(self, sql: str, key: str) -> None:
        self._latest.get(sql, {}).pop(key, None)

    def _complete_queue(self) -> None:
        """Before the queue is written: a writer that keeps rows' later changes aside completes
        them here (:class:`~framework.journal.orders.OrderLog`: an order's latest state)."""

    def _flush(self) -> None:
        """Queued rows into SQLite: inserts first (in order), then the latest rows. A write that
        fails (the journal busy past the timeout) keeps the queue for the next try."""
        self._complete_queue()
        queued, latest = self._queued, self._latest
        if not queued and not any(latest.values()):
            self._queued_rows = 0  # rows left out only (see leave_out)
            return
        with self._immediate():
            for sql, rows in queued.items():
                self._db.executemany(sql, rows)
            for sql, by_key in latest.items():
                if by_key:
                    self._db.executemany(sql, list(by_key.values()))
        self._queued, self._latest, self._queued_rows = {}, {}, 0

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        self._check_whole(sql)
        self._flush()
        return self._db.execute(sql, args)

    def _frame(self, sql: str, args: tuple[Any, ...] | None = None) -> pd.DataFrame:
        self._check_whole(sql)
        self._flush()
        return pd.read_sql_query(sql, self._db, params=args)

    def _check_whole(self, sql: str) -> None:
        """A read of a table rows of which were left out (``leave_out``) would answer from a part."""
        for table in self._left_out:
            if re.search(rf"\b{table}\b", sql):
                raise RuntimeError(f"journal table {table!r} is read but its rows were left out (leave_out)")

    def table(self, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
        """A whole table as a DataFrame (for reports and run folders), rows in the order they were
        written; ``columns``: only these (a summary reads a few columns of wide tables: reading an
        order's JSON costs more than the figures made from it)."""
        if name not in TABLES:
            raise ValueError(f"unknown journal table {name!r}")
        if not columns:
            return self._frame(f"SELECT * FROM {name}")
        unknown = set(columns) - self._columns(name)
        if unknown:
            raise ValueError(f"journal table {name!r} has no column {sorted(unknown)[0]!r}")
        # rowid order, as SELECT * scans: a few columns could otherwise be read from an index
        return self._frame(f"SELECT {', '.join(columns)} FROM {name} ORDER BY rowid")

    def _columns(self, name: str) -> set[str]:
        return {row[1] for row in self._read(f"PRAGMA table_info({name})")}


class ReadOnlyJournal:
    """A journal file opened read-only (``mode=ro``), beside a writer in another process
    (SQLite's WAL lets one reader and one writer work at once): the dashboard's view.

    :meth:`version` changes whenever another connection commits (SQLite's ``data_version`` with
    the file's and its WAL's size and time), so a reader reads the tables again only then.
    """

    def __init__(self, path: Path) -> None:
        from framework.errors import InputError

        if not path.is_file():
            raise InputError(f"{path}: no journal there")
        self.path = path
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self._db.execute("SELECT 1 FROM runs LIMIT 1")
        except sqlite3.Error as e:
            raise InputError(f"{path}: not a readable journal ({e})") from None

    def close(self) -> None:
        self._db.close()

    def version(self) -> tuple[int, int, int]:
        stat = self.path.stat()
        wal = self.path.with_name(self.path.name + "-wal")
        wal_stamp = wal.stat().st_mtime_ns if wal.exists() else 0
        data = self._db.execute("PRAGMA data_version").fetchone()[0]
        return data, stat.st_mtime_ns + stat.st_size, wal_stamp

    def table(self, name: str) -> pd.DataFrame:
        """A whole table; an empty frame for a table an older journal does not have."""
        if name not in TABLES:
            raise ValueError(f"unknown journal table {name!r}")
        try:
            return pd.read_sql_query(f"SELECT * FROM {name}", self._db)
        except (sqlite3.Error, pd.errors.DatabaseError):
            return pd.DataFrame()


__all__ = [
    "BUSY_TIMEOUT", "MAX_QUEUED_ROWS", "JournalConnection", "ReadOnlyJournal", "decimal", "iso", "text",
]
