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
    current: pd.Series      # signed quantities held (plus pending orders)
    prices: pd.Series       # decision prices
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
        symbols = requested.index.union(ctx.current.index[ctx.current != 0]).sort_values()
        current = ctx.current.reindex(symbols).fillna(0.0).astype(float)
        target = requested.reindex(symbols).astype(float).fillna(current)
        price = ctx.prices.reindex(symbols).astype(float)
        result = RiskResult(approved=target)
        steps = (
            self._no_price, self._halted, self._min_price, self._position_weight,
            self._sector, self._gross, self._net, self._order_notional, self._buying_power,
            self._max_orders,
        )
        for step in steps:
            result.approved = step(result, current, price, ctx)
        return result

    def _record(self, result: RiskResult, before: pd.Series, after: pd.Series, reason: Reason,
                current: pd.Series, detail: str = "") -> pd.Series:
        changed = before.index[(before - after).abs() > 1e-9]
        for symbol in changed:
            requested, approved = float(before[symbol]), float(after[symbol])
            action = Action.REJECT if abs(approved - current[symbol]) < 1e-9 else Action.REDUCE
            result.decisions.append(RiskDecision(symbol, reason, action, requested, approved, detail))
        return after

    def _shrink(self, target: pd.Series, current: pd.Series, factor: pd.Series) -> pd.Series:
        """Scale targets toward zero by ``factor`` (≤ 1), rounded toward zero."""
        scaled = pd.Series(round_qty((target * factor).to_numpy(), self.fractional), index=target.index)
        return scaled.where(factor < 1, target)

    def _no_price(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        out = r.approved.where(price.notna(), cur)
        return self._record(r, r.approved, out, Reason.NO_PRICE, cur, "no price at t: hold")

    def _halted(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        if not ctx.halted:
            return r.approved
        t = r.approved
        reducing = (np.sign(t) == np.sign(cur)) & (t.abs() <= cur.abs()) | (t == 0)
        out = t.where(reducing, cur)
        return self._record(r, t, out, Reason.HALTED, cur, "halted: only risk-reducing orders")

    def _min_price(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        growing = (t.abs() > cur.abs()) | (np.sign(t) != np.sign(cur)) & (t != 0)
        cheap = price < self.config.min_price
        out = t.where(~(growing & cheap), cur.where(np.sign(cur) == np.sign(t), 0.0))
        return self._record(r, t, out, Reason.MIN_PRICE, cur, f"price < {self.config.min_price}")

    def _position_weight(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        cap = self.config.max_position_weight * max(ctx.equity, 0.0)
        value = (t * price).abs()
        factor = (cap / value).where(value > cap, 1.0).fillna(1.0)
        return self._record(r, t, self._shrink(t, cur, factor), Reason.POSITION_WEIGHT, cur)

    def _sector(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        if not self.sectors:
            return t
        cap = self.config.max_sector_exposure * max(ctx.equity, 0.0)
        sector = pd.Series([self.sectors.get(s, "Unknown") for s in t.index], index=t.index)
        value = (t * price).abs().fillna(0.0)
        total = value.groupby(sector).transform("sum")
        factor = (cap / total).where(total > cap, 1.0).fillna(1.0)
        return self._record(r, t, self._shrink(t, cur, factor), Reason.SECTOR_EXPOSURE, cur)

    def _gross(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        cap = self.config.max_gross_exposure * max(ctx.equity, 0.0)
        total = float((t * price).abs().sum())
        factor = pd.Series(cap / total if total > cap else 1.0, index=t.index)
        return self._record(r, t, self._shrink(t, cur, factor), Reason.GROSS_EXPOSURE, cur)

    def _net(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        cap = self.config.max_net_exposure * max(ctx.equity, 0.0)
        value = (t * price).fillna(0.0)
        net = float(value.sum())
        if abs(net) <= cap:
            return t
        side = value > 0 if net > 0 else value < 0
        side_total = float(value[side].abs().sum())
        other = side_total - (abs(net) - cap)
        factor = pd.Series(1.0, index=t.index)
        factor[side] = max(other, 0.0) / side_total
        return self._record(r, t, self._shrink(t, cur, factor), Reason.NET_EXPOSURE, cur)

    def _order_notional(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        cap = self.config.max_order_notional
        delta = t - cur
        notional = (delta * price).abs()
        allowed = pd.Series(round_qty((cap / price).to_numpy(), self.fractional), index=t.index)
        clipped = cur + np.sign(delta) * np.minimum(delta.abs(), allowed)
        out = t.where(~(notional > cap), clipped)
        return self._record(r, t, out, Reason.ORDER_NOTIONAL, cur, f"order notional > {cap}")

    def _buying_power(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        """Buys (and new shorts) may use buying power plus what this cycle's sells free."""
        t = r.approved
        delta = (t - cur) * price
        opening = ((t.abs() > cur.abs()) & (delta != 0)).fillna(False)
        need = float(((t.abs() - cur.abs()) * price)[opening].sum())
        closing_proceeds = float(((cur.abs() - t.abs()).clip(lower=0) * price).fillna(0).sum())
        available = max(ctx.buying_power, 0.0) + closing_proceeds
        if need <= available or need == 0:
            return t
        factor = available / need
        grown = cur + (t - cur) * factor
        shrunk = pd.Series(round_qty(grown.to_numpy(), self.fractional), index=t.index)
        shrunk = shrunk.where(np.sign(shrunk) == np.sign(t), cur)
        out = t.where(~opening, shrunk.where(shrunk.abs() >= cur.abs(), cur))
        return self._record(r, t, out, Reason.BUYING_POWER, cur, f"need {need:.2f} > {available:.2f}")

    def _max_orders(self, r: RiskResult, cur: pd.Series, price: pd.Series, ctx: RiskContext) -> pd.Series:
        t = r.approved
        delta = t - cur
        trading = delta.index[delta.abs() > 1e-12]
        limit = self.config.max_orders_per_cycle
        if len(trading) <= limit:
            return t
        # Risk-reducing orders first, then by size: the biggest moves are kept.
        reducing = (t.abs() < cur.abs())[trading]
        size = (delta.abs() * price.fillna(0.0))[trading]
        order = pd.DataFrame({"r": ~reducing, "s": -size}).sort_values(["r", "s"], kind="stable").index
        dropped = order[limit:]
        out = t.copy()
        out[dropped] = cur[dropped]
        return self._record(r, t, out, Reason.MAX_ORDERS, cur, f"more than {limit} orders")


def stop_exits(
    positions: pd.Series, avg_cost: pd.Series, high_water: pd.Series, prices: pd.Series,
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
