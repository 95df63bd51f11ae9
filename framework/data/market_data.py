"""MarketData: daily bars as traded, corporate actions beside them, and adjusted views.

Symbols may start late or stop early (listings, delistings): a symbol's cells are NaN on
dates it did not trade, and nothing downstream may assume a rectangular panel.

The price frames are **as traded** (raw): the engine sizes and fills on them, like Alpaca.
Strategies see :meth:`MarketData.adjusted` (``compute_signals`` hands it to them): adjusted
as of the data's own last date, exactly like Alpaca's ``adjustment=all`` bars served on the
day after it. Because :meth:`MarketData.truncate` keeps raw prices and actions,
``history.truncate(t).adjusted()`` is history adjusted point-in-time at t.

A bar that a repair filled in (``data.on_problem: repair``) is NaN in the price frames, so
the engine cannot trade it, and marked in ``filled``: the adjusted view carries the previous
close there (open = high = low = close, volume 0), so a strategy is not starved by a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from framework.data.actions import event_factors, factors_after
from framework.errors import InputError

if TYPE_CHECKING:
    from framework.data.problems import DataReport

FIELDS = ("open", "high", "low", "close", "volume")
PRICE_FIELDS = ("open", "high", "low", "close")
ACTION_FIELDS = ("dividends", "splits")
EMBEDDED = "embedded:us_equities_daily"


class Adjustment(StrEnum):
    """What the price frames are (``basis``) or what strategies see (``view``); Alpaca's values."""

    RAW = "raw"
    SPLIT = "split"
    DIVIDEND = "dividend"
    ALL = "all"


@dataclass(frozen=True)
class MarketData:
    """Daily OHLCV as wide frames (index: session dates, columns: symbols) plus sectors.

    ``dividends`` (cash per share) and ``splits`` (new/old shares) sit on their ex-dates, NaN
    elsewhere, aligned to the price frames; ``filled`` marks bars a repair filled in.
    """

    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame
    sectors: pd.Series
    source: str = EMBEDDED
    fingerprint: str = ""
    dividends: pd.DataFrame = None  # type: ignore[assignment]  # NaN frame when not given
    splits: pd.DataFrame = None  # type: ignore[assignment]
    filled: pd.DataFrame = None  # type: ignore[assignment]  # all False when not given
    view: Adjustment = Adjustment.ALL
    basis: Adjustment = Adjustment.RAW
    report: DataReport | None = None

    def __post_init__(self) -> None:
        for name in ACTION_FIELDS:
            object.__setattr__(self, name, self._aligned(getattr(self, name), np.nan))
        filled = self._aligned(self.filled, False)
        if not all(pd.api.types.is_bool_dtype(t) for t in filled.dtypes):
            filled = filled.astype(bool)
        object.__setattr__(self, "filled", filled)

    def _aligned(self, frame: pd.DataFrame | None, fill: Any) -> pd.DataFrame:
        close = self.close
        if frame is None:
            return pd.DataFrame(fill, index=close.index, columns=close.columns, dtype=type(fill))
        if frame.index.equals(close.index) and frame.columns.equals(close.columns):
            return frame
        return frame.reindex(index=close.index, columns=close.columns, fill_value=fill)

    @property
    def symbols(self) -> list[str]:
        return list(self.close.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.close.index)

    def _map(self, pick) -> MarketData:
        frames = {f: pick(getattr(self, f)) for f in (*FIELDS, *ACTION_FIELDS, "filled")}
        return replace(self, **frames)

    def truncate(self, end: pd.Timestamp | str) -> MarketData:
        """History up to and including ``end``: what a causal strategy may see at ``end``."""
        return self._map(lambda f: f.loc[: pd.Timestamp(end)])

    def between(self, start: pd.Timestamp | str | None, end: pd.Timestamp | str | None) -> MarketData:
        start_ts = pd.Timestamp(start) if start is not None else None
        end_ts = pd.Timestamp(end) if end is not None else None
        if start_ts is not None and end_ts is not None and end_ts < start_ts:
            raise InputError(f"end {end_ts.date()} is before start {start_ts.date()}")
        sliced = self._map(lambda f: f.loc[start_ts:end_ts])
        if sliced.close.empty:
            raise InputError(
                f"no data between {start or 'the beginning'} and {end or 'the end'} "
                f"(data covers {self.dates[0].date()} to {self.dates[-1].date()})"
            )
        return sliced

    def select(self, symbols: list[str] | tuple[str, ...]) -> MarketData:
        wanted = [s.strip().upper() for s in symbols]
        unknown = [s for s in wanted if s not in self.close.columns]
        if unknown:
            raise InputError(f"unknown symbol(s) {', '.join(unknown)} in {self.source}")
        picked = self._map(lambda f: f[wanted])
        return replace(picked, sectors=self.sectors.reindex(wanted).dropna())

    def last_valid_dates(self) -> pd.Series:
        """Each symbol's last traded date (a delisting shows as a date before the end)."""
        return self.close.apply(lambda col: col.last_valid_index())

    def to_long(self) -> pd.DataFrame:
        frames = {f: getattr(self, f).stack() for f in FIELDS}
        long = pd.DataFrame(frames)
        long.index.names = ["date", "symbol"]
        return long.reset_index()

    def adjusted(self, kind: Adjustment | str | None = None) -> MarketData:
        """The history as a strategy sees it: adjusted as of its last date (``view`` by default).

        ``kind`` is one of Alpaca's adjustments: raw, split, dividend, all. Prices before an
        action's ex-date are scaled by its factor; volume by splits only (as Alpaca does).
        Filled bars carry the previous close. The result's ``basis`` names its adjustment.
        """
        kind = Adjustment(kind or self.view)
        if self.basis is not Adjustment.RAW:
            if kind is self.basis:
                return self
            raise ValueError(f"history already adjusted ({self.basis}); adjust the raw history instead")
        split, price, filled, carry = self._factors(kind)
        frames = {name: self._like(self._adjusted_prices(name, price, filled, carry)) for name in PRICE_FIELDS}
        volume = self.volume.to_numpy(dtype=float)
        if carry is not None:
            volume = np.where(filled, 0.0, volume)
        frames["volume"] = self._like(volume / split)
        return replace(self, **frames, basis=kind)

    def _factors(self, kind: Adjustment) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Per cell: the split factor, the price factor (split × dividend), the filled mask and
        the previous raw close a filled bar carries (None when nothing was filled)."""
        raw_close = self.close.to_numpy(dtype=float)
        split_e, div_e = event_factors(raw_close, self.dividends.to_numpy(float), self.splits.to_numpy(float))
        ones = np.ones_like(raw_close)
        split = factors_after(split_e) if kind in (Adjustment.SPLIT, Adjustment.ALL) else ones
        div = factors_after(div_e) if kind in (Adjustment.DIVIDEND, Adjustment.ALL) else ones
        filled = self.filled.to_numpy()
        carry = pd.DataFrame(raw_close).ffill().to_numpy() if filled.any() else None
        return split, split * div, filled, carry

    def _adjusted_prices(self, name: str, price: np.ndarray, filled: np.ndarray,
                         carry: np.ndarray | None) -> np.ndarray:
        values = getattr(self, name).to_numpy(dtype=float)
        if carry is not None:
            values = np.where(filled, carry, values)
        return values * price

    def adjusted_close(self, kind: Adjustment | str | None = None) -> pd.DataFrame:
        """``adjusted(kind).close`` alone, the same to the bit, without adjusting the other fields
        (returns and volatility need only the close; a whole market's frames are 50 MiB each)."""
        kind = Adjustment(kind or self.view)
        if self.basis is not Adjustment.RAW:
            return self.adjusted(kind).close
        _, price, filled, carry = self._factors(kind)
        return self._like(self._adjusted_prices("close", price, filled, carry))

    def _like(self, values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=self.close.index, columns=self.close.columns)

    def returns(self) -> pd.DataFrame:
        """Daily total returns of the adjusted closes: the same whatever date they are adjusted
        as of, so point-in-time safe (volatility is measured on these, never on raw prices)."""
        return self.adjusted_close(Adjustment.ALL if self.basis is Adjustment.RAW else self.basis).pct_change(
            fill_method=None
        )


__all__ = ["ACTION_FIELDS", "EMBEDDED", "FIELDS", "PRICE_FIELDS", "Adjustment", "MarketData"]
