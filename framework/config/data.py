"""Which market data to load (default: the embedded dataset) and how it is checked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from framework.config.base import ConfigModel


class DataConfig(ConfigModel):
    prices: str | None = None
    sectors: str | None = None
    adjust: bool = True
    symbols: list[str] | None = Field(None, min_length=1)
    calendar: str = Field("XNYS", min_length=1)
    on_problem: Literal["error", "drop", "repair"] = "error"
    spike_threshold: float = Field(12.0, gt=0)
    zero_volume_sessions: int = Field(3, ge=1)
    stale_sessions: int = Field(5, ge=2)
