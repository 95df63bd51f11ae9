"""The sandbox's state file is written when the state changed, and a write is not synced to the
disk on its own: the state was saved after every answer (reads included, most of them), and a
synced commit each time cost more than the answer (4 to 6 ms of a loaded disk against 0.1 ms)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from brokers.sandbox.state import StateStore


def test_saving_the_document_already_written_writes_nothing(tmp_path) -> None:
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    try:
        with closing(sqlite3.connect(path)) as reader:
            # SQLite's data_version, as another connection sees it: it moves when a commit lands
            version = lambda: reader.execute("PRAGMA data_version").fetchone()[0]  # noqa: E731
            store.save({"session": 1, "orders": {}})
            after_first = version()
            store.save({"session": 1, "orders": {}})  # a read's answer: the same state
            assert version() == after_first
            store.save({"session": 2, "orders": {}})  # changed: written
            assert version() != after_first
        assert store.load() == {"session": 2, "orders": {}}
    finally:
        store.close()
    again = StateStore(path)  # what was written is what a restart reads
    try:
        assert again.load() == {"session": 2, "orders": {}}
    finally:
        again.close()


def test_a_commit_is_not_synced_on_its_own(tmp_path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    try:
        # WAL with synchronous NORMAL (1): a commit survives the process, not a crash of the machine
        assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert store._db.execute("PRAGMA synchronous").fetchone() == (1,)
    finally:
        store.close()
