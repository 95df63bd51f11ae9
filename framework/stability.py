"""Decision stability: do a plugin's signals and order intents survive the way venues differ?

Two sources of the same history never agree to the last digit: a data API serves adjusted prices
rounded to a few decimals, computes its dividend factors from amounts in cents out of its own
records, and its arithmetic differs from ours in the last bits. A plugin whose decisions move on
differences of that size cannot show parity between its backtest and live trading, whatever the
execution core does. The perturbations below are those differences, each applied alone:

* ``rounded``: the adjusted prices the plugin sees rounded to 4 decimals (what a data API serves);
* ``dividend cent``: every dividend moved by one cent, up or down (seeded): other factors;
* ``noise``: every adjusted price times 1 ± up to 1e-5 (seeded, uniform): other arithmetic.

Signals are compared cell by cell after the warm-up; order intents through the engine's own
:class:`~framework.planning.Planner` (signal processing, sizing, the rebalance band, risk checks)
on every rebalance decision, each decision from the *same* book (the one the unperturbed signals
lead to), so a changed intent is the perturbation's doing alone. The adjustment-basis comparison of
``trade check-strategy`` (history adjusted as of each date, as paper sees it, against as of the
end, as the backtest sees it) is reported with the same :class:`Shift`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial

import numpy as np
import pandas as pd

from framework.bar_context import BarContext
from framework.config import Settings
from framework.data import MarketData, session_time
from framework.market import SnapshotBuilder
from framework.planning import Planner
from framework.risk import RiskManager
from framework.signals import SignalKind, SignalProcessor, is_rebalance_day
from framework.sizing import PositionSizer
from framework.strategy import Strategy, compute_signals

SIGNAL_TOLERANCE = 1e-9  # signals closer than this are the same signal
QTY_TOLERANCE = 1e-9
DECIMALS = 4  # a data API's adjusted prices
NOISE = 1e-5  # relative
CENT = 0.01
#: A plugin whose intents change more than this share under any perturbation is unstable: ranked
#: signals (momentum, a 5-day reversal) move 0-2% under these perturbations, ties at a rank edge;
#: a plugin reading the last digits moves most of them.
MAX_INTENT_CHANGE = 0.05


class Perturbation(StrEnum):
    ROUNDED = "prices rounded to 4 decimals"
    DIVIDEND_CENT = "dividends moved by one cent"
    NOISE = "±1e-5 relative noise"
    BASIS = "adjusted as of each date instead of as of the end"


PERTURBATIONS = (Perturbation.ROUNDED, Perturbation.DIVIDEND_CENT, Perturbation.NOISE)


def _view(history: MarketData) -> MarketData:
    """The plugin's view of ``history`` (adjusted as of its end), kept as is by compute_signals."""
    return history.adjusted()


def _prices(history: MarketData, change: Callable[[str, pd.DataFrame], pd.DataFrame]) -> MarketData:
    view = _view(history)
    return replace(view, **{f: change(f, getattr(view, f)) for f in ("open", "high", "low", "close")})


def perturb(history: MarketData, kind: Perturbation, seed: int = 0) -> MarketData:
    """``history`` as another venue could serve it (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    if kind is Perturbation.ROUNDED:
        return _prices(history, lambda _f, frame: frame.round(DECIMALS))
    if kind is Perturbation.NOISE:
        return _prices(history, lambda _f, frame: frame * (1.0 + rng.uniform(-NOISE, NOISE, frame.shape)))
    if kind is Perturbation.DIVIDEND_CENT:
        paid = history.dividends.to_numpy(dtype=float)
        step = np.where(rng.random(paid.shape) < 0.5, -CENT, CENT)
        step = np.where(paid + step > 0, step, CENT)  # a dividend stays a dividend
        moved = np.where(np.isfinite(paid) & (paid > 0), paid + step, paid)
        return replace(history, dividends=pd.DataFrame(moved, index=history.dates, columns=history.symbols))
    raise ValueError(f"{kind} is not a perturbation of the history")


@dataclass(frozen=True)
class Cell:
    date: pd.Timestamp
    symbol: str
    base: float
    other: float

    def __str__(self) -> str:
        return f"{self.date.date()} {self.symbol}: {self.base:.6g} vs {self.other:.6g}"


@dataclass(frozen=True)
class Shift:
    """How much one perturbation moved the signals and (when measured) the order intents."""

    perturbation: Perturbation
    signals: int  # cells compared (a view on either side)
    signals_changed: int
    largest: float  # largest absolute signal difference
    first: Cell | None  # the earliest changed cell
    intents: int | None = None  # intents compared (present on either side), None: not measured
    intents_changed: int | None = None
    decisions: int = 0  # rebalance decisions compared
    decisions_changed: int = 0  # decisions with at least one intent changed

    @property
    def signal_share(self) -> float:
        return self.signals_changed / self.signals if self.signals else 0.0

    @property
    def intent_share(self) -> float:
        return (self.intents_changed or 0) / self.intents if self.intents else 0.0

    @property
    def stable(self) -> bool:
        return self.intent_share <= MAX_INTENT_CHANGE


def signal_shift(kind: Perturbation, base: pd.DataFrame, other: pd.DataFrame) -> Shift:
    """Cells of ``base`` and ``other`` (same shape once aligned) that differ, NaN against a value
    included; the first is the earliest date, then symbol."""
    a = base.to_numpy(dtype=float)
    b = other.reindex(index=base.index, columns=base.columns).to_numpy(dtype=float)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    compared = ~(nan_a & nan_b)
    with np.errstate(invalid="ignore"):
        changed = compared & ((nan_a != nan_b) | (np.abs(a - b) > SIGNAL_TOLERANCE))
    gaps = np.abs(a - b)[changed & ~nan_a & ~nan_b]
    first = None
    if changed.any():
        row, col = np.argwhere(changed)[0]
        first = Cell(base.index[row], str(base.columns[col]), float(a[row, col]), float(b[row, col]))
    return Shift(kind, int(compared.sum()), int(changed.sum()), float(gaps.max()) if gaps.size else 0.0, first)


@dataclass(frozen=True)
class Decision:
    """One rebalance decision of the reference path: what it saw and the intents it made."""

    context: BarContext
    intents: dict[str, float]  # symbol → signed quantity


class DecisionPath:
    """The reference run's rebalance decisions, through the engine's planner, on a simple book:
    intents fill in full at the decision price (the close as traded), no costs. Other signals are
    then decided from the same books, decision by decision."""

    def __init__(self, history: MarketData, settings: Settings, kind: SignalKind | str = SignalKind.SCORES,
                 cash: float | None = None) -> None:
        self.history, self.settings = history, settings
        no_stops = settings.risk.model_copy(update={"stop_loss": None, "trailing_stop": None})
        self.planner = Planner(
            SignalProcessor(settings.signals, SignalKind(kind)), PositionSizer(settings.sizing),
            RiskManager(settings.risk, settings.sizing, dict(history.sectors.items())), no_stops, False, None,
        )
        self.snapshots = SnapshotBuilder(history, settings.sizing.volatility_lookback)
        self.cash = float(cash if cash is not None else settings.backtest.cash)

    def dates(self, since: int) -> list[pd.Timestamp]:
        every = self.settings.signals.rebalance_every
        return [d for d in self.history.dates[since:] if is_rebalance_day(session_time(d), every)]

    def run(self, signals: pd.DataFrame, since: int) -> list[Decision]:
        universe = self.snapshots.universe
        held = np.zeros(len(universe))
        cash = self.cash
        out = []
        for date in self.dates(since):
            snap = self.snapshots.at(date)
            prices = snap.prices
            values = np.where(np.isfinite(prices), prices, 0.0)
            equity = cash + float((held * values).sum())
            t = session_time(date)
            ctx = BarContext(
                session=t, now=t, universe=universe, prices=prices, marks=prices, volatility=snap.volatility,
                signals=universe.vector(signals.loc[date]), held=held.copy(), pending=np.zeros(len(universe)),
                avg_cost=np.zeros(len(universe)), high_water=np.zeros(len(universe)), equity=equity,
                buying_power_of=partial(max, cash, 0.0), halted=False, rebalance=True,
            )
            intents = self.intents(ctx)
            for symbol, qty in intents.items():
                i = universe.position(symbol)
                held[i] += qty
                cash -= qty * float(prices[i])
            out.append(Decision(ctx, intents))
        return out

    def intents(self, ctx: BarContext) -> dict[str, float]:
        return {i.symbol: i.delta for i in self.planner.plan(ctx, {}).intents}

    def compare(self, reference: list[Decision], signals: pd.DataFrame) -> tuple[int, int, int]:
        """(intents compared, intents changed, decisions changed) with ``signals`` decided from the
        reference path's books."""
        compared = changed = decisions = 0
        universe = self.snapshots.universe
        for decision in reference:
            ctx = decision.context
            row = universe.vector(signals.loc[pd.Timestamp(ctx.session.date())])
            other = self.intents(replace(ctx, signals=row))
            keys = set(decision.intents) | set(other)
            moved = sum(1 for k in keys if abs(decision.intents.get(k, 0.0) - other.get(k, 0.0)) > QTY_TOLERANCE)
            compared += len(keys)
            changed += moved
            decisions += moved > 0
        return compared, changed, decisions


@dataclass(frozen=True)
class StabilityReport:
    strategy: str
    shifts: tuple[Shift, ...]
    decisions: int
    seed: int

    @property
    def stable(self) -> bool:
        return all(s.stable for s in self.shifts)

    @property
    def worst(self) -> Shift | None:
        return max(self.shifts, key=lambda s: s.intent_share) if self.shifts else None


def check_stability(
    make: Callable[[], Strategy], history: MarketData, settings: Settings, *, seed: int = 0,
    perturbations: tuple[Perturbation, ...] = PERTURBATIONS, on_call: Callable[[], None] | None = None,
) -> StabilityReport:
    """Signals and intents of fresh plugin instances on ``history`` and on each perturbation of it."""
    probe = make()
    kind, _ = probe.declarations()
    since = min(probe.warmup_bars, max(len(history.dates) - 1, 0))

    def signals(data: MarketData) -> pd.DataFrame:
        out = compute_signals(make(), data)
        if on_call is not None:
            on_call()
        return out.iloc[since:]

    base = signals(history)
    path = DecisionPath(history, settings, kind)
    reference = path.run(base, since)
    shifts = []
    for k, perturbation in enumerate(perturbations):
        other = signals(perturb(history, perturbation, seed + k))
        shift = signal_shift(perturbation, base, other)
        compared, changed, decisions = path.compare(reference, other)
        shifts.append(replace(shift, intents=compared, intents_changed=changed, decisions=len(reference),
                              decisions_changed=decisions))
    return StabilityReport(probe.name, tuple(shifts), len(reference), seed)


__all__ = [
    "MAX_INTENT_CHANGE",
    "PERTURBATIONS",
    "Cell",
    "Decision",
    "DecisionPath",
    "Perturbation",
    "Shift",
    "StabilityReport",
    "check_stability",
    "perturb",
    "signal_shift",
]
