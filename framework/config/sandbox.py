"""Config of `trade sandbox`, the loopback Alpaca-compatible paper server."""

from __future__ import annotations

from pydantic import Field

from framework.config.base import ConfigModel


class SandboxConfig(ConfigModel):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    state: str = "runs/sandbox/state.sqlite"
    start: str | None = None
    cash: float = Field(100_000.0, gt=0)
    seed: int = 0
    rate_limit: int = Field(200, ge=1)
    rate_limit_window_seconds: float = Field(60.0, gt=0)
