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


def _factors(close: np.ndarray, cash: np.ndarray, ratio: np.ndarray, *, splits: bool,
             dividends: bool) -> tuple[np.ndarray, np.ndarray]:
    """(price factor, volume factor) of each bar of one symbol, as of its last row."""
    n = len(close)
    price = np.ones(n)
    volume = np.ones(n)
    last_close = np.nan
    step_price = np.ones(n)  # the factor an action on row i puts on every row before it
    step_volume = np.ones(n)
    for i in range(n):
        if splits and np.isfinite(ratio[i]) and ratio[i] > 0:
            step_price[i] /= ratio[i]
            step_volume[i] *= ratio[i]
        if dividends and np.isfinite(cash[i]) and np.isfinite(last_close) and last_close > 0:
            cents = round(float(cash[i]) * 100) / 100
            if 0 < cents < last_close:
                step_price[i] *= 1.0 - cents / last_close
        if np.isfinite(close[i]):
            last_close = close[i]
    carried_price, carried_volume = 1.0, 1.0
    for i in range(n - 1, -1, -1):
        price[i], volume[i] = carried_price, carried_volume
        carried_price *= step_price[i]
        carried_volume *= step_volume[i]
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
        for j in range(c.shape[1]):
            price_f[:, j], volume_f[:, j] = _factors(c[:, j], d[:, j], r[:, j], splits=splits, dividends=dividends)
    frames = {
        name: pd.DataFrame(np.round(raw[name].to_numpy(dtype=float) * price_f, PRICE_DECIMALS),
                           index=close.index, columns=close.columns)
        for name in PRICES
    }
    frames["volume"] = pd.DataFrame(raw["volume"].to_numpy(dtype=float) * volume_f,
                                    index=close.index, columns=close.columns)
    return ServedBars(**frames)


__all__ = ["PRICE_DECIMALS", "ServedBars", "served"]
