"""A sweep's folder: every finished backtest persisted the moment it arrives, and found again.

Layout of ``--out DIR``::

    cache/<key>.returns.parquet   a finished backtest's daily returns (date, equity, return)
    cache/<key>.json              its figures, run time, worker, or its error: the completion mark
    journals/<key>.sqlite         its journal, only with --keep-journals
    results.parquet               one row per point of the current sweep (rewritten as results arrive)
    returns.parquet               the points' daily returns side by side (dates × point ids)
    walk_forward.parquet          per fold: windows, chosen point, in- and out-of-sample figures
    summary.json, report.html     the verdict (DSR, PBO, walk-forward) and the report

``<key>`` hashes a backtest's full resolved settings and the data's fingerprint, so a rerun
skips exactly the backtests whose inputs are unchanged. Every file is written to a temporary
name and renamed into place: an interrupted sweep leaves whole files or none, and the
``.json`` mark is written last, so a mark always has its returns beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from framework.research.sweep_task import Job, Outcome


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` to a hidden temporary sibling, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, payload: dict[str, Any]) -> None:
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(path, lambda p: p.write_text(text))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda p: frame.to_parquet(p, index=False))


#: Files written only once every backtest of the sweep is back.
VERDICT = ("summary.json", "report.html", "returns.parquet", "walk_forward.parquet")


class SweepStore:
    """The backtests finished so far in one sweep folder, by key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cache = folder / "cache"
        self.journals = folder / "journals"

    def open(self) -> SweepStore:
        self.cache.mkdir(parents=True, exist_ok=True)
        return self

    def forget_verdict(self) -> None:
        """Remove a previous run's verdict: it does not hold for what is about to run."""
        for name in VERDICT:
            (self.folder / name).unlink(missing_ok=True)

    def _mark(self, key: str) -> Path:
        return self.cache / f"{key}.json"

    def _returns(self, key: str) -> Path:
        return self.cache / f"{key}.returns.parquet"

    def finished(self, key: str) -> bool:
        """A backtest that completed (a failed one is run again on the next invocation)."""
        mark = self._mark(key)
        if not mark.is_file() or not self._returns(key).is_file():
            return False
        return json.loads(mark.read_text()).get("error") is None

    def record(self, key: str) -> dict[str, Any] | None:
        mark = self._mark(key)
        return json.loads(mark.read_text()) if mark.is_file() else None

    def returns(self, key: str) -> pd.Series:
        frame = pd.read_parquet(self._returns(key))
        return pd.Series(frame["return"].to_numpy(dtype=float), index=pd.to_datetime(frame["date"]), name=key)

    def save(self, job: Job, outcome: Outcome) -> dict[str, Any]:
        """Persist one outcome (returns, journal, then the mark) and return its record."""
        if outcome.ok and outcome.returns is not None:
            write_parquet(self._returns(job.key), outcome.returns)
            if outcome.journal is not None:
                self.journals.mkdir(exist_ok=True)
                blob = outcome.journal
                atomic_write(self.journals / f"{job.key}.sqlite", lambda p: p.write_bytes(blob))
        record = {
            "key": job.key,
            "name": job.name,
            "status": "ok" if outcome.ok else "failed",
            "error": outcome.error,
            "seconds": round(outcome.seconds, 3),
            "worker": outcome.worker,
            "figures": outcome.figures,
        }
        write_json(self._mark(job.key), record)
        return record


__all__ = ["SweepStore", "atomic_write", "write_json", "write_parquet"]
