"""Exposure caps, each a fraction of equity: one position, one sector, gross, net.

Each cap only ever shrinks targets toward zero (rounded toward zero), and changes nothing when it
does not bind. Positions are valued at the decision price, or at their last mark when the symbol has
no price today (held, untradable: it still counts toward the caps, and the runner keeps it as is).
"""

from __future__ import annotations

import numpy as np

from framework.risk.decisions import Reason
from framework.risk.runner import Adjusted, RiskInput
from framework.sizing import round_qty


def shrink(t: np.ndarray, factor: np.ndarray, fractional: bool) -> np.ndarray:
    """Scale targets toward zero by ``factor`` (≤ 1), rounded toward zero."""
    return np.where(factor < 1, round_qty(t * factor, fractional), t)


def _cap(t: np.ndarray, value: np.ndarray, cap: float, reason: Reason, risk: RiskInput) -> Adjusted | None:
    """Shrink every target whose ``value`` exceeds ``cap`` down to it."""
    over = value > cap
    if not over.any():
        return None
    factor = np.where(over, cap / np.where(over, value, 1.0), 1.0)  # value > cap >= 0 where over
    return Adjusted(shrink(t, factor, risk.fractional), reason)


# -- one position ------------------------------------------------------------------------------


class PositionWeight:
    def __init__(self, cap: float) -> None:
        self.cap = cap

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        value = np.abs(t * risk.values)
        return _cap(t, value, self.cap * max(risk.equity, 0.0), Reason.POSITION_WEIGHT, risk)


# -- one sector ---------------------------------------------------------------------------------


class SectorExposure:
    def __init__(self, cap: float) -> None:
        self.cap = cap

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        if not len(t):
            return None
        totals = risk.by_sector(np.abs(t * risk.values))[risk.sector_of]
        return _cap(t, totals, self.cap * max(risk.equity, 0.0), Reason.SECTOR_EXPOSURE, risk)


# -- the whole book: gross and net --------------------------------------------------------------


class GrossExposure:
    def __init__(self, cap: float) -> None:
        self.cap = cap

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        total = float(np.abs(t * risk.values).sum())
        cap = self.cap * max(risk.equity, 0.0)
        if total <= cap:
            return None
        return Adjusted(shrink(t, np.full(len(t), cap / total), risk.fractional), Reason.GROSS_EXPOSURE)


class NetExposure:
    def __init__(self, cap: float) -> None:
        self.cap = cap

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        value = t * risk.values
        net, cap = float(value.sum()), self.cap * max(risk.equity, 0.0)
        if abs(net) <= cap:
            return None
        side = value > 0 if net > 0 else value < 0
        side_total = float(np.abs(value[side]).sum())
        factor = np.ones(len(t))
        factor[side] = max(side_total - (abs(net) - cap), 0.0) / side_total
        return Adjusted(shrink(t, factor, risk.fractional), Reason.NET_EXPOSURE)


def breach(a: np.ndarray, risk: RiskInput, gross: float, net: float, sector: float) -> Reason | None:
    """The first exposure cap ``a`` breaches beyond what the current book already does."""
    eq = max(risk.equity, 0.0)
    value, now = a * risk.values, risk.current * risk.values
    if np.abs(value).sum() > max(gross * eq, np.abs(now).sum()) + 1e-6:
        return Reason.GROSS_EXPOSURE
    if abs(value.sum()) > max(net * eq, abs(now.sum())) + 1e-6:
        return Reason.NET_EXPOSURE
    if len(a):
        after, before = risk.by_sector(np.abs(value)), risk.by_sector(np.abs(now))
        if (after > np.maximum(sector * eq, before) + 1e-6).any():
            return Reason.SECTOR_EXPOSURE
    return None
