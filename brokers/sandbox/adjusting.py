"""Bars the way Alpaca's data API serves them: adjusted as of now, by the venue's own arithmetic.

The sandbox is a judge of our adjustment code, so it never calls it (``MarketData.adjusted``,
``framework.data.actions``): it reads the venue's corporate-action records (the data's split
ratios and cash dividends on their ex-dates) and scales each bar the way a data vendor does.

- A split of ratio r (new/old shares) on an ex-date divides every earlier price by r and
  multiplies every earlier volume by r.
- A cash dividend is declared in cents: the amount is rounded to the cent, and every earlier
  price is multiplied by ``1 - cents / close``, ``close`` being the raw close of the last bar
  before the ex-date.
- Factors multiply for every action after the bar up to now (the latest bar is raw).
- Served prices are rounded to 4 decimals, as the data API serves them.

Sources: Alpaca's market data API, ``GET /v2/stocks/bars`` ``adjustment=raw|split|dividend|all``
(https://docs.alpaca.markets/reference/stockbars), and its corporate-actions records
(https://docs.alpaca.markets/docs/mandatory-corporate-actions); see DEVELOPMENT.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Alpaca serves bar prices with at most this many decimals.
PRICE_DECIMALS = 4
PRICES = ("open", "high", "low", "close")


@dataclass(frozen=True)
class ServedBars:
    """Wide frames (dates × symbols) as served: open, high, low, close, volume."""

    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame


def _last_close_before(close: np.ndarray) -> np.ndarray:
    """Each row's raw close of the last earlier row with a finite one, per column (NaN before)."""
    rows = np.arange(close.shape[0])[:, None]
    seen = np.maximum.accumulate(np.where(np.isfinite(close), rows, -1), axis=0)
    carried = np.where(seen >= 0, np.take_along_axis(close, np.maximum(seen, 0), axis=0), np.nan)
    out = np.full_like(carried, np.nan)
    out[1:] = carried[:-1]
    return out


def _factors(close: np.ndarray, cash: np.ndarray, ratio: np.ndarray, *, splits: bool,
             dividends: bool) -> tuple[np.ndarray, np.ndarray]:
    """(price factor, volume factor) of each bar (rows) of each symbol (columns), as of the last
    row: the product of the steps of every action after the bar, multiplied from the last row
    back (every symbol at once)."""
    step_price = np.ones(close.shape)  # the factor an action on row i puts on every row before it
    step_volume = np.ones(close.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        if splits:
            split = np.isfinite(ratio) & (ratio > 0)
            step_price = np.where(split, 1.0 / ratio, 1.0)
            step_volume = np.where(split, ratio, 1.0)
        if dividends:
            last_close = _last_close_before(close)
            cents = np.round(cash * 100) / 100
            paid = np.isfinite(cash) & np.isfinite(last_close) & (last_close > 0) & (cents > 0) & (cents < last_close)
            step_price = step_price * np.where(paid, 1.0 - cents / last_close, 1.0)
    price = np.ones(close.shape)
    volume = np.ones(close.shape)
    price[:-1] = np.cumprod(step_price[:0:-1], axis=0)[::-1]
    volume[:-1] = np.cumprod(step_volume[:0:-1], axis=0)[::-1]
    return price, volume


def served(raw: dict[str, pd.DataFrame], cash: pd.DataFrame, ratios: pd.DataFrame, adjustment: str) -> ServedBars:
    """``raw`` frames (open/high/low/close/volume, dates up to now) as served with ``adjustment``
    (raw, split, dividend or all); ``cash`` and ``ratios``: dividends and splits on ex-dates."""
    splits = adjustment in ("split", "all")
    dividends = adjustment in ("dividend", "all")
    close = raw["close"]
    price_f = np.ones(close.shape)
    volume_f = np.ones(close.shape)
    if splits or dividends:
        c = close.to_numpy(dtype=float)
        d = cash.reindex_like(close).to_numpy(dtype=float)
        r = ratios.reindex_like(close).to_numpy(dtype=float)
        price_f, volume_f = _factors(c, d, r, splits=splits, dividends=dividends)
    frames = {
        name: pd.DataFrame(np.round(raw[name].to_numpy(dtype=float) * price_f, PRICE_DECIMALS),
                           index=close.index, columns=close.columns)
        for name in PRICES
    }
    frames["volume"] = pd.DataFrame(raw["volume"].to_numpy(dtype=float) * volume_f,
                                    index=close.index, columns=close.columns)
    return ServedBars(**frames)


__all__ = ["PRICE_DECIMALS", "ServedBars", "served"]
