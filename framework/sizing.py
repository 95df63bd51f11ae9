"""Position sizing: target weights → target share quantities, vectorised over symbols."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from framework.config.execution import SizingConfig

FRACTION_STEP = 1e-4  # smallest fractional share we trade


@dataclass(frozen=True)
class SizingInput:
    weights: pd.Series  # signed target weights by symbol
    equity: float  # cash + positions at the decision prices
    prices: pd.Series  # decision prices (close of t) of tradable symbols
    volatility: pd.Series  # trailing annualised volatility
    current: pd.Series  # current signed quantities (positions + pending orders)


def round_qty(qty: np.ndarray, fractional: bool) -> np.ndarray:
    """Toward zero: rounding never makes a position bigger than the limits allowed."""
    if fractional:
        return np.trunc(qty / FRACTION_STEP) * FRACTION_STEP
    return np.trunc(qty)


class PositionSizer:
    def __init__(self, config: SizingConfig) -> None:
        self.config = config

    def risk_adjusted(self, weights: pd.Series, volatility: pd.Series) -> pd.Series:
        """Inverse-volatility or volatility-target weights with the same or smaller gross."""
        cfg = self.config
        if cfg.mode == "weight" or weights.empty:
            return weights
        vol = volatility.reindex(weights.index)
        vol = vol.where(vol > 0).fillna(vol[vol > 0].median() if (vol > 0).any() else 1.0)
        gross = float(weights.abs().sum())
        scaled = weights / vol
        scaled *= gross / float(scaled.abs().sum())
        if cfg.mode == "volatility_target":
            # Independence assumption: a cheap, documented estimate of portfolio volatility.
            estimate = float(np.sqrt(((scaled * vol) ** 2).sum()))
            if estimate > 0:
                scaled *= min(cfg.volatility_target / estimate, 1.0)
        return scaled

    def target_quantities(self, inp: SizingInput) -> pd.Series:
        """Signed target quantities for the union of held and wanted symbols."""
        cfg = self.config
        weights = self.risk_adjusted(inp.weights, inp.volatility)
        symbols = weights.index.union(inp.current.index[inp.current != 0]).sort_values()
        price = inp.prices.reindex(symbols)
        current = inp.current.reindex(symbols).fillna(0.0)
        w = weights.reindex(symbols).fillna(0.0)
        investable = inp.equity * (1.0 - cfg.cash_buffer)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(price > 0, w * investable / price, 0.0)
        target = pd.Series(round_qty(raw, cfg.fractional), index=symbols)
        # Untradable (no price today): hold what we have.
        target = target.where(price.notna(), current)
        return self._skip_small(target, current, price, inp.equity)

    def _skip_small(self, target: pd.Series, current: pd.Series, price: pd.Series, equity: float) -> pd.Series:
        cfg = self.config
        delta = (target - current).abs()
        notional = delta * price.fillna(0.0)
        weight_change = notional / equity if equity > 0 else notional * np.inf
        small = (
            (delta < cfg.min_trade_shares) | (notional < cfg.min_trade_notional) | (weight_change < cfg.rebalance_band)
        )
        full_exit = (target == 0) & (current != 0)
        return target.where(~small | full_exit, current)
