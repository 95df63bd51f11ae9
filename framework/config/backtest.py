"""Config of the historical simulator and `trade backtest`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from framework.config.base import ConfigModel


class SlippageConfig(ConfigModel):
    mode: Literal["percent", "fixed"] = "percent"
    value: float = Field(0.0005, ge=0)


class CommissionConfig(ConfigModel):
    mode: Literal["per_share", "percent"] = "per_share"
    per_share: float = Field(0.005, ge=0)
    minimum: float = Field(1.0, ge=0)
    maximum_pct: float = Field(0.01, ge=0, le=1)
    percent: float = Field(0.0, ge=0, le=0.1)


class BacktestConfig(ConfigModel):
    cash: float = Field(100_000.0, gt=0)
    start: date | None = None
    end: date | None = None
    out_dir: str = "runs"
    slippage: SlippageConfig = SlippageConfig()
    commission: CommissionConfig = CommissionConfig()
    volume_cap: float | None = Field(None, gt=0, le=1)
