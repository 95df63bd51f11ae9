"""Limits on the orders themselves: one order's notional, and how many orders one decision sends."""

from __future__ import annotations

import numpy as np

from framework.arrays import nan_to_zero
from framework.risk.decisions import Reason
from framework.risk.exposure import breach
from framework.risk.runner import Adjusted, RiskInput
from framework.sizing import round_qty


class OrderNotional:
    """No single order above ``max_order_notional`` dollars: larger ones are clipped."""

    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        delta = t - risk.current
        if not delta.any():  # no order at all (the cap is > 0)
            return None
        over = np.abs(delta * nan_to_zero(risk.prices)) > self.cap
        if not over.any():
            return None
        safe = np.where(over, risk.prices, 1.0)  # over implies a finite, positive price
        allowed = round_qty(self.cap / safe, risk.fractional)
        clipped = risk.current + np.sign(delta) * np.minimum(np.abs(delta), allowed)
        return Adjusted(np.where(over, clipped, t), Reason.ORDER_NOTIONAL, f"order notional > {self.cap}")


class GrowthRecheck:
    """Clipping an order, or leaving a trim too small to send, can leave other positions' growth
    over an exposure cap: scale the growth of growing positions back (bisection on one factor)
    until every cap holds again."""

    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def __init__(self, gross: float, net: float, sector: float) -> None:
        self.caps = (gross, net, sector)

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        if np.array_equal(t, risk.current):  # the book as it is breaches nothing beyond itself
            return None
        reason = breach(t, risk, *self.caps)
        if reason is None:
            return None
        c = risk.current
        growing = np.abs(t) > np.abs(c)
        lo, hi = 0.0, 1.0
        for _ in range(30):
            mid = (lo + hi) / 2
            trial = np.where(growing, round_qty(c + (t - c) * mid, risk.fractional), t)
            lo, hi = (mid, hi) if breach(trial, risk, *self.caps) is None else (lo, mid)
        out = np.where(growing, round_qty(c + (t - c) * lo, risk.fractional), t)
        return Adjusted(out, reason, "growth scaled back after order clipping")


class MaxOrders:
    """At most ``limit`` orders per decision: risk-reducing ones first, then the biggest moves."""

    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        c = risk.current
        delta = t - c
        trading = np.flatnonzero(np.abs(delta) > 1e-12)
        if len(trading) <= self.limit:
            return None
        reducing = np.abs(t[trading]) < np.abs(c[trading])
        size = nan_to_zero(np.abs(delta[trading] * risk.prices[trading]))
        ranked = trading[np.lexsort((-size, ~reducing))]
        out = t.copy()
        out[ranked[self.limit :]] = c[ranked[self.limit :]]
        return Adjusted(out, Reason.MAX_ORDERS, f"more than {self.limit} orders")
