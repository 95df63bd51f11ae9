"""Lookahead check for any strategy plugin (after Freqtrade's lookahead-analysis), hard to fool.

Every computation below uses a **fresh plugin instance**, so a cache kept on an instance (a
z-score computed once on the whole history, then served to every later call) cannot hide a leak.

1. **Determinism** — two instances on the whole history must agree; otherwise every comparison
   below would only measure noise.
2. **Lookahead** (truncation) — at each cut date t an instance sees only the bars ≤ t; *every*
   row ≤ t it gives must equal the whole history's row (not only row t): a difference means a
   row used a bar after t.
3. **Warm-up** (trailing window) — at the spread cut dates and at the last date an instance sees
   only the last ``warmup_bars + 1`` bars ≤ t, what paper trading feeds it; its row t must equal
   the row t of the history cut at t. A difference says ``warmup_bars`` is too short for the
   plugin, which is not lookahead and is reported apart.
4. **Exits hook** — the positions a backtest could hold at t (both sides, several holding
   periods) are put to the instance that saw the whole history, to the one that saw bars ≤ t and
   to the trailing-window one: their answers must agree.

Like with like: every computation in checks 1-3 sees the history adjusted **once**, as of its
last date (what a backtest hands the plugin), then cut. Cutting the raw history instead adjusts
each cut as of the cut date: prices then differ by a common factor per symbol, float noise in
the last bits breaks ties in a ranking, and an honest plugin was called a cheat (issue 28). That
difference is real, but it is not the plugin looking ahead: it is how much the plugin's
signals depend on the adjustment basis (paper sees history adjusted as of each day, the backtest
as of the end), and it is measured apart (5) and reported as such, not as lookahead.

5. **Adjustment basis** — at the spread cut dates, row t of the raw history cut at t (adjusted
   as of t, as paper sees it) against row t of the end-adjusted history cut at t; a
   :class:`framework.stability.Shift`, like the stability check's perturbations.

Cut dates: spread evenly after the warm-up, seeded random ones, and calendar edges (the last
session of a month, a quarter and a year: calendar-conditioned code is a classic leak) — or
every session (``all_dates``, for small data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from framework.data import MarketData
from framework.exits import PositionInfo, PositionsView
from framework.progress import Tracker
from framework.stability import Perturbation, Shift, signal_shift
from framework.strategy import Strategy, compute_signals, plugin_exit_rule

TOLERANCE = 1e-9
HOLDING_PERIODS = 12  # the synthetic positions of the exits check are held 1..12 sessions


class CutKind(StrEnum):
    SPREAD = "spread"
    RANDOM = "random"
    CALENDAR = "calendar"
    EVERY = "every session"


class Problem(StrEnum):
    LOOKAHEAD = "lookahead"
    WARMUP = "warm-up"
    NONDETERMINISTIC = "nondeterministic"
    EXITS = "exits"


@dataclass(frozen=True)
class CutPlan:
    """Which dates the history is cut at, why, and where the trailing window is checked."""

    cuts: dict[pd.Timestamp, CutKind]
    windows: list[pd.Timestamp]
    seed: int

    @property
    def dates(self) -> list[pd.Timestamp]:
        return sorted(self.cuts)

    def count(self, kind: CutKind) -> int:
        return sum(1 for k in self.cuts.values() if k is kind)

    def describe(self) -> str:
        parts = [f"{self.count(k)} {k.value}" for k in CutKind if self.count(k)]
        extra = f" (seed {self.seed})" if self.count(CutKind.RANDOM) else ""
        return f"{len(self.cuts)} cut dates: {', '.join(parts)}{extra}"


def _calendar_edges(dates: pd.DatetimeIndex, rng: np.random.Generator) -> list[int]:
    """One last session of a month, of a quarter and of a year, picked at random among them."""
    positions = np.arange(len(dates))
    nxt = dates[1:]
    picks = []
    for changes in (nxt.month != dates[:-1].month, nxt.quarter != dates[:-1].quarter,
                    nxt.year != dates[:-1].year):
        found = positions[:-1][changes]
        if len(found):
            picks.append(int(rng.choice(found)))
    return picks


def plan_cuts(
    dates: pd.DatetimeIndex, warmup: int, *, points: int = 10, random: int = 10, seed: int = 0,
    all_dates: bool = False,
) -> CutPlan:
    """Cut dates between the end of warm-up and the day before the last date."""
    dates = pd.DatetimeIndex(dates)
    last = len(dates) - 2
    first = min(max(warmup, 1), last)
    if last < 0:
        return CutPlan({}, [dates[-1]] if len(dates) else [], seed)
    if all_dates:
        cuts = {dates[i]: CutKind.EVERY for i in range(first, last + 1)}
        return CutPlan(cuts, [*cuts, dates[-1]], seed)
    rng = np.random.default_rng(seed)
    spread = np.unique(np.linspace(first, last, points).round().astype(int)) if points else []
    cuts: dict[pd.Timestamp, CutKind] = {dates[i]: CutKind.SPREAD for i in spread}
    eligible = np.arange(first, last + 1)
    for i in rng.choice(eligible, size=min(random, len(eligible)), replace=False) if random else []:
        cuts.setdefault(dates[int(i)], CutKind.RANDOM)
    window = dates[first : last + 2]
    for i in _calendar_edges(window[:-1], rng):
        cuts.setdefault(window[i], CutKind.CALENDAR)
    windows = [d for d, k in sorted(cuts.items()) if k is CutKind.SPREAD] + [dates[-1]]
    return CutPlan(cuts, windows, seed)


@dataclass(frozen=True)
class Mismatch:
    """The first cell (earliest date, then symbol) where two computations disagree."""

    problem: Problem
    check: str
    cut: pd.Timestamp
    date: pd.Timestamp
    symbol: str
    expected: float | str
    got: float | str
    cells: int = 1

    def __str__(self) -> str:
        a, b = (f"{v:.6g}" if isinstance(v, float) else v for v in (self.expected, self.got))
        more = f" ({self.cells} differing values)" if self.cells > 1 else ""
        return f"{self.check} at {self.cut.date()}: {self.date.date()} {self.symbol}: {a} vs {b}{more}"


@dataclass
class LookaheadReport:
    strategy: str
    plan: CutPlan
    warmup: int
    mismatches: list[Mismatch] = field(default_factory=list)
    nan_share: float = 0.0
    exits_checked: bool = False
    basis: Shift | None = None  # adjusted as of each cut date against as of the end (not lookahead)
    basis_dates: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def of(self, problem: Problem) -> list[Mismatch]:
        return [m for m in self.mismatches if m.problem is problem]

    def first(self, problem: Problem) -> Mismatch | None:
        found = self.of(problem)
        return min(found, key=lambda m: (m.date, m.symbol)) if found else None

    @property
    def verdict(self) -> str:
        return ", ".join(p.value for p in Problem if self.of(p)) or "passed"


def _difference(expected: pd.DataFrame, got: pd.DataFrame) -> tuple[pd.Timestamp, str, float, float, int] | None:
    a = expected.to_numpy(dtype=float)
    b = got.reindex(index=expected.index, columns=expected.columns).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        same = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= TOLERANCE)
    if same.all():
        return None
    bad = np.argwhere(~same)
    row, col = bad[0]
    return expected.index[row], str(expected.columns[col]), float(a[row, col]), float(b[row, col]), len(bad)


def _mismatch(problem: Problem, check: str, cut: pd.Timestamp, expected: pd.DataFrame,
              got: pd.DataFrame) -> Mismatch | None:
    found = _difference(expected, got)
    if found is None:
        return None
    date, symbol, a, b, cells = found
    return Mismatch(problem, check, cut, date, symbol, a, b, cells)


def synthetic_positions(history: MarketData, at: pd.Timestamp) -> PositionsView:
    """Positions a backtest could hold at ``at``: every symbol with a price then, long and short
    by turns, opened 1..HOLDING_PERIODS sessions before (at that session's close, as traded)."""
    close = history.close
    i = close.index.get_loc(at)
    positions = {}
    for k, symbol in enumerate(close.columns):
        held = 1 + (k * 7 + i) % HOLDING_PERIODS
        entry = max(i - held + 1, 0)
        price, cost = close.iat[i, k], close.iat[entry, k]
        if not (np.isfinite(price) and np.isfinite(cost)):
            continue
        qty = 100.0 if k % 2 == 0 else -100.0
        positions[symbol] = PositionInfo(symbol, qty, close.index[entry], float(cost), float(price), i - entry + 1)
    return PositionsView(pd.Timestamp(at), positions)


def _exit_answers(plugin: Strategy, view: PositionsView) -> frozenset[str]:
    rule = plugin_exit_rule(plugin)
    assert rule is not None
    return frozenset(rule(view, view.session))


def _exits_mismatch(check: str, at: pd.Timestamp, expected: frozenset[str], got: frozenset[str]) -> Mismatch | None:
    if expected == got:
        return None
    symbol = sorted(expected ^ got)[0]
    answer = lambda s: "exit" if symbol in s else "keep"  # noqa: E731
    return Mismatch(Problem.EXITS, check, at, at, symbol, answer(expected), answer(got), len(expected ^ got))


class _Check:
    """One run of the check: fresh instances from ``make``, results into ``report``."""

    def __init__(self, make: Callable[[], Strategy], history: MarketData, report: LookaheadReport,
                 tracker: Tracker | None) -> None:
        self.make, self.history, self.report, self.tracker = make, history, report, tracker
        self.fixed = history.adjusted()  # one basis for every cut: like with like

    def signals(self, history: MarketData) -> tuple[Strategy, pd.DataFrame]:
        plugin = self.make()
        out = compute_signals(plugin, history)
        if self.tracker is not None:
            self.tracker.advance()
        return plugin, out

    def add(self, found: Mismatch | None) -> None:
        if found is not None:
            self.report.mismatches.append(found)

    def run(self) -> None:
        history, fixed, report = self.history, self.fixed, self.report
        reference, full = self.signals(fixed)
        _, again = self.signals(fixed)
        self.add(_mismatch(Problem.NONDETERMINISTIC, "two runs on the whole history", history.dates[-1], full, again))
        after = full.iloc[report.warmup:]
        report.nan_share = float(after.isna().to_numpy().mean()) if after.size else 1.0
        report.exits_checked = plugin_exit_rule(reference) is not None
        cut_rows: dict[pd.Timestamp, pd.Series] = {history.dates[-1]: full.iloc[-1]}
        for at in self.report.plan.dates:
            plugin, cut = self.signals(fixed.truncate(at))
            cut_rows[at] = cut.loc[at]
            self.add(_mismatch(Problem.LOOKAHEAD, "history cut", at, full.loc[:at], cut))
            if report.exits_checked:
                view = synthetic_positions(history, at)
                self.add(_exits_mismatch("exits, history cut", at, _exit_answers(reference, view),
                                         _exit_answers(plugin, view)))
        for at in self.report.plan.windows:
            self.window(at, cut_rows.get(at), reference)
        self.basis(cut_rows)

    def basis(self, cut_rows: dict[pd.Timestamp, pd.Series]) -> None:
        """Row t adjusted as of t (paper) against row t adjusted as of the end (the backtest)."""
        dates = [d for d in basis_dates(self.report.plan, self.history) if d in cut_rows]
        if not dates:
            return
        as_of_end = pd.DataFrame([cut_rows[d] for d in dates], index=pd.DatetimeIndex(dates))
        as_of_each = pd.DataFrame([self.signals(self.history.truncate(d))[1].loc[d] for d in dates],
                                  index=pd.DatetimeIndex(dates))
        self.report.basis = signal_shift(Perturbation.BASIS, as_of_end, as_of_each)
        self.report.basis_dates = len(dates)

    def window(self, at: pd.Timestamp, expected: pd.Series | None, reference: Strategy) -> None:
        """Row ``at`` from the last warmup + 1 bars against row ``at`` of the history cut there."""
        dates = self.history.dates
        i = dates.get_loc(at)
        if i < self.report.warmup or expected is None:
            return
        tail = self.fixed.between(dates[i - self.report.warmup], at)
        plugin, got = self.signals(tail)
        self.add(_mismatch(Problem.WARMUP, f"last {self.report.warmup + 1} bars", at, expected.to_frame(at).T,
                           got.loc[[at]]))
        if self.report.exits_checked:
            view = synthetic_positions(self.history, at)
            self.add(_exits_mismatch("exits, trailing window", at, _exit_answers(reference, view),
                                     _exit_answers(plugin, view)))


def basis_dates(plan: CutPlan, history: MarketData) -> list[pd.Timestamp]:
    """Where the adjustment basis is compared: the trailing-window dates but the last (there
    both bases are the same date)."""
    return [d for d in plan.windows if d in plan.cuts and d != history.dates[-1]]


def calls_needed(plan: CutPlan, history: MarketData, warmup: int) -> int:
    """Plugin computations the check makes (for its progress bar)."""
    dates = history.dates
    windows = sum(1 for d in plan.windows if dates.get_loc(d) >= warmup)
    return 2 + len(plan.cuts) + windows + len(basis_dates(plan, history))


def check_lookahead(
    make: Callable[[], Strategy], history: MarketData, plan: CutPlan | None = None, *,
    tracker: Tracker | None = None,
) -> LookaheadReport:
    """Run every check; ``make`` builds a fresh, configured plugin instance each time."""
    probe = make()
    warmup = probe.warmup_bars
    plan = plan or plan_cuts(history.dates, warmup)
    report = LookaheadReport(probe.name, plan, warmup)
    _Check(make, history, report, tracker).run()
    return report


__all__ = [
    "CutKind",
    "CutPlan",
    "LookaheadReport",
    "Mismatch",
    "Problem",
    "basis_dates",
    "calls_needed",
    "check_lookahead",
    "plan_cuts",
    "synthetic_positions",
]
