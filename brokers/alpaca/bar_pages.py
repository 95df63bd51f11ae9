"""Daily bar pages read as JSON straight into wide frames (dates × symbols).

alpaca-py's ``get_stock_bars`` pages by itself (``page_token``, 10,000 bars a page, each request
through our paced session) and then builds a pydantic ``Bar`` per bar: at 500 symbols × 300
sessions × three adjustments that was ~470,000 objects and most of a paper cycle (20 s of 28).
:func:`fetch_pages` keeps alpaca-py's paging and request (the same call ``get_stock_bars`` makes)
but returns the pages' JSON as it came; :func:`daily_frames` turns it into one float grid per
field with a few passes over plain lists. ``tests/brokers/alpaca/test_alpaca_bar_pages.py``
holds them equal to the frames built from alpaca-py's own ``Bar`` objects.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest

from framework.data import FIELDS
from framework.errors import DataError

NEW_YORK = "America/New_York"
#: JSON key of each field in a bar (Alpaca's ``t o h l c v n vw``)
KEYS = {"open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}

Pages = dict[str, list[dict[str, Any]]]


def fetch_pages(client: StockHistoricalDataClient, request: StockBarsRequest) -> Pages:
    """Symbol -> its bars as JSON objects, every page of ``request`` (alpaca-py's paging, the
    request ``get_stock_bars`` sends, the client's session under it)."""
    return client._get_marketdata(path="/stocks/bars", params=request.to_request_fields(),
                                  page_size=10_000)


def daily_frames(pages: Pages, symbols: list[str], last: date) -> dict[str, pd.DataFrame] | None:
    """One wide frame per field (open, high, low, close, volume: float; index ``date``, the New
    York session date of each bar's stamp, sorted) for the bars on or before ``last``; columns
    the ``symbols`` that have one, in their order. None when no bar is left."""
    wanted = [s for s in symbols if pages.get(s)]
    bars = {s: [b for b in pages[s] if b is not None] for s in wanted}
    stamps = [b["t"] for s in wanted for b in bars[s]]
    if not stamps:
        return None
    stamp_code: dict[str, int] = {}
    codes = np.fromiter((stamp_code.setdefault(t, len(stamp_code)) for t in stamps), dtype=np.intp, count=len(stamps))
    days = pd.to_datetime(list(stamp_code), utc=True, format="ISO8601").tz_convert(NEW_YORK).normalize()
    days = days.tz_localize(None)
    keep = np.asarray(days <= pd.Timestamp(last))[codes]
    if not keep.any():
        return None
    index, day_code = np.unique(days.to_numpy()[codes[keep]], return_inverse=True)
    symbol_code = np.repeat(np.arange(len(wanted)), [len(bars[s]) for s in wanted])[keep]
    present = np.bincount(symbol_code, minlength=len(wanted)) > 0
    column = np.cumsum(present) - 1  # symbols without a bar left drop out
    columns = [s for s, p in zip(wanted, present, strict=True) if p]
    cell = day_code * len(columns) + column[symbol_code]
    if len(np.unique(cell)) != len(cell):
        first = pd.Index(cell).duplicated().argmax()
        raise DataError(f"the data API returned two daily bars for {columns[column[symbol_code[first]]]} "
                        f"on {pd.Timestamp(index[day_code[first]]).date()}")
    dates = pd.DatetimeIndex(index, name="date").astype("datetime64[us]")
    frames = {}
    for name in FIELDS:
        key = KEYS[name]
        values = np.array([b[key] for s in wanted for b in bars[s]], dtype=float)[keep]
        grid = np.full((len(dates), len(columns)), np.nan)
        grid[day_code, column[symbol_code]] = values
        frames[name] = pd.DataFrame(grid, index=dates, columns=pd.Index(columns))
    return frames


__all__ = ["daily_frames", "fetch_pages"]
