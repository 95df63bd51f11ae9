"""Progress on long work: a live bar on a terminal, plain lines in CI and in logs.

Every command that can take more than a couple of seconds (backtest sessions, training folds,
lookahead cuts, report building, data fetches, sweeps) reports through :func:`progress`, so a
person at a terminal sees a bar with an ETA and a log or CI run gets a few readable lines.
The work itself never depends on it: ``Tracker.advance`` only displays.

    with progress(total=len(folds), label="training folds", unit="fold") as tracker:
        for fold in folds:
            ...
            tracker.advance()
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Protocol

#: Plain mode prints a line at most this often (seconds) and at every further 10% of the work.
PLAIN_EVERY_SECONDS = 10.0

_NESTED_SHOWN: ContextVar[bool] = ContextVar("trade_nested_progress", default=False)


@contextmanager
def show_nested_progress() -> Iterator[None]:
    """Show, inside this block, the progress that library code reports with ``nested=True``
    (a plugin's training folds inside a backtest). Elsewhere it stays silent: the same code
    called many times over (a lookahead check, a paper cycle, a test) prints nothing."""
    token = _NESTED_SHOWN.set(True)
    try:
        yield
    finally:
        _NESTED_SHOWN.reset(token)


def _count(n: int | None, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _stopped_word(e: BaseException) -> str:
    return "interrupted" if isinstance(e, KeyboardInterrupt) else "stopped by an error"


class Tracker(Protocol):
    def advance(self, n: int = 1) -> None: ...

    def note(self, text: str) -> None: ...


def interactive(stream: IO[str]) -> bool:
    """A person is watching: a terminal, and not CI (``CI`` set) or ``TRADE_PROGRESS=plain``."""
    if os.environ.get("TRADE_PROGRESS", "").lower() == "plain" or os.environ.get("CI"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _Silent:
    def advance(self, n: int = 1) -> None:
        return None

    def note(self, text: str) -> None:
        return None


class _Plain:
    """A line when work starts, at each further 10% (or every few seconds), and at the end."""

    def __init__(self, total: int | None, label: str, unit: str, stream: IO[str]) -> None:
        self.total, self.label, self.unit, self.stream = total, label, unit, stream
        self.done = 0
        self._started = time.monotonic()
        self._last_line = self._started
        self._last_decile = 0

    def _line(self, text: str) -> None:
        print(f"{self.label}: {text}", file=self.stream, flush=True)

    def start(self) -> None:
        of = f": {_count(self.total, self.unit)}" if self.total else ""
        self._line(f"started{of}")

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        decile = int(10 * self.done / self.total) if self.total else 0
        if decile > self._last_decile or now - self._last_line >= PLAIN_EVERY_SECONDS:
            self._last_decile, self._last_line = decile, now
            self._line(self._status(now))

    def _status(self, now: float) -> str:
        elapsed = now - self._started
        if not self.total:
            return f"{_count(self.done, self.unit)}, {elapsed:.0f} s"
        share = self.done / self.total
        eta = f", about {elapsed / share - elapsed:.0f} s left" if 0 < share < 1 else ""
        return f"{self.done}/{_count(self.total, self.unit)} ({share:.0%}){eta}"

    def note(self, text: str) -> None:
        self._line(text)

    def finish(self, stopped: BaseException | None = None) -> None:
        took = f"{time.monotonic() - self._started:.1f} s"
        if stopped is None:
            self._line(f"done: {_count(self.done, self.unit)} in {took}")
            return
        of = f"{self.done}/{_count(self.total, self.unit)}" if self.total else _count(self.done, self.unit)
        self._line(f"{_stopped_word(stopped)} after {of} in {took}")


class _Bar:
    """rich's live progress bar on the terminal (stderr), with the rate and the time left."""

    def __init__(self, total: int | None, label: str, unit: str, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit + "s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._label = label
        self._task = self._progress.add_task(label, total=total)

    def start(self) -> None:
        self._progress.start()

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)

    def note(self, text: str) -> None:
        self._progress.console.print(text)

    def finish(self, stopped: BaseException | None = None) -> None:
        if stopped is not None:  # the bar stays where it stopped; say why it is not full
            self._progress.update(self._task, description=f"{self._label} ({_stopped_word(stopped)})")
        self._progress.stop()


@contextmanager
def progress(
    total: int | None,
    label: str,
    *,
    unit: str = "step",
    stream: IO[str] | None = None,
    enabled: bool = True,
    nested: bool = False,
) -> Iterator[Tracker]:
    """Report progress of ``total`` steps (None: unknown) on ``stream`` (default stderr).

    ``enabled=False`` reports nothing (a caller's ``--quiet``, or work nested in a bigger job);
    ``nested=True`` reports only inside :func:`show_nested_progress`.
    """
    if not enabled or (nested and not _NESTED_SHOWN.get()):
        yield _Silent()
        return
    out = stream if stream is not None else sys.stderr
    tracker: _Bar | _Plain = _Bar(total, label, unit, out) if interactive(out) else _Plain(total, label, unit, out)
    tracker.start()
    try:
        yield tracker
    except BaseException as e:  # Ctrl-C or a failure: the work is not "done"
        tracker.finish(e)
        raise
    tracker.finish()


__all__ = ["Tracker", "interactive", "progress", "show_nested_progress"]
