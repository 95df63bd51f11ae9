"""Trading costs shared by every simulated venue (backtrader adapter and the sandbox).

One definition of slippage and commission, so a backtest and a sandbox paper run of the same
sessions charge the same costs for the same fills.
"""

from __future__ import annotations

from framework.config.backtest import CommissionConfig, SlippageConfig
from framework.enums import OrderSide


def slipped_price(
    price: float, side: OrderSide, cfg: SlippageConfig, *, low: float | None = None,
    high: float | None = None,
) -> float:
    """The fill price after slippage against us, kept inside the bar's [low, high] range.

    Matches backtrader's ``slip_perc``/``slip_fixed`` with ``slip_open=True, slip_match=True``.
    """
    shift = price * cfg.value if cfg.mode == "percent" else cfg.value
    if side is OrderSide.BUY:
        filled = price + shift
        return min(filled, high) if high is not None else filled
    filled = price - shift
    return max(filled, low) if low is not None else filled


def commission(qty: float, price: float, cfg: CommissionConfig) -> float:
    """Commission in dollars for one fill of ``qty`` shares (sign ignored) at ``price``."""
    size, value = abs(qty), abs(qty) * price
    if size == 0:
        return 0.0
    if cfg.mode == "percent":
        return value * cfg.percent
    fee = max(size * cfg.per_share, cfg.minimum)
    return min(fee, value * cfg.maximum_pct) if cfg.maximum_pct > 0 else fee
