"""What a venue's data adapter provides the applications (optional protocols, as the broker's are).

- :class:`BarSource`: the history a paper cycle decides on — the last ``bars`` sessions before a
  session, as traded, with the venue's corporate actions derived — and the splits the venue
  applied after its latest bar.
- :class:`DailyBarSource`: daily bars over a range in the long layout of :data:`BAR_COLUMNS`,
  for the download cache (:mod:`framework.data.cache`, `trade data fetch`).
- :class:`MinuteBarSource`: minute bars over a range (`trade data fetch --timeframe 1Min`), what a
  TWAP is simulated on.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol, runtime_checkable

import pandas as pd

from framework.data.market_data import MarketData

#: the long layout of downloaded bars: one row per (date, symbol), prices as traded, actions on ex-dates
BAR_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "volume", "dividend", "split_ratio"]


@runtime_checkable
class BarSource(Protocol):
    @property
    def splits_since_last_bar(self) -> dict[str, float]:
        """symbol -> split ratio the venue applied after the latest bar of the last history read."""
        ...

    def history(self, symbols: list[str], sectors: pd.Series, before: pd.Timestamp, bars: int) -> MarketData: ...


@runtime_checkable
class DailyBarSource(Protocol):
    @property
    def feed_name(self) -> str:
        """The feed the bars come from (a cache holds one feed)."""
        ...

    @property
    def requests_per_call(self) -> int: ...

    def daily_bars(self, symbols: list[str], start: date, end: date) -> pd.DataFrame | None:
        """Bars of ``symbols`` over [start, end] in :data:`BAR_COLUMNS`; None when none are served."""
        ...


@runtime_checkable
class MinuteBarSource(Protocol):
    @property
    def feed_name(self) -> str: ...

    def minute_bars(self, symbols: list[str], start: date, end: date) -> pd.DataFrame | None:
        """Minute bars of ``symbols`` over the sessions [start, end], as traded, in the long layout
        time (the minute's start, UTC), symbol, open, high, low, close, volume; None when none."""
        ...


__all__ = ["BAR_COLUMNS", "BarSource", "DailyBarSource", "MinuteBarSource"]
