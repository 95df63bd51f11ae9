"""Config of paper trading against Alpaca (or the loopback sandbox)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from framework.config.base import ConfigModel, QuietDefaultsModel


class AlpacaConfig(ConfigModel):
    trading_url: str = "https://paper-api.alpaca.markets"
    data_url: str = "https://data.alpaca.markets"
    stream_url: str = "wss://paper-api.alpaca.markets/stream"
    allow_live: bool = False
    feed: Literal["iex", "sip"] = "iex"
    adjustment: Literal["raw", "split", "dividend", "all"] = "all"
    stream: bool = True
    data_rate_limit_per_minute: int = Field(200, ge=1)
    read_deadline_seconds: float = Field(30.0, gt=0)


class PaperConfig(QuietDefaultsModel):
    QUIET: ClassVar[tuple[str, ...]] = ("adapter",)

    adapter: str = "alpaca"  # the live adapter by name (framework.adapters: built-ins, then entry points)
    alpaca: AlpacaConfig = AlpacaConfig()
    journal: str = "runs/paper/journal.sqlite"
    history_bars: int = Field(300, ge=1)
    ack_deadline_seconds: float = Field(30.0, gt=0)
    poll_interval_seconds: float = Field(2.0, gt=0)
    minutes_before_open: float = Field(30.0, ge=0)
    cycle_deadline_seconds: float = Field(600.0, gt=0)
    after_close_minutes: float = Field(15.0, ge=0)
    account: str = "paper"
