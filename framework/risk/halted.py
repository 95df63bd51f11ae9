"""While halted, only risk-reducing targets pass: toward zero on the same side, or zero."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from framework.risk.decisions import Reason
from framework.risk.runner import Adjusted, RiskInput


def reduces_risk(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Targets that only shrink a position (same side, no bigger) or close it."""
    return ((np.sign(target) == np.sign(current)) & (np.abs(target) <= np.abs(current))) | (target == 0)


def adds_risk(signed_qty: Decimal, held: Decimal) -> bool:
    """Whether an order of ``signed_qty`` (buy +, sell −) grows the position ``held`` or turns it
    to the other side, were it to fill. A protective stop sells at most what is held: never."""
    after = held + signed_qty
    return abs(after) > abs(held) or after * held < 0


class HaltedOnlyReduce:
    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        if not risk.halted:
            return None
        keep = reduces_risk(t, risk.current)
        if keep.all():
            return None
        return Adjusted(np.where(keep, t, risk.current), Reason.HALTED, "halted: only risk-reducing orders")
