"""Config of the historical simulator and `trade backtest` (costs and rules: ``venue``)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from framework.config.base import ConfigModel


class BacktestConfig(ConfigModel):
    cash: float = Field(100_000.0, gt=0)
    start: date | None = None
    end: date | None = None
    out_dir: str = "runs"
    volume_cap: float | None = Field(None, gt=0, le=1)
