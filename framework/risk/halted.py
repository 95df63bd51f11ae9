"""While halted, only risk-reducing targets pass: toward zero on the same side, or zero."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from framework.orders import Order, is_protective
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


def order_adds_risk(order: Order, held: Decimal) -> bool:
    """Whether what is left of ``order`` adds risk to the position ``held`` — the one definition,
    whoever holds the books: the engine's (our positions) or an operator's action (the broker's).
    A protective stop never does: it only fills to close what it guards."""
    if is_protective(order):
        return False
    remaining = order.remaining_qty if order.remaining_qty is not None else Decimal(0)
    return adds_risk(order.side.sign * remaining, held)


class HaltedOnlyReduce:
    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        if not risk.halted:
            return None
        keep = reduces_risk(t, risk.current)
        if keep.all():
            return None
        return Adjusted(np.where(keep, t, risk.current), Reason.HALTED, "halted: only risk-reducing orders")
