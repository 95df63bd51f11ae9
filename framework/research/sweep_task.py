"""One sweep point on a Dask worker: a full backtest through the same engine, in a temp folder.

This is the only code a worker runs, so a worker needs the ``trade`` package (and the
strategy plugins it names) installed, and nothing else: the settings travel as a validated
dict, the market data as the scattered :class:`~framework.data.MarketData`, and the backtest
function (:data:`Backtest`, chosen by the command: the backtrader runner's) by reference. A point that
fails comes back as an :class:`Outcome` with its error, never as an exception, so one bad
point does not stop the sweep.
"""

from __future__ import annotations

import gc
import importlib
import os
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from framework.config import Settings
from framework.data import MarketData
from framework.research.metrics import Metric, measure
from framework.strategy import Strategy


class BacktestRun(Protocol):
    """What a backtest leaves: its journal, and the cash it started from."""

    @property
    def journal_path(self) -> Path: ...

    @property
    def initial_cash(self) -> float: ...


class Backtest(Protocol):
    """A backtest runner (the backtrader runner's, the lean path's): (market, plugin, settings,
    journal path to create) -> the run; ``leave_out``: journal tables nobody reads back."""

    def __call__(self, market: MarketData, strategy: Strategy, settings: Settings, journal_path: Path, /, *,
                 leave_out: Iterable[str] = ()) -> BacktestRun: ...


@dataclass(frozen=True)
class Job:
    """A backtest to run: its resume key, what it is for, and its full resolved settings."""

    key: str
    name: str  # a point id ("p007") or a walk-forward fold ("oos-3")
    settings: dict[str, Any]
    keep_journal: bool = False


@dataclass(frozen=True)
class Outcome:
    key: str
    figures: dict[str, float | int | None] = field(default_factory=dict)
    returns: pd.DataFrame | None = None  # date, equity, return
    seconds: float = 0.0
    error: str | None = None
    worker: str = ""
    journal: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def probe(strategy: str | None = None) -> str:
    """What a worker answers when asked whether it can run sweep points: it imports the
    strategy plugin the sweep names (raising what the import raised, if it cannot)."""
    if strategy is not None:
        from framework.registry import get_strategy

        get_strategy(strategy)
    return worker_name()


def warm_up(backtest: Backtest) -> str:
    """Import what a backtest needs once per worker, before the first point's clock starts."""
    for module in (backtest.__module__, "framework.run_folder", "framework.registry"):
        importlib.import_module(module)
    return worker_name()


def _figures(summary: dict[str, Any], returns: pd.Series) -> dict[str, float | int | None]:
    extra = {m.value: measure(m, returns) for m in (Metric.SORTINO, Metric.CALMAR)}
    out = {**summary, **{k: (v if v == v else None) for k, v in extra.items()}}  # NaN → None
    out["sessions"] = len(returns)
    return out


def _backtest(market: MarketData, job: Job, folder: Path,
              run_backtest: Backtest) -> tuple[dict[str, Any], pd.DataFrame]:
    from framework.journal import UNREAD_BY_RESULTS, Journal
    from framework.registry import get_strategy
    from framework.run_folder import summarise

    settings = Settings.model_validate(job.settings)
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    # not kept: only its figures read it back (equity, orders, fills, events: run_folder.summarise)
    result = run_backtest(market, plugin, settings, folder / "journal.sqlite",
                          leave_out=() if job.keep_journal else UNREAD_BY_RESULTS)
    journal = Journal(result.journal_path)
    try:
        summary, daily = summarise(journal, result.initial_cash)
    finally:
        journal.close()
    returns = daily[["date", "equity", "return"]].reset_index(drop=True)
    series = pd.Series(returns["return"].to_numpy(), index=pd.to_datetime(returns["date"]))
    return _figures(summary, series), returns


@contextmanager
def frozen_heap() -> Iterator[None]:
    """What is alive before a point (the market data, the modules) kept out of the garbage
    collector's scans while it runs (``gc.freeze``; back at the end): a full collection during
    the point then walks only what the point made. Changes when memory is scanned, nothing else."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_job(market: MarketData, job: Job, backtest: Backtest) -> Outcome:
    """Run ``job`` on ``market`` with ``backtest``; any failure is recorded in the outcome."""
    started = time.perf_counter()
    try:
        with frozen_heap(), tempfile.TemporaryDirectory(prefix="trade-sweep-") as tmp:
            figures, returns = _backtest(market, job, Path(tmp), backtest)
            journal = (Path(tmp) / "journal.sqlite").read_bytes() if job.keep_journal else None
    except Exception as e:  # a point's failure is data for the sweep, not the end of it
        message = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return Outcome(job.key, seconds=time.perf_counter() - started, error=f"{type(e).__name__}: {message}",
                       worker=worker_name())
    return Outcome(job.key, figures, returns, time.perf_counter() - started, None, worker_name(), journal)


__all__ = ["Backtest", "BacktestRun", "Job", "Outcome", "probe", "run_job", "warm_up", "worker_name"]
