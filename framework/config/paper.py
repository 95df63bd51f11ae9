"""Config of paper trading against Alpaca (or the loopback sandbox)."""

from __future__ import annotations

from pydantic import Field

from framework.config.base import ConfigModel


class AlpacaConfig(ConfigModel):
    trading_url: str = "https://paper-api.alpaca.markets"
    data_url: str = "https://data.alpaca.markets"
    stream_url: str = "wss://paper-api.alpaca.markets/stream"
    allow_live: bool = False
    feed: str = "iex"


class PaperConfig(ConfigModel):
    alpaca: AlpacaConfig = AlpacaConfig()
    journal: str = "runs/paper/journal.sqlite"
    history_bars: int = Field(300, ge=1)
    ack_deadline_seconds: float = Field(30.0, gt=0)
