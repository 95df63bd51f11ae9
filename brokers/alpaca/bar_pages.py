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
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest

from framework.data import FIELDS
from framework.errors import DataError

NEW_YORK = "America/New_York"
#: the JSON keys of the fields, in the order of FIELDS (Alpaca's bar: ``t o h l c v n vw``)
KEYS = ("o", "h", "l", "c", "v")

Pages = dict[str, list[dict[str, Any]]]


def fetch_pages(client: StockHistoricalDataClient, request: StockBarsRequest) -> Pages:
    """Symbol -> its bars as JSON objects, every page of ``request`` (alpaca-py's paging, the
    request ``get_stock_bars`` sends, the client's session under it)."""
    return client._get_marketdata(path="/stocks/bars", params=request.to_request_fields(),
                                  page_size=10_000)


def _floats(bars: list[dict[str, Any]], key: str) -> np.ndarray:
    """One field of every bar (a JSON null is NaN)."""
    return np.fromiter(map(itemgetter(key), bars), dtype=float, count=len(bars))


def daily_frames(pages: Pages, symbols: list[str], last: date) -> dict[str, pd.DataFrame] | None:
    """One wide frame per field (open, high, low, close, volume: float; index ``date``, the New
    York session date of each bar's stamp, sorted) for the bars on or before ``last``; columns
    the ``symbols`` that have one, in their order. None when no bar is left."""
    wanted = [s for s in symbols if pages.get(s)]
    runs = [pages[s] if None not in pages[s] else [b for b in pages[s] if b is not None] for s in wanted]
    bars = list(chain.from_iterable(runs))
    if not bars:
        return None
    symbol_code = np.repeat(np.arange(len(wanted)), list(map(len, runs)))
    stamp_code, stamps = pd.factorize(np.fromiter(map(itemgetter("t"), bars), dtype=object, count=len(bars)))
    stamp_day = pd.to_datetime(stamps, utc=True, format="ISO8601").tz_convert(NEW_YORK).normalize().tz_localize(None)
    stamp_day = np.asarray(stamp_day, dtype="datetime64[ns]")
    keep = (stamp_day <= np.datetime64(last, "ns"))[stamp_code]
    if not keep.any():
        return None
    index = np.unique(stamp_day[np.bincount(stamp_code[keep], minlength=len(stamps)) > 0])
    day_code = np.searchsorted(index, stamp_day)[stamp_code[keep]]
    symbol_code = symbol_code[keep]
    present = np.bincount(symbol_code, minlength=len(wanted)) > 0
    column = (np.cumsum(present) - 1)[symbol_code]  # symbols without a bar left drop out
    columns = [s for s, p in zip(wanted, present, strict=True) if p]
    cell = day_code * len(columns) + column
    twice = np.flatnonzero(np.bincount(cell, minlength=len(index) * len(columns)) > 1)
    if twice.size:
        day, j = divmod(int(twice[0]), len(columns))
        raise DataError(f"the data API returned two daily bars for {columns[j]} on {pd.Timestamp(index[day]).date()}")
    dates = pd.DatetimeIndex(index, name="date").astype("datetime64[us]")
    frames = {}
    for k, name in enumerate(FIELDS):
        grid = np.full((len(dates), len(columns)), np.nan)
        grid[day_code, column] = _floats(bars, KEYS[k])[keep]
        frames[name] = pd.DataFrame(grid, index=dates, columns=pd.Index(columns))
    return frames


__all__ = ["daily_frames", "fetch_pages"]
