"""Pre-trade risk: every limit reduces or rejects a target, and says so with a reason code.

A denial is a value (:class:`RiskDecision`), not an exception: the engine journals every one.
Checks run in a fixed order, each on the output of the previous, so the approved targets meet
all of them at once (later checks only ever shrink positions toward the current ones or zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from framework.config.execution import RiskConfig
from framework.sizing import round_qty
from framework.universe import Universe


class Reason(StrEnum):
    HALTED = "halted"
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    MIN_PRICE = "min_price"
    POSITION_WEIGHT = "max_position_weight"
    SECTOR_EXPOSURE = "max_sector_exposure"
    GROSS_EXPOSURE = "max_gross_exposure"
    NET_EXPOSURE = "max_net_exposure"
    ORDER_NOTIONAL = "max_order_notional"
    BUYING_POWER = "buying_power"
    MAX_ORDERS = "max_orders_per_cycle"
    NO_PRICE = "no_price"


class Action(StrEnum):
    REDUCE = "reduce"
    REJECT = "reject"
    EXIT = "exit"


@dataclass(frozen=True, slots=True)
class RiskDecision:
    symbol: str
    reason: Reason
    action: Action
    requested: float
    approved: float
    detail: str = ""


@dataclass(frozen=True, eq=False)
class RiskContext:
    """Arrays aligned to ``universe``."""

    universe: Universe
    current: np.ndarray  # signed quantities held (plus pending orders)
    prices: np.ndarray  # decision prices; NaN: not tradable at t
    equity: float
    buying_power: float
    halted: bool = False


@dataclass(eq=False)
class RiskResult:
    approved: np.ndarray  # aligned to the context's universe
    decisions: list[RiskDecision] = field(default_factory=list)


class HaltReason(StrEnum):
    DAILY_LOSS = "daily_loss_limit"
    DRAWDOWN = "max_drawdown"
    MANUAL = "manual"


class RiskManager:
    def __init__(self, config: RiskConfig, sectors: Mapping[str, str], fractional: bool = False) -> None:
        self.config = config
        self.sectors = dict(sectors)
        self.fractional = fractional
        self._codes: dict[Universe, tuple[np.ndarray, int]] = {}

    # -- account guards -------------------------------------------------------------------

    def guard(self, equity: float, session_start: float, peak: float) -> HaltReason | None:
        """Daily loss (incl. unrealised P&L) since the session's start, drawdown from peak."""
        cfg = self.config
        if session_start > 0 and (session_start - equity) / session_start >= cfg.daily_loss_limit:
            return HaltReason.DAILY_LOSS
        if peak > 0 and (peak - equity) / peak >= cfg.max_drawdown:
            return HaltReason.DRAWDOWN
        return None

    # -- pre-trade checks -----------------------------------------------------------------

    def _sector_codes(self, universe: Universe) -> tuple[np.ndarray, int]:
        """Each symbol's sector as a small integer (computed once per universe)."""
        cached = self._codes.get(universe)
        if cached is None:
            names = [self.sectors.get(s, "Unknown") for s in universe.symbols]
            _, codes = np.unique(np.array(names, dtype=object), return_inverse=True)
            cached = self._codes[universe] = (codes.astype(np.intp), int(codes.max(initial=-1)) + 1)
        return cached

    def check(self, requested: np.ndarray, ctx: RiskContext) -> RiskResult:
        """Approved targets and one decision per target a limit changed."""
        cur = np.asarray(ctx.current, dtype=float)
        t = np.where(np.isnan(requested), cur, requested)
        codes, n_sectors = self._sector_codes(ctx.universe)
        run = _Run(ctx.universe.symbols, cur, np.asarray(ctx.prices, dtype=float), codes, n_sectors, ctx, self.config,
                   self.fractional)
        t = run.min_price(run.halted(run.no_price(t)))
        if run.exposure_caps_bind(t):
            t = run.net(run.gross(run.sector(run.position_weight(t))))
        for step in (run.order_notional, run.growth_recheck, run.buying_power, run.max_orders):
            t = step(t)
        return RiskResult(approved=t, decisions=run.decisions)


class _Run:
    """One pass of the checks over aligned arrays (targets t, current c, prices p).

    Each check returns its input unchanged (the same object) when its limit is not touched,
    so a quiet bar costs a few reductions per check.
    """

    def __init__(
        self,
        symbols: tuple[str, ...],
        cur: np.ndarray,
        price: np.ndarray,
        sector_codes: np.ndarray,
        n_sectors: int,
        ctx: RiskContext,
        config: RiskConfig,
        fractional: bool,
    ) -> None:
        self.symbols, self.c, self.p = symbols, cur, price
        self.p0 = np.where(np.isnan(price), 0.0, price)  # untradable: worth nothing to a limit
        self.sector_of, self.n_sectors = sector_codes, n_sectors
        self.ctx, self.cfg, self.fractional = ctx, config, fractional
        self.equity = max(ctx.equity, 0.0)
        self.decisions: list[RiskDecision] = []

    def _record(self, before: np.ndarray, after: np.ndarray, reason: Reason, detail: str = "") -> np.ndarray:
        for i in np.flatnonzero(np.abs(before - after) > 1e-9):
            action = Action.REJECT if abs(after[i] - self.c[i]) < 1e-9 else Action.REDUCE
            self.decisions.append(
                RiskDecision(self.symbols[i], reason, action, float(before[i]), float(after[i]), detail)
            )
        return after

    def _shrink(self, t: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """Scale targets toward zero by ``factor`` (≤ 1), rounded toward zero."""
        return np.where(factor < 1, round_qty(t * factor, self.fractional), t)

    def _by_sector(self, value: np.ndarray) -> np.ndarray:
        return np.bincount(self.sector_of, weights=value, minlength=self.n_sectors)

    def no_price(self, t: np.ndarray) -> np.ndarray:
        untradable = np.isnan(self.p)
        if not (untradable & (t != self.c)).any():
            return t
        return self._record(t, np.where(untradable, self.c, t), Reason.NO_PRICE, "no price at t: hold")

    def halted(self, t: np.ndarray) -> np.ndarray:
        if not self.ctx.halted:
            return t
        c = self.c
        reducing = ((np.sign(t) == np.sign(c)) & (np.abs(t) <= np.abs(c))) | (t == 0)
        return self._record(t, np.where(reducing, t, c), Reason.HALTED, "halted: only risk-reducing orders")

    def min_price(self, t: np.ndarray) -> np.ndarray:
        c = self.c
        cheap = self.p < self.cfg.min_price  # NaN (no price) is never cheap
        if not cheap.any():
            return t
        growing = (np.abs(t) > np.abs(c)) | ((np.sign(t) != np.sign(c)) & (t != 0))
        keep = np.where(np.sign(c) == np.sign(t), c, 0.0)
        return self._record(t, np.where(growing & cheap, keep, t), Reason.MIN_PRICE, f"price < {self.cfg.min_price}")

    def _cap(self, t: np.ndarray, value: np.ndarray, cap: float, reason: Reason) -> np.ndarray:
        """Shrink every target whose ``value`` exceeds ``cap`` down to it."""
        over = value > cap
        if not over.any():
            return t
        factor = np.where(over, cap / np.where(over, value, 1.0), 1.0)  # value > cap >= 0 where over
        return self._record(t, self._shrink(t, factor), reason)

    def exposure_caps_bind(self, t: np.ndarray) -> bool:
        """Whether any of the four exposure checks below would change ``t``: each changes its
        input only when its own cap binds, so when none binds here none binds after another."""
        cfg, eq = self.cfg, self.equity
        signed = t * self.p0
        value = np.abs(signed)
        return bool(
            (value > cfg.max_position_weight * eq).any()
            or (len(t) and (self._by_sector(value) > cfg.max_sector_exposure * eq).any())
            or float(value.sum()) > cfg.max_gross_exposure * eq
            or abs(float(signed.sum())) > cfg.max_net_exposure * eq
        )

    def position_weight(self, t: np.ndarray) -> np.ndarray:
        value = np.abs(t * self.p0)
        return self._cap(t, value, self.cfg.max_position_weight * self.equity, Reason.POSITION_WEIGHT)

    def sector(self, t: np.ndarray) -> np.ndarray:
        if not len(t):
            return t
        totals = self._by_sector(np.abs(t * self.p0))[self.sector_of]
        return self._cap(t, totals, self.cfg.max_sector_exposure * self.equity, Reason.SECTOR_EXPOSURE)

    def gross(self, t: np.ndarray) -> np.ndarray:
        total = float(np.abs(t * self.p0).sum())
        cap = self.cfg.max_gross_exposure * self.equity
        if total <= cap:
            return t
        return self._record(t, self._shrink(t, np.full(len(t), cap / total)), Reason.GROSS_EXPOSURE)

    def net(self, t: np.ndarray) -> np.ndarray:
        value = t * self.p0
        net, cap = float(value.sum()), self.cfg.max_net_exposure * self.equity
        if abs(net) <= cap:
            return t
        side = value > 0 if net > 0 else value < 0
        side_total = float(np.abs(value[side]).sum())
        factor = np.ones(len(t))
        factor[side] = max(side_total - (abs(net) - cap), 0.0) / side_total
        return self._record(t, self._shrink(t, factor), Reason.NET_EXPOSURE)

    def order_notional(self, t: np.ndarray) -> np.ndarray:
        cap = self.cfg.max_order_notional
        delta = t - self.c
        over = np.abs(delta * self.p0) > cap
        if not over.any():
            return t
        with np.errstate(divide="ignore", invalid="ignore"):
            allowed = round_qty(np.nan_to_num(cap / self.p, posinf=0.0), self.fractional)
        clipped = self.c + np.sign(delta) * np.minimum(np.abs(delta), allowed)
        return self._record(t, np.where(over, clipped, t), Reason.ORDER_NOTIONAL, f"order notional > {cap}")

    def _breach(self, a: np.ndarray) -> Reason | None:
        """The first exposure limit ``a`` breaches beyond what the current book already does."""
        cfg, eq = self.cfg, self.equity
        value, now = a * self.p0, self.c * self.p0
        if np.abs(value).sum() > max(cfg.max_gross_exposure * eq, np.abs(now).sum()) + 1e-6:
            return Reason.GROSS_EXPOSURE
        if abs(value.sum()) > max(cfg.max_net_exposure * eq, abs(now.sum())) + 1e-6:
            return Reason.NET_EXPOSURE
        if len(a):
            after, before = self._by_sector(np.abs(value)), self._by_sector(np.abs(now))
            if (after > np.maximum(cfg.max_sector_exposure * eq, before) + 1e-6).any():
                return Reason.SECTOR_EXPOSURE
        return None

    def growth_recheck(self, t: np.ndarray) -> np.ndarray:
        """Clipping some orders (notional cap) can leave others' growth over an exposure cap:
        scale the growth of growing positions back until every cap holds again."""
        if not self.decisions:
            return t  # nothing was clipped: the caps above hold as they left them
        reason = self._breach(t)
        if reason is None:
            return t
        growing = np.abs(t) > np.abs(self.c)
        lo, hi = 0.0, 1.0
        for _ in range(30):  # bisection on the growth factor
            mid = (lo + hi) / 2
            trial = np.where(growing, round_qty(self.c + (t - self.c) * mid, self.fractional), t)
            lo, hi = (mid, hi) if self._breach(trial) is None else (lo, mid)
        out = np.where(growing, round_qty(self.c + (t - self.c) * lo, self.fractional), t)
        return self._record(t, out, reason, "growth scaled back after order clipping")

    def buying_power(self, t: np.ndarray) -> np.ndarray:
        """Growing positions may use buying power plus what this cycle's reductions free."""
        c, p = self.c, self.p0
        opening = np.abs(t) > np.abs(c)
        if not opening.any():
            return t
        need = float(((np.abs(t) - np.abs(c)) * p)[opening].sum())
        freed = float((np.clip(np.abs(c) - np.abs(t), 0, None) * p).sum())
        available = max(self.ctx.buying_power, 0.0) + freed
        if need <= available or need == 0:
            return t
        grown = round_qty(c + (t - c) * (available / need), self.fractional)
        grown = np.where((np.sign(grown) == np.sign(t)) & (np.abs(grown) >= np.abs(c)), grown, c)
        return self._record(t, np.where(opening, grown, t), Reason.BUYING_POWER, f"need {need:.2f} > {available:.2f}")

    def max_orders(self, t: np.ndarray) -> np.ndarray:
        delta = t - self.c
        trading = np.flatnonzero(np.abs(delta) > 1e-12)
        limit = self.cfg.max_orders_per_cycle
        if len(trading) <= limit:
            return t
        # Risk-reducing orders first, then the biggest moves; the rest wait.
        reducing = np.abs(t[trading]) < np.abs(self.c[trading])
        size = np.nan_to_num(np.abs(delta[trading] * self.p[trading]))
        ranked = trading[np.lexsort((-size, ~reducing))]
        out = t.copy()
        out[ranked[limit:]] = self.c[ranked[limit:]]
        return self._record(t, out, Reason.MAX_ORDERS, f"more than {limit} orders")


def stop_exits(
    universe: Universe,
    positions: np.ndarray,
    avg_cost: np.ndarray,
    high_water: np.ndarray,
    prices: np.ndarray,
    config: RiskConfig,
) -> dict[str, Reason]:
    """Positions whose stop loss or trailing stop is hit at the decision price (bar-checked),
    in symbol order; arrays aligned to ``universe``."""
    direction = np.sign(positions)
    live = (direction != 0) & ~np.isnan(prices)
    stop = np.zeros(len(positions), dtype=bool)
    trail = np.zeros(len(positions), dtype=bool)
    if config.stop_loss is not None:
        stop = live & (direction * (prices - avg_cost * (1 - direction * config.stop_loss)) <= 0)
    if config.trailing_stop is not None:
        trail = live & ~stop & (direction * (prices - high_water * (1 - direction * config.trailing_stop)) <= 0)
    hits = {universe.symbols[i]: Reason.STOP_LOSS for i in np.flatnonzero(stop)}
    hits.update({universe.symbols[i]: Reason.TRAILING_STOP for i in np.flatnonzero(trail)})
    return dict(sorted(hits.items()))
