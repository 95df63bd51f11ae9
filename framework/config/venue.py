"""Config of the venue model: whose rules and economics every simulated fill follows.

Read by the backtrader simulator and `trade sandbox` alike (one model, see framework.venue).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from framework.config.base import ConfigModel
from framework.enums import VenueProfile


class SlippageConfig(ConfigModel):
    mode: Literal["percent", "fixed"] = "percent"
    value: float = Field(0.0005, ge=0)
    cap_at_bar_range: bool = False


class CommissionConfig(ConfigModel):
    mode: Literal["per_share", "percent"] = "per_share"
    per_share: float = Field(0.005, ge=0)
    minimum: float = Field(1.0, ge=0)
    maximum_pct: float = Field(0.01, ge=0, le=1)
    percent: float = Field(0.0, ge=0, le=0.1)


class FeesConfig(ConfigModel):
    sec_rate_per_million: float = Field(27.8, ge=0, le=1000)
    taf_per_share: float = Field(0.000166, ge=0, le=1)
    taf_max_per_trade: float = Field(8.30, ge=0)


class VenueConfig(ConfigModel):
    profile: VenueProfile = VenueProfile.ALPACA_PAPER
    margin_multiplier: Literal[1, 2] | None = None
    slippage: SlippageConfig = SlippageConfig()
    commission: CommissionConfig = CommissionConfig()
    fees: FeesConfig = FeesConfig()
    dividends: bool | None = None
    hard_to_borrow: list[str] = Field(default_factory=list)
