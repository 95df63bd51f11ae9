"""Config of the execution core: which strategy, signals, sizing, risk and orders.

Each model's defaults equal ``config/execution.yaml`` (a test holds them together).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from framework.config.base import ConfigModel, QuietDefaultsModel
from framework.enums import TimeInForce
from framework.styles import OrderStyle


class StrategyConfig(ConfigModel):
    name: str = "xgboost_signal"
    params: dict[str, Any] = Field(default_factory=dict)
    warmup_bars: int | None = Field(None, ge=0, le=10_000)


class SignalsConfig(ConfigModel):
    threshold: float = Field(0.1, ge=0, lt=1)
    top_n: int | None = Field(None, ge=1)
    bottom_n: int | None = Field(None, ge=1)
    allow_short: bool = False
    gross_target: float = Field(1.0, gt=0, le=4)
    weighting: Literal["strength", "equal"] = "strength"
    rebalance_every: int = Field(5, ge=1, le=252)


class SizingConfig(ConfigModel):
    mode: Literal["weight", "inverse_volatility", "volatility_target"] = "weight"
    volatility_lookback: int = Field(20, ge=2)
    volatility_target: float = Field(0.15, gt=0, le=5)
    cash_buffer: float = Field(0.02, ge=0, lt=1)
    fractional: bool = False
    min_trade_shares: float = Field(1.0, ge=0)
    min_trade_notional: float = Field(100.0, ge=0)
    rebalance_band: float = Field(0.01, ge=0, lt=1)


class RiskConfig(QuietDefaultsModel):
    QUIET: ClassVar[tuple[str, ...]] = ("stop_limit_offset_bps",)
    max_position_weight: float = Field(0.10, gt=0, le=1)
    max_gross_exposure: float = Field(1.0, gt=0, le=4)
    max_net_exposure: float = Field(1.0, ge=0, le=4)
    max_sector_exposure: float = Field(0.35, gt=0, le=4)
    max_order_notional: float = Field(250_000.0, gt=0)
    min_price: float = Field(5.0, ge=0)
    max_orders_per_cycle: int = Field(100, ge=1)
    daily_loss_limit: float = Field(0.03, gt=0, lt=1)
    max_drawdown: float = Field(0.25, gt=0, lt=1)
    flatten_on_halt: bool = False
    stop_loss: float | None = Field(None, gt=0, lt=1)
    trailing_stop: float | None = Field(None, gt=0, lt=1)
    stop_limit_offset_bps: float | None = Field(None, gt=0, le=2000)
    watch_interval_seconds: float = Field(30.0, ge=1)


class OrdersConfig(QuietDefaultsModel):
    QUIET: ClassVar[tuple[str, ...]] = (
        "style", "collar_bps", "reprice_after_minutes", "reprice_times", "twap_slices", "twap_window_minutes",
        "participation_cap",
    )
    type: Literal["market", "limit"] = "market"
    limit_offset_bps: float = Field(10.0, ge=0, le=1000)
    style: OrderStyle | None = None
    collar_bps: float = Field(10.0, ge=0, le=1000)
    reprice_after_minutes: float | None = Field(None, gt=0, le=390)
    reprice_times: int = Field(1, ge=0, le=10)
    twap_slices: int = Field(6, ge=2, le=390)
    twap_window_minutes: int = Field(30, ge=2, le=390)
    participation_cap: float = Field(0.1, gt=0, le=1)
    time_in_force: TimeInForce = TimeInForce.DAY
    rate_limit_per_minute: int = Field(200, ge=1)
    max_retries: int = Field(5, ge=0, le=20)
    backoff_initial_seconds: float = Field(0.5, gt=0)
    backoff_max_seconds: float = Field(30.0, gt=0)
    request_timeout_seconds: float = Field(10.0, gt=0)
    cancel_stale_after_minutes: float | None = Field(None, gt=0)

    @property
    def effective_style(self) -> OrderStyle:
        """``style``, else the style ``type`` names (market | limit): the default sends exactly
        what it sent before styles existed."""
        return self.style if self.style is not None else OrderStyle(self.type)
