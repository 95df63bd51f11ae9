"""The sessions a backtest trades: after the plugin's warm-up (or from the configured start) to the
configured end. Shared by the backtest, the sweep's plan (one common period for every point) and
the commands that announce it."""

from __future__ import annotations

import pandas as pd

from framework.config.settings import Settings
from framework.data import MarketData
from framework.errors import InputError
from framework.strategy import Strategy, warmup


def trading_window(market: MarketData, strategy: Strategy, settings: Settings) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First session with a full warm-up (or the configured start) to the configured end."""
    dates = market.dates
    cfg = settings.backtest
    bars = warmup(strategy, settings.strategy.warmup_bars)
    warm = dates[min(bars, len(dates) - 1)]
    start = max(pd.Timestamp(cfg.start), warm) if cfg.start else warm
    end = pd.Timestamp(cfg.end) if cfg.end else dates[-1]
    if cfg.start and cfg.end and pd.Timestamp(cfg.end) < pd.Timestamp(cfg.start):
        raise InputError(f"backtest end {cfg.end} is before start {cfg.start}")
    if len(dates[(dates >= start) & (dates <= end)]) < 2:
        raise InputError(
            f"no sessions to trade between {start.date()} and {end.date()} "
            f"(data {dates[0].date()}..{dates[-1].date()}, warm-up {bars} bars)"
        )
    return start, end


__all__ = ["trading_window"]
