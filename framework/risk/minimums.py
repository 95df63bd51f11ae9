"""No trade below the sizing minimums, whatever asked for it: a risk trim obeys
``min_trade_shares``, ``min_trade_notional`` and ``rebalance_band`` like a rebalance does (a cap
binding by a share or two must not send a tiny order every session). Closing a position always goes."""

from __future__ import annotations

import numpy as np

from framework.arrays import nan_to_zero
from framework.config.execution import SizingConfig
from framework.risk.decisions import Reason
from framework.risk.runner import SAME, Adjusted, RiskInput


def too_small(delta: np.ndarray, prices: np.ndarray, equity: float, cfg: SizingConfig) -> np.ndarray:
    """Trades under any of the three minimums (shares, dollars, fraction of equity)."""
    size = np.abs(delta)
    notional = size * nan_to_zero(prices)
    weight = notional / equity if equity > 0 else np.full(len(delta), np.inf)
    return (size < cfg.min_trade_shares) | (notional < cfg.min_trade_notional) | (weight < cfg.rebalance_band)


class MinimumTrade:
    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def __init__(self, sizing: SizingConfig) -> None:
        self.sizing = sizing

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        c = risk.current
        delta = t - c
        trading = np.abs(delta) > SAME
        if not trading.any():  # a hold: nothing to judge
            return None
        closing = (t == 0) & (c != 0)
        small = trading & ~closing & too_small(delta, risk.prices, risk.equity, self.sizing)
        if not small.any():
            return None
        return Adjusted(np.where(small, c, t), Reason.MIN_TRADE, "below the sizing minimums")
