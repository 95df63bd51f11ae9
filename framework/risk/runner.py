"""The risk runner: a declared list of small checks, run in order, under one rule it enforces.

Each check sees the targets the previous one left and returns new ones, or ``None`` when its limit
does not bind (LEAN's composite risk model). The runner, not the checks, owns the rules that must
always hold: a NaN target means "hold", and **a symbol without a price at the decision is never
moved by any check** — whatever a check returns for it is put back to the current position. So no
later step can undo an earlier step's rule, and a check cannot send an order nobody can price.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from framework.memo import cached_property
from framework.risk.decisions import Action, Reason, RiskDecision

#: Quantities closer than this are the same (float round-off of share arithmetic).
SAME = 1e-9


@dataclass(frozen=True, eq=False)
class RiskInput:
    """What every check sees, as arrays aligned to ``symbols``."""

    symbols: tuple[str, ...]
    current: np.ndarray  # signed quantity held plus still to fill on open orders
    prices: np.ndarray  # decision prices (as traded); NaN: not tradable at t
    values: np.ndarray  # price to value a position at: the decision price, else its last mark, else 0
    equity: float
    buying_power_of: Callable[[], float]  # what the venue grants for new buys now (unfilled sells free nothing)
    halted: bool
    sector_of: np.ndarray  # each symbol's sector as a small integer
    n_sectors: int
    fractional: bool = False
    buy_markup: float | None = None  # buys go out as limits this far above the decision price (None: market)

    @property
    def tradable(self) -> np.ndarray:
        return np.isfinite(self.prices)

    @cached_property
    def buying_power(self) -> float:
        """Asked at the first read (the buying-power check, only when a target grows): the
        engine's answer is a question to the broker."""
        return self.buying_power_of()

    def by_sector(self, value: np.ndarray) -> np.ndarray:
        return np.bincount(self.sector_of, weights=value, minlength=self.n_sectors)


@dataclass(frozen=True, eq=False)
class Adjusted:
    """A check's new targets, why, and (optionally) how to call the change."""

    targets: np.ndarray
    reason: Reason
    detail: str = ""
    action: Action | None = None  # None: REJECT when back at current, else REDUCE


class RiskCheck(Protocol):
    """``holds_still`` (optional, default False): the check returns ``None`` for targets equal to
    the current book, whatever the input (a hold: the runner does not ask it)."""

    def apply(self, targets: np.ndarray, risk: RiskInput) -> Adjusted | None: ...


@dataclass(eq=False)
class RiskResult:
    approved: np.ndarray  # aligned to the input's symbols
    decisions: list[RiskDecision] = field(default_factory=list)
    at_book: bool = False  # approved is the book exactly, no check having moved it: nothing to trade


class RiskRunner:
    def __init__(self, checks: Sequence[RiskCheck]) -> None:
        self.checks = tuple(checks)
        # each check with whether it passes a hold untouched (read once, not at every decision)
        self._declared = tuple((check, bool(getattr(check, "holds_still", False))) for check in self.checks)

    def run(self, requested: np.ndarray, risk: RiskInput) -> RiskResult:
        current, tradable = risk.current, risk.tradable
        decisions: list[RiskDecision] = []
        if np.array_equal(requested, current):  # a hold asked (most bars between rebalances): no view
            targets, at_book = current.copy(), True  # to fill in, no untradable symbol moved
        else:
            held = np.where(np.isnan(requested), current, requested)  # no view: hold
            targets = _record(held, np.where(tradable, held, current), Reason.NO_PRICE, "no price at t: hold", None,
                              risk, decisions)
            targets = np.where(tradable, targets, current)  # exactly as held, even within SAME of a target
            at_book = np.array_equal(targets, current)
        # at the book: only the checks that can move the book itself run
        for check, holds_still in self._declared:
            if at_book and holds_still:
                continue
            out = check.apply(targets, risk)
            if out is None:
                continue
            masked = np.where(tradable, out.targets, current)
            targets = _record(targets, masked, out.reason, out.detail, out.action, risk, decisions)
            at_book = False  # (or equal again: then every later check simply runs)
        return RiskResult(targets, decisions, at_book)


def _record(
    before: np.ndarray,
    after: np.ndarray,
    reason: Reason,
    detail: str,
    action: Action | None,
    risk: RiskInput,
    decisions: list[RiskDecision],
) -> np.ndarray:
    changed = np.flatnonzero(np.abs(before - after) > SAME)
    for i in changed:
        chosen = action or (Action.REJECT if abs(after[i] - risk.current[i]) < SAME else Action.REDUCE)
        decisions.append(
            RiskDecision(risk.symbols[i], reason, chosen, float(before[i]), float(after[i]), detail)
        )
    return after if len(changed) else before
