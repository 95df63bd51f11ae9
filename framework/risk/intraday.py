"""The daily loss limit while the market is open, as pure policy.

The engine checks the daily loss at each decision (before the open); the loss watch checks it
between decisions, from the venue's equity with every position at its latest trade, against the
same baseline a person sees in `trade status` (the account's equity at the last close). The
breach test is :func:`framework.risk.guards.breached`'s, so the two can never disagree on what
a breach is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from framework.config.execution import RiskConfig
from framework.positions import Position
from framework.risk.decisions import HaltReason
from framework.risk.guards import breached


@dataclass(frozen=True, slots=True)
class LossReading:
    """``headroom``: the share of the day's loss allowance still unused (1.0 flat, 0.0 at the
    limit, above 1.0 on a winning day)."""

    equity: float
    baseline: float
    limit: float  # risk.daily_loss_limit, a fraction of the baseline

    @property
    def pnl(self) -> float:
        return self.equity - self.baseline

    @property
    def pnl_fraction(self) -> float:
        return self.pnl / self.baseline if self.baseline > 0 else 0.0

    @property
    def allowance(self) -> float:
        return self.baseline * self.limit

    @property
    def headroom(self) -> float:
        return max(self.allowance + self.pnl, 0.0) / self.allowance if self.allowance > 0 else 1.0

    def breached(self, cfg: RiskConfig) -> bool:
        return HaltReason.DAILY_LOSS in breached(cfg, self.equity, self.baseline, 0.0)


def marked_equity(cash: Decimal, positions: Iterable[Position]) -> Decimal | None:
    """Cash plus every position at its latest price; None if one has no price."""
    total = cash
    for p in positions:
        if p.market_price is None:
            return None
        total += p.qty * p.market_price
    return total


@dataclass
class HeadroomAlarm:
    """Fires once per session, the first time the headroom falls below ``below``."""

    below: float
    fired: set[date] = field(default_factory=set)

    def check(self, session: date, reading: LossReading) -> bool:
        if session in self.fired or reading.headroom >= self.below:
            return False
        self.fired.add(session)
        return True


__all__ = ["HeadroomAlarm", "LossReading", "marked_equity"]
