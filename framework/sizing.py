"""Position sizing: target weights → target share quantities, vectorised over the universe."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from framework.arrays import nan_to_zero
from framework.config.execution import SizingConfig

FRACTION_STEP = 1e-4  # smallest fractional share we trade


@dataclass(frozen=True, eq=False)
class SizingInput:
    """Arrays aligned to one universe."""

    weights: np.ndarray  # signed target weights (0: flat; NaN: no view, hold what is held)
    equity: float  # cash + positions at the decision prices
    prices: np.ndarray  # decision prices (close of t); NaN: not tradable at t
    volatility: np.ndarray  # trailing annualised volatility
    current: np.ndarray  # current signed quantities (positions + pending orders)


def round_qty(qty: np.ndarray, fractional: bool) -> np.ndarray:
    """Toward zero: rounding never makes a position bigger than the limits allowed."""
    if fractional:
        return np.trunc(qty / FRACTION_STEP) * FRACTION_STEP
    return np.trunc(qty)


class PositionSizer:
    def __init__(self, config: SizingConfig) -> None:
        self.config = config

    def risk_adjusted(self, weights: np.ndarray, volatility: np.ndarray) -> np.ndarray:
        """Inverse-volatility or volatility-target weights with the same or smaller gross."""
        cfg = self.config
        picked = weights != 0
        if cfg.mode == "weight" or not picked.any():
            return weights
        vol = np.where(picked, volatility, np.nan)
        positive = vol[picked & (vol > 0)]
        vol = np.where(vol > 0, vol, float(np.median(positive)) if len(positive) else 1.0)
        gross = float(np.abs(weights).sum())
        scaled = np.where(picked, weights / vol, 0.0)
        scaled *= gross / float(np.abs(scaled).sum())
        if cfg.mode == "volatility_target":
            # Independence assumption: a cheap, documented estimate of portfolio volatility.
            estimate = float(np.sqrt((np.where(picked, scaled * vol, 0.0) ** 2).sum()))
            if estimate > 0:
                scaled *= min(cfg.volatility_target / estimate, 1.0)
        return scaled

    def target_quantities(self, inp: SizingInput) -> np.ndarray:
        """Signed target quantities for every symbol of the universe."""
        cfg = self.config
        view = ~np.isnan(inp.weights)
        w = self.risk_adjusted(np.where(view, inp.weights, 0.0), inp.volatility)
        price, current = inp.prices, inp.current
        investable = inp.equity * (1.0 - cfg.cash_buffer)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(price > 0, w * investable / price, 0.0)
        target = round_qty(raw, cfg.fractional)
        target = np.where(view & ~np.isnan(price), target, current)  # no view, or untradable today: hold
        return self._skip_small(target, current, price, inp.equity)

    def _skip_small(self, target: np.ndarray, current: np.ndarray, price: np.ndarray, equity: float) -> np.ndarray:
        cfg = self.config
        delta = np.abs(target - current)
        notional = delta * nan_to_zero(price)
        weight_change = notional / equity if equity > 0 else notional * np.inf
        small = (
            (delta < cfg.min_trade_shares) | (notional < cfg.min_trade_notional) | (weight_change < cfg.rebalance_band)
        )
        full_exit = (target == 0) & (current != 0)
        return np.where(~small | full_exit, target, current)
