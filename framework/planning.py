"""One decision as pure arithmetic: from a :class:`BarContext` to approved targets and order intents.

signals → weights → sizes (rebalance days) or hold → stop exits → the plugin's exit rule → risk
checks → no flips in one order → intents, sells before buys, each tagged with why it exists. No
I/O here: the engine builds the context before and sends the orders after (the exit rule is the
plugin's own code, handed a view of the bar's positions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from framework.bar_context import BarContext
from framework.config.execution import RiskConfig
from framework.exits import ExitHook
from framework.risk import Action, Reason, RiskDecision, RiskManager
from framework.signals import Discarded, SignalProcessor
from framework.sizing import PositionSizer, SizingInput
from framework.stops import configured, stop_hits, stop_levels, stop_reason

SAME = 1e-9


class Purpose(StrEnum):
    """Why an order exists: its tag, and the purpose in its client id."""

    REBALANCE = "rebalance"  # the strategy's targets on a rebalance decision
    TRIM = "trim"  # a risk limit reduced a position between rebalances
    EXIT = "exit"  # the target is flat
    STOP = "stop"  # a stop level was crossed at the decision price
    DEFERRED = "deferred"  # what an earlier decision could not send (buying power, a flip, protection)
    HALT = "halt"  # closing everything on a halt with flatten_on_halt


@dataclass(frozen=True, slots=True)
class Intent:
    symbol: str
    delta: float  # signed quantity to trade
    price: float  # decision price
    purpose: Purpose


@dataclass(eq=False)
class Plan:
    requested: np.ndarray
    approved: np.ndarray
    levels: np.ndarray  # stop level of each position (NaN: none)
    decisions: list[RiskDecision] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)
    discarded: Discarded | None = None  # signals the configuration dropped (rebalance decisions)

    @property
    def deferred(self) -> dict[str, float]:
        """Targets this decision could not reach and will pursue at the next one."""
        return {d.symbol: d.requested for d in self.decisions if d.action is Action.DEFER}


@dataclass(frozen=True, eq=False)
class Planner:
    signals: SignalProcessor
    sizer: PositionSizer
    risk: RiskManager
    stops: RiskConfig
    flatten_on_halt: bool
    exit_hook: ExitHook | None = None
    shortable: Callable[[BarContext], np.ndarray] | None = None  # where the account may open shorts

    def plan(self, ctx: BarContext, deferred: Mapping[str, float]) -> Plan:
        requested, carried = self._requested(ctx, deferred)
        levels = stop_levels(ctx.held, ctx.avg_cost, ctx.high_water, self.stops)
        requested, stop_decisions, stopped = self._stop_exits(ctx, requested, levels)
        requested, rule_decisions = self._rule_exits(ctx, requested, stopped)
        result = self.risk.check(requested, ctx)
        # the book approved as it is (most holds): no flip to split, no change to send
        approved, flips = (result.approved, []) if result.at_book else _no_flips(ctx, result.approved)
        plan = Plan(requested, approved, levels, [*stop_decisions, *rule_decisions, *result.decisions, *flips])
        if not result.at_book:
            plan.intents = _intents(ctx, approved, lambda: self._purposes(ctx, approved, carried, stopped))
        if ctx.rebalance:
            view = np.where(ctx.tradable, ctx.signals, np.nan)
            plan.discarded = self.signals.discarded(view, self._shortable(ctx))
        return plan

    def _shortable(self, ctx: BarContext) -> np.ndarray | None:
        return self.shortable(ctx) if self.shortable is not None else None

    def _requested(self, ctx: BarContext, deferred: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Targets before stops and risk, and which of them carry an earlier deferral."""
        carried = np.zeros(len(ctx.universe), dtype=bool)
        if ctx.halted and self.flatten_on_halt:
            return np.zeros(len(ctx.universe)), carried
        if ctx.rebalance:
            held_weights = np.abs(ctx.current * ctx.values) / ctx.equity if ctx.equity > 0 else None
            view = np.where(ctx.tradable, ctx.signals, np.nan)
            weights = self.signals.target_weights(view, held_weights, self._shortable(ctx))
            sized = SizingInput(weights, ctx.equity, ctx.prices, ctx.volatility, ctx.current)
            return self.sizer.target_quantities(sized), carried
        requested = ctx.current.copy()  # a hold day: stops, guards and deferrals still apply
        for symbol, target in deferred.items():
            if symbol in ctx.universe:
                i = ctx.universe.position(symbol)
                requested[i], carried[i] = target, True
        return requested, carried

    def _stop_exits(
        self, ctx: BarContext, requested: np.ndarray, levels: np.ndarray
    ) -> tuple[np.ndarray, list[RiskDecision], np.ndarray]:
        if not configured(self.stops):  # every level NaN: nothing can be hit
            return requested, [], np.zeros(len(requested), dtype=bool)
        hits = stop_hits(ctx.held, ctx.prices, levels)
        if not hits.any():
            return requested, [], hits
        reasons = stop_reason(ctx.held, ctx.avg_cost, levels, self.stops)
        decisions = [
            RiskDecision(ctx.universe.symbols[i], reasons[i], Action.EXIT, float(requested[i]), 0.0,
                         f"price {ctx.prices[i]:.4f} crossed the stop at {levels[i]:.4f}")
            for i in np.flatnonzero(hits)
        ]
        return np.where(hits, 0.0, requested), decisions, hits

    def _rule_exits(
        self, ctx: BarContext, requested: np.ndarray, stopped: np.ndarray
    ) -> tuple[np.ndarray, list[RiskDecision]]:
        """The plugin's exit rule, asked about what is held: its answers become flat targets
        (before risk, so a halt or a missing price still governs them)."""
        if self.exit_hook is None or not ctx.held.any():
            return requested, []
        opened = ctx.opened if ctx.opened is not None else np.full(len(ctx.universe), np.datetime64("NaT", "D"))
        view = self.exit_hook.view(ctx.session, ctx.universe.symbols, ctx.held, opened, ctx.avg_cost, ctx.values)
        exits = self.exit_hook.exits(view, ctx.universe.symbols) & ~stopped & (ctx.held != 0)
        if not exits.any():
            return requested, []
        symbols = ctx.universe.symbols
        decisions = [
            RiskDecision(symbols[i], Reason.EXIT_RULE, Action.EXIT, float(requested[i]), 0.0,
                         f"the strategy's exit rule, after {view[symbols[i]].sessions_held} session(s) held, "
                         f"P&L {view[symbols[i]].pnl_pct:+.2%}")
            for i in np.flatnonzero(exits)
        ]
        return np.where(exits, 0.0, requested), decisions

    def _purposes(self, ctx: BarContext, approved: np.ndarray, carried: np.ndarray,
                  stopped: np.ndarray) -> list[Purpose]:
        if ctx.halted and self.flatten_on_halt:
            return [Purpose.HALT] * len(approved)
        # the first that holds, per symbol: stopped, exited (flat target while held), carried, else
        # the bar's own purpose (one vector pass: a decision is taken every bar)
        table = (Purpose.STOP, Purpose.EXIT, Purpose.DEFERRED, Purpose.REBALANCE if ctx.rebalance else Purpose.TRIM)
        codes = np.full(len(approved), 3)
        codes[carried] = 2  # written lowest priority first: a later mask overrides an earlier one
        codes[(approved == 0) & (ctx.held != 0)] = 1
        codes[np.asarray(stopped, dtype=bool)] = 0
        return [table[c] for c in codes.tolist()]


def _no_flips(ctx: BarContext, approved: np.ndarray) -> tuple[np.ndarray, list[RiskDecision]]:
    """One order cannot take a position from long to short (or back): sell to zero now, open the
    other side at the next decision (deferred)."""
    base = ctx.current
    flip = (base * approved < 0) & ctx.tradable
    if not flip.any():
        return approved, []
    decisions = [
        RiskDecision(ctx.universe.symbols[i], Reason.FLIP, Action.DEFER, float(approved[i]), 0.0,
                     "closing first; the opposite side opens at the next decision")
        for i in np.flatnonzero(flip)
    ]
    return np.where(flip, 0.0, approved), decisions


def _intents(ctx: BarContext, approved: np.ndarray, purposes: Callable[[], list[Purpose]]) -> list[Intent]:
    """Every non-zero change, sells before buys (each side in symbol order); ``purposes`` asked
    only when something changes (most bars of a hold period send nothing)."""
    deltas = approved - ctx.current
    trading = np.flatnonzero(np.abs(deltas) > SAME)
    if not len(trading):
        return []
    symbols, why = ctx.universe.symbols, purposes()
    sells = np.flatnonzero(deltas < -SAME).tolist()
    buys = np.flatnonzero(deltas > SAME).tolist()
    return [Intent(symbols[i], float(deltas[i]), float(ctx.prices[i]), why[i]) for i in sells + buys]
