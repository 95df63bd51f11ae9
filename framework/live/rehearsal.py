"""`trade rehearse`: paper-trade a plugin on the loopback sandbox, backtest the same sessions with
the same settings, and compare the two (intent parity, venue rejections, the divergence report).

Session j of a rehearsal of N sessions from D: the sandbox starts before the open of D = D_0; one
`trade paper --once` cycle runs before each open D_0 .. D_N (cycle k decides on the close of
D_{k-1}; its orders fill at the open of D_k), the sandbox's clock moving one session between
cycles. The backtest trades D_{-1} .. D_{N-1}: the same N+1 decisions, from the same cash. Each
paper cycle is a fresh connection and runner over the same journal, as `trade paper --once` is.

The simulated venue and the backtest are handed in by the command (:class:`Parts`): this module
drives them and imports no adapter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from framework.adapters import connect
from framework.config import Settings
from framework.data import MarketData
from framework.errors import InputError
from framework.live.cycle_outcome import CycleAlerts, run_once
from framework.live.runner import CycleResult, PaperRunner
from framework.registry import get_strategy
from framework.strategy import warmup

Say = Callable[[str], None]


class SimulatedVenue(Protocol):
    """A venue replaying ``market`` from a session (the loopback sandbox): the environment a
    connection to it needs, and one session forward."""

    @property
    def env(self) -> Mapping[str, str]: ...

    def advance(self) -> None: ...


#: (settings, market, first session, state folder) -> the venue, started on entering the context
OpenVenue = Callable[[Settings, MarketData, pd.Timestamp, Path], AbstractContextManager[SimulatedVenue]]
#: (settings, market, run folder): a backtest of ``settings`` written as a run folder
Backtest = Callable[[Settings, MarketData, Path], None]


@dataclass(frozen=True)
class Parts:
    """What a rehearsal drives, chosen by the command (the composition root)."""

    venue: OpenVenue
    backtest: Backtest


@dataclass(frozen=True)
class Window:
    """The sessions of a rehearsal: ``decisions`` D_{-1} .. D_{N-1}; ``traded`` D_0 .. D_{N-1}."""

    decisions: pd.DatetimeIndex
    sessions: int

    @property
    def first(self) -> pd.Timestamp:
        """The sandbox's first session (the first open the paper run trades)."""
        return self.decisions[1]


@dataclass(frozen=True)
class PaperCycle:
    session: str
    signal_date: str
    orders: int
    deferred: int
    seconds: float
    skipped: str


@dataclass(frozen=True)
class RehearsalRun:
    folder: Path
    window: Window
    cycles: tuple[PaperCycle, ...]
    paper_seconds: float
    backtest_seconds: float

    @property
    def paper_dir(self) -> Path:
        return self.folder / "paper"

    @property
    def backtest_dir(self) -> Path:
        return self.folder / "backtest"


def plan_window(market: MarketData, settings: Settings, start: str, sessions: int) -> Window:
    """The rehearsal's sessions, or one line naming what does not fit the data (InputError)."""
    try:
        day = pd.Timestamp(start)
    except ValueError:
        raise InputError(f"--start {start!r}: not a date (YYYY-MM-DD)") from None
    dates = market.dates
    later = dates[dates >= day]
    if len(later) == 0:
        raise InputError(f"--start {start}: after the data's last session {dates[-1].date()}")
    first = int(dates.get_loc(later[0]))
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    bars = warmup(plugin, settings.strategy.warmup_bars)
    if first - 1 < bars:
        earliest = dates[min(bars + 1, len(dates) - 1)]
        raise InputError(
            f"--start {start}: {plugin.name} needs {bars} sessions of warm-up before its first decision; "
            f"the earliest start in {market.source} is {earliest.date()}"
        )
    if first + sessions >= len(dates):
        raise InputError(
            f"--sessions {sessions} from {later[0].date()}: the data ends on {dates[-1].date()} "
            f"({len(dates) - first - 1} sessions later at most)"
        )
    return Window(dates[first - 1 : first + sessions], sessions)


def _paper_cycle(settings: Settings, env: dict[str, str]) -> CycleResult:
    """One `trade paper --once`: a fresh connection, runner and engine over the same journal."""
    conn = connect(settings, env, stream=False)
    try:
        conn.broker.start()
        runner = PaperRunner(settings, conn.broker, conn.bars, echo=lambda _line: None)
        try:
            return run_once(runner, CycleAlerts(None, settings.paper.account))
        finally:
            runner.close()
    finally:
        conn.close()


def paper_run(settings: Settings, market: MarketData, window: Window, folder: Path, say: Say,
              open_venue: OpenVenue) -> tuple[PaperCycle, ...]:
    """The paper half: the simulated venue over ``market`` from ``window.first``; one cycle per open."""
    cycles = []
    with open_venue(settings, market, window.first, folder) as venue:
        env = dict(venue.env)
        for k in range(window.sessions + 1):
            result = _paper_cycle(settings, env)
            cycles.append(
                PaperCycle(str(result.session), str(result.signal_date), len(result.orders), len(result.deferred),
                           result.seconds, result.skipped)
            )
            say(f"paper {k + 1}/{window.sessions + 1}: session {result.session} (signals of {result.signal_date}): "
                f"{len(result.orders)} order(s), {len(result.deferred)} deferred, {result.seconds:.1f} s")
            if k < window.sessions:
                venue.advance()
    return tuple(cycles)


def rehearse(settings: Settings, market: MarketData, window: Window, folder: Path, say: Say,
             parts: Parts) -> RehearsalRun:
    """Paper on the sandbox, then the backtest; both under ``folder``. ``settings`` must point
    ``paper.journal`` into ``folder / "paper"`` and ``backtest.start/end`` at the window."""
    (folder / "paper").mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    cycles = paper_run(settings, market, window, folder, say, parts.venue)
    paper_seconds = time.monotonic() - began
    say(f"backtest {window.decisions[0].date()} .. {window.decisions[-1].date()}")
    began = time.monotonic()
    (folder / "backtest").mkdir(parents=True, exist_ok=True)
    parts.backtest(settings, market, folder / "backtest")
    return RehearsalRun(folder, window, cycles, paper_seconds, time.monotonic() - began)
