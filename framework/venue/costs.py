"""What a fill costs: slippage against us, commission, regulatory fees. Pure arithmetic.

One definition for every simulated venue (backtrader adapter and the sandbox), so a backtest and
a sandbox paper run of the same sessions charge the same costs for the same fills.
"""

from __future__ import annotations

import math

from framework.config.venue import CommissionConfig, FeesConfig, SlippageConfig
from framework.enums import OrderSide


def slipped_price(
    price: float, side: OrderSide, cfg: SlippageConfig, *, low: float | None = None, high: float | None = None
) -> float:
    """The fill price after slippage against us. Only with ``cfg.cap_at_bar_range`` is it kept
    inside the bar's [low, high] (no real venue caps; the option exists to reproduce old runs)."""
    shift = price * cfg.value if cfg.mode == "percent" else cfg.value
    if side is OrderSide.BUY:
        filled = price + shift
        return min(filled, high) if cfg.cap_at_bar_range and high is not None else filled
    filled = price - shift
    return max(filled, low) if cfg.cap_at_bar_range and low is not None else filled


def schedule_commission(qty: float, price: float, cfg: CommissionConfig) -> float:
    """Commission in dollars for one execution of ``qty`` shares (sign ignored) at ``price``."""
    size, value = abs(qty), abs(qty) * price
    if size == 0:
        return 0.0
    if cfg.mode == "percent":
        return value * cfg.percent
    fee = max(size * cfg.per_share, cfg.minimum)
    return min(fee, value * cfg.maximum_pct) if cfg.maximum_pct > 0 else fee


def _cents_up(dollars: float) -> float:
    """Regulatory fees are rounded up to the next cent (a float's last-bit noise is not a cent)."""
    return math.ceil(round(dollars * 100, 9)) / 100


def regulatory_fees(qty: float, price: float, side: OrderSide, cfg: FeesConfig) -> float:
    """SEC Section 31 fee plus FINRA TAF for one execution; sells only, each rounded up to a cent."""
    size = abs(qty)
    if side is OrderSide.BUY or size == 0:
        return 0.0
    sec = _cents_up(size * price * cfg.sec_rate_per_million / 1e6)
    taf = _cents_up(min(size * cfg.taf_per_share, cfg.taf_max_per_trade))
    return sec + taf
