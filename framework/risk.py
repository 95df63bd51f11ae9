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
import pandas as pd

from framework.config.execution import RiskConfig
from framework.sizing import round_qty


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


@dataclass(frozen=True)
class RiskContext:
    current: pd.Series  # signed quantities held (plus pending orders)
    prices: pd.Series  # decision prices
    equity: float
    buying_power: float
    halted: bool = False


@dataclass
class RiskResult:
    approved: pd.Series
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

    def check(self, requested: pd.Series, ctx: RiskContext) -> RiskResult:
        """Approved targets and one decision per target a limit changed (numpy inside)."""
        symbols = requested.index.union(ctx.current.index[ctx.current != 0]).sort_values()
        cur = ctx.current.reindex(symbols).fillna(0.0).to_numpy(dtype=float)
        req = requested.reindex(symbols).astype(float).to_numpy()
        t = np.where(np.isnan(req), cur, req)
        price = ctx.prices.reindex(symbols).astype(float).to_numpy()
        sector = np.array([self.sectors.get(s, "Unknown") for s in symbols], dtype=object)
        run = _Run(list(symbols), cur, price, sector, ctx, self.config, self.fractional)
        for step in (
            run.no_price,
            run.halted,
            run.min_price,
            run.position_weight,
            run.sector,
            run.gross,
            run.net,
            run.order_notional,
            run.growth_recheck,
            run.buying_power,
            run.max_orders,
        ):
            t = step(t)
        return RiskResult(approved=pd.Series(t, index=symbols), decisions=run.decisions)


class _Run:
    """One pass of the checks over aligned arrays (targets t, current c, prices p)."""

    def __init__(
        self,
        symbols: list[str],
        cur: np.ndarray,
        price: np.ndarray,
        sector: np.ndarray,
        ctx: RiskContext,
        config: RiskConfig,
        fractional: bool,
    ) -> None:
        self.symbols, self.c, self.p, self.sector_of = symbols, cur, price, sector
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

    def no_price(self, t: np.ndarray) -> np.ndarray:
        out = np.where(np.isnan(self.p), self.c, t)
        return self._record(t, out, Reason.NO_PRICE, "no price at t: hold")

    def halted(self, t: np.ndarray) -> np.ndarray:
        if not self.ctx.halted:
            return t
        c = self.c
        reducing = ((np.sign(t) == np.sign(c)) & (np.abs(t) <= np.abs(c))) | (t == 0)
        return self._record(t, np.where(reducing, t, c), Reason.HALTED, "halted: only risk-reducing orders")

    def min_price(self, t: np.ndarray) -> np.ndarray:
        c = self.c
        growing = (np.abs(t) > np.abs(c)) | ((np.sign(t) != np.sign(c)) & (t != 0))
        cheap = np.nan_to_num(self.p, nan=np.inf) < self.cfg.min_price
        keep = np.where(np.sign(c) == np.sign(t), c, 0.0)
        return self._record(t, np.where(growing & cheap, keep, t), Reason.MIN_PRICE, f"price < {self.cfg.min_price}")

    def _cap_factor(self, value: np.ndarray, cap: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(value > cap, cap / value, 1.0)

    def position_weight(self, t: np.ndarray) -> np.ndarray:
        value = np.nan_to_num(np.abs(t * self.p))
        factor = self._cap_factor(value, self.cfg.max_position_weight * self.equity)
        return self._record(t, self._shrink(t, factor), Reason.POSITION_WEIGHT)

    def sector(self, t: np.ndarray) -> np.ndarray:
        if not len(t):
            return t
        value = np.nan_to_num(np.abs(t * self.p))
        codes, inverse = np.unique(self.sector_of, return_inverse=True)
        totals = np.bincount(inverse, weights=value, minlength=len(codes))[inverse]
        factor = self._cap_factor(totals, self.cfg.max_sector_exposure * self.equity)
        return self._record(t, self._shrink(t, factor), Reason.SECTOR_EXPOSURE)

    def gross(self, t: np.ndarray) -> np.ndarray:
        total = float(np.nan_to_num(np.abs(t * self.p)).sum())
        cap = self.cfg.max_gross_exposure * self.equity
        factor = np.full(len(t), cap / total if total > cap else 1.0)
        return self._record(t, self._shrink(t, factor), Reason.GROSS_EXPOSURE)

    def net(self, t: np.ndarray) -> np.ndarray:
        value = np.nan_to_num(t * self.p)
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
        with np.errstate(divide="ignore", invalid="ignore"):
            allowed = round_qty(np.nan_to_num(cap / self.p, posinf=0.0), self.fractional)
        clipped = self.c + np.sign(delta) * np.minimum(np.abs(delta), allowed)
        over = np.nan_to_num(np.abs(delta * self.p)) > cap
        return self._record(t, np.where(over, clipped, t), Reason.ORDER_NOTIONAL, f"order notional > {cap}")

    def _breach(self, a: np.ndarray) -> Reason | None:
        """The first exposure limit ``a`` breaches beyond what the current book already does."""
        cfg, eq, c, p = self.cfg, self.equity, self.c, np.nan_to_num(self.p)
        value, now = a * p, c * p
        if np.abs(value).sum() > max(cfg.max_gross_exposure * eq, np.abs(now).sum()) + 1e-6:
            return Reason.GROSS_EXPOSURE
        if abs(value.sum()) > max(cfg.max_net_exposure * eq, abs(now.sum())) + 1e-6:
            return Reason.NET_EXPOSURE
        if len(a):
            codes, inv = np.unique(self.sector_of, return_inverse=True)
            after = np.bincount(inv, weights=np.abs(value), minlength=len(codes))
            before = np.bincount(inv, weights=np.abs(now), minlength=len(codes))
            if (after > np.maximum(cfg.max_sector_exposure * eq, before) + 1e-6).any():
                return Reason.SECTOR_EXPOSURE
        return None

    def growth_recheck(self, t: np.ndarray) -> np.ndarray:
        """Clipping some orders (notional cap) can leave others' growth over an exposure cap:
        scale the growth of growing positions back until every cap holds again."""
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
        c, p = self.c, np.nan_to_num(self.p)
        opening = np.abs(t) > np.abs(c)
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
    positions: pd.Series,
    avg_cost: pd.Series,
    high_water: pd.Series,
    prices: pd.Series,
    config: RiskConfig,
) -> dict[str, Reason]:
    """Positions whose stop loss or trailing stop is hit at the decision price (bar-checked)."""
    hits: dict[str, Reason] = {}
    for symbol, qty in positions[positions != 0].items():
        price = prices.get(symbol)
        if price is None or np.isnan(price):
            continue
        direction = 1.0 if qty > 0 else -1.0
        if config.stop_loss is not None:
            level = avg_cost[symbol] * (1 - direction * config.stop_loss)
            if direction * (price - level) <= 0:
                hits[symbol] = Reason.STOP_LOSS
                continue
        if config.trailing_stop is not None and symbol in high_water:
            level = high_water[symbol] * (1 - direction * config.trailing_stop)
            if direction * (price - level) <= 0:
                hits[symbol] = Reason.TRAILING_STOP
    return hits
