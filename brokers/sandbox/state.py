"""The sandbox's state in SQLite: a restart (of the client or the server) sees the same account."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


class StateStore:
    def __init__(self, path: Path | str, *, reset: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), doc TEXT NOT NULL)")
        if reset:
            self._db.execute("DELETE FROM state")

    def load(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM state WHERE id = 1").fetchone()
        return json.loads(row[0]) if row else None

    def save(self, doc: dict[str, Any]) -> None:
        self._db.execute("INSERT OR REPLACE INTO state VALUES (1, ?)", (json.dumps(doc),))

    def close(self) -> None:
        self._db.close()
