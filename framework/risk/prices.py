"""No new risk in symbols priced below ``risk.min_price`` (penny stocks)."""

from __future__ import annotations

import numpy as np

from framework.risk.decisions import Reason
from framework.risk.runner import Adjusted, RiskInput


class MinPrice:
    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def __init__(self, min_price: float) -> None:
        self.min_price = min_price

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        c = risk.current
        cheap = risk.prices < self.min_price  # NaN (no price) is never cheap
        if not cheap.any():
            return None
        growing = (np.abs(t) > np.abs(c)) | ((np.sign(t) != np.sign(c)) & (t != 0))
        if not (growing & cheap).any():
            return None
        keep = np.where(np.sign(c) == np.sign(t), c, 0.0)
        return Adjusted(np.where(growing & cheap, keep, t), Reason.MIN_PRICE, f"price < {self.min_price}")
