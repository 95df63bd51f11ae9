"""The sessions a backtest trades: after the plugin's warm-up (or from the configured start) to the
configured end. Shared by the backtest, the sweep's plan (one common period for every point) and
the commands that announce it.

The window's ends are sessions of the data: a start on New Year's Day or a weekend, before the
data's first bar or inside the warm-up, is moved to the first session it can trade, and
:func:`window_notes` says so in words (a run never reports dates it did not trade).
"""

from __future__ import annotations

import pandas as pd

from framework.config.settings import Settings
from framework.data import MarketData
from framework.errors import InputError
from framework.strategy import Strategy, warmup


def _bounds(market: MarketData, strategy: Strategy, settings: Settings) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    dates = market.dates
    cfg = settings.backtest
    bars = warmup(strategy, settings.strategy.warmup_bars)
    warm = dates[min(bars, len(dates) - 1)]
    start = max(pd.Timestamp(cfg.start), warm) if cfg.start else warm
    end = pd.Timestamp(cfg.end) if cfg.end else dates[-1]
    return start, end, bars


def trading_window(market: MarketData, strategy: Strategy, settings: Settings) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first session with a full warm-up on or after the configured start, to the last session
    on or before the configured end."""
    dates = market.dates
    cfg = settings.backtest
    start, end, bars = _bounds(market, strategy, settings)
    if cfg.start and cfg.end and pd.Timestamp(cfg.end) < pd.Timestamp(cfg.start):
        raise InputError(f"backtest end {cfg.end} is before start {cfg.start}")
    traded = dates[(dates >= start) & (dates <= end)]
    if len(traded) < 2:
        raise InputError(
            f"no sessions to trade between {start.date()} and {end.date()} "
            f"(data {dates[0].date()}..{dates[-1].date()}, warm-up {bars} bars)"
        )
    return traded[0], traded[-1]


def window_notes(market: MarketData, strategy: Strategy, settings: Settings,
                 first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
    """One line for each end of the window that is not the date asked for, and why."""
    dates, cfg = market.dates, settings.backtest
    bars = warmup(strategy, settings.strategy.warmup_bars)
    warm = dates[min(bars, len(dates) - 1)]
    notes = []
    if cfg.start and pd.Timestamp(cfg.start) != first:
        asked = pd.Timestamp(cfg.start)
        if asked < dates[0]:
            why = f"before the data's first session ({dates[0].date()})"
        elif asked < warm:
            why = f"inside the strategy's warm-up of {bars} bars (the first session after it is {warm.date()})"
        else:
            why = "not a session of the data (a weekend, a holiday or a day without bars)"
        if asked < dates[0] and first == warm and bars:
            why += f", and the strategy needs {bars} bars of warm-up"
        notes.append(f"start {asked.date()} is {why}: the backtest starts on {first.date()}")
    if cfg.end and pd.Timestamp(cfg.end) != last:
        asked = pd.Timestamp(cfg.end)
        why = (f"after the data's last session ({dates[-1].date()})" if asked > dates[-1]
               else "not a session of the data (a weekend, a holiday or a day without bars)")
        notes.append(f"end {asked.date()} is {why}: the backtest ends on {last.date()}")
    return notes


__all__ = ["trading_window", "window_notes"]
