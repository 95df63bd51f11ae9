"""Bar pages written from the texts kept between sessions (``brokers.sandbox.bar_text``, issue 31
part 5) are, session after session and across a split and dividends, the bytes ``json.dumps``
writes of one dict per bar served as of that session."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from market_once import embedded

from brokers.sandbox.adjusting import ServedBars, served
from brokers.sandbox.bar_text import ServedText
from brokers.sandbox.wire import page_text
from framework.data import MarketData

FIELDS = ("open", "high", "low", "close", "volume")
KEYS = ("o", "h", "l", "c", "v")


def _stamp(day: pd.Timestamp) -> str:
    return day.tz_localize("America/New_York").tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


Row = tuple[str, dict[str, object]]


def _rows(bars: ServedBars, traded: MarketData, symbols: list[str], days: pd.DatetimeIndex) -> list[Row]:
    """One dict per bar served, symbol by symbol, day by day, from the frames' numbers (read
    once a session, not a cell look-up a bar: the pages of a session share them)."""
    numbers = {k: getattr(bars, f).loc[days, symbols].to_numpy() for f, k in zip(FIELDS, KEYS, strict=True)}
    traded_close = traded.close.loc[days, symbols].to_numpy()
    stamps = [_stamp(d) for d in days]
    return [(s, {"t": stamps[i], **{k: float(numbers[k][i, j]) for k in KEYS}, "n": None, "vw": None})
            for j, s in enumerate(symbols) for i in range(len(days)) if np.isfinite(traded_close[i, j])]


def _reference(rows: list[Row], offset: int, limit: int) -> str:
    """The page of those rows through ``json.dumps``."""
    out: dict[str, list[dict[str, object]]] = {}
    for symbol, bar in rows[offset : offset + limit]:
        out.setdefault(symbol, []).append(bar)
    token = str(offset + limit) if offset + limit < len(rows) else None
    return json.dumps({"bars": out, "next_page_token": token})


def _served(market: MarketData, session: int, kind: str) -> ServedBars:
    history = market.truncate(market.dates[session - 1])
    raw = {name: getattr(history, name) for name in FIELDS}
    return served(raw, history.dividends, history.splits, kind)


def _market() -> MarketData:
    """SBUX splits 2:1 on 2015-04-09; PG, C, FCX pay dividends; MSFT's bars stop for two days."""
    market = embedded().select(["SBUX", "PG", "MSFT", "C", "FCX"])  # new frames: the edits stay here
    gap = market.close.index[(market.close.index >= "2015-04-01") & (market.close.index <= "2015-04-02")]
    for name in FIELDS:
        getattr(market, name).loc[gap, "MSFT"] = np.nan
    return market


@pytest.mark.parametrize("kind", ["raw", "split", "dividend", "all"])
def test_pages_from_kept_texts_are_json_dumps_of_each_sessions_bars(kind: str) -> None:
    market = _market()
    symbols = sorted(market.symbols)
    first = int(market.dates.get_loc(pd.Timestamp("2015-04-06")))
    before: ServedText | None = None
    for session in range(first, first + 6):  # across the split and an ex-dividend date
        bars = _served(market, session, kind)
        now = ServedText(bars, market.close, before)
        days = market.dates[max(session - 40, 0) : session]
        rows = _rows(bars, market, symbols, days)
        offset, total = 0, None
        while total is None or offset < total:
            runs, total = now.page(symbols, days, offset, 37)  # symbols cut across pages
            token = str(offset + 37) if offset + 37 < total else None
            assert page_text(runs, token) == _reference(rows, offset, 37)
            offset += 37
        before = now


def test_a_bar_whose_numbers_changed_is_written_again() -> None:
    """The split rescales every earlier SBUX bar: the texts kept from the day before are not
    served for them (and ``-0.0`` is not ``0.0``)."""
    market = _market()
    split_day = int(market.dates.get_loc(pd.Timestamp("2015-04-09")))
    days = market.dates[split_day - 5 : split_day]
    before = ServedText(_served(market, split_day, "split"), market.close)
    old, _ = before.page(["SBUX", "PG"], days)
    after = ServedText(_served(market, split_day + 1, "split"), market.close, before)
    new, _ = after.page(["SBUX", "PG"], days)
    assert new[0][1] != old[0][1] and new[1][1] == old[1][1]  # SBUX rescaled, PG the same

    zero = _served(market, split_day, "raw")
    zero.volume.iloc[-1, 0] = 0.0
    kept = ServedText(zero, market.close)
    last = market.dates[split_day - 1 : split_day]
    assert '"v": 0.0' in kept.page(["SBUX"], last)[0][0][1][0]
    negative = _served(market, split_day, "raw")
    negative.volume.iloc[-1, 0] = -0.0
    runs, _ = ServedText(negative, market.close, kept).page(["SBUX"], last)
    assert '"v": -0.0' in runs[0][1][0]
