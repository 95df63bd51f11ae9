"""Which market data to load (default: the embedded dataset)."""

from __future__ import annotations

from pydantic import Field

from framework.config.base import ConfigModel


class DataConfig(ConfigModel):
    prices: str | None = None
    sectors: str | None = None
    adjust: bool = True
    symbols: list[str] | None = Field(None, min_length=1)
