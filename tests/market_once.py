"""The embedded market data read once per test process, for the sandboxes and scripted markets
that only read it: reading and checking it costs a third of a second of CPU each time, and
dozens of tests start a sandbox on it.

Shared read-only: :class:`~framework.data.MarketData` is frozen, and pandas' copy-on-write keeps
the frames a test derives from it (a selection, a copy it edits) from reaching the shared one.
A file named by the settings (``data.prices``) is read every time: a test may rewrite it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from brokers.sandbox import SandboxServer
from framework.config import load_settings
from framework.config.data import DataConfig
from framework.config.settings import Settings
from framework.data import MarketData, load_configured, load_market_data


@cache
def embedded() -> MarketData:
    """The embedded data set as :func:`load_market_data` gives it by default."""
    return load_market_data()


@cache
def _configured(key: str) -> MarketData:
    return load_configured(DataConfig.model_validate_json(key))


def configured(cfg: DataConfig) -> MarketData:
    """What ``load_configured(cfg)`` gives: read once when it is the embedded data set."""
    return _configured(cfg.model_dump_json()) if cfg.prices is None else load_configured(cfg)


def embedded_sandbox(settings: Settings | None = None, **kw: Any) -> SandboxServer:
    """``SandboxServer(settings, **kw)`` on the settings' market, read once when embedded."""
    settings = settings or load_settings(validate_strategy=False)
    return SandboxServer(settings, configured(settings.data), **kw)


__all__ = ["configured", "embedded", "embedded_sandbox"]
