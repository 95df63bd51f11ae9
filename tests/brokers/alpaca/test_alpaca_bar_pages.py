"""Bar pages read as JSON into wide frames (issue 31 part 5): the same frames as alpaca-py's own
``Bar`` objects give, without building ~470,000 of them for a 500-symbol cycle."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from alpaca.data.enums import Adjustment as AlpacaAdjustment
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from market_once import embedded, embedded_sandbox

from brokers.alpaca.bar_pages import NEW_YORK, daily_frames, fetch_pages
from framework.data import FIELDS
from framework.errors import DataError


def _from_bar_objects(client: StockHistoricalDataClient, request: StockBarsRequest, symbols: list[str],
                      last: date) -> dict[str, pd.DataFrame]:
    """The frames as the adapter built them before: a pydantic Bar per bar, pivoted."""
    barset = client.get_stock_bars(request)
    long = pd.DataFrame([
        {"symbol": s, "date": b.timestamp.astimezone(ZoneInfo(NEW_YORK)).date(), "open": b.open,
         "high": b.high, "low": b.low, "close": b.close, "volume": b.volume}
        for s, rows in barset.data.items() for b in rows
    ])
    long = long[long["date"] <= last]
    frames = {}
    for name in FIELDS:
        wide = long.pivot(index="date", columns="symbol", values=name).astype(float)
        wide = wide.reindex(columns=[s for s in symbols if s in wide.columns]).sort_index()
        wide.index = pd.DatetimeIndex(wide.index, name="date").astype("datetime64[us]")
        wide.columns.name = None
        frames[name] = wide
    return frames


@pytest.mark.parametrize("adjustment", ["raw", "all"])
def test_pages_read_as_json_give_the_frames_alpaca_pys_bars_give(tmp_path, adjustment) -> None:
    market = embedded()
    symbols = list(reversed(market.symbols))  # the frames follow the order asked, not the pages'
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2019-05-07") as server:
        client = StockHistoricalDataClient("key", "secret", url_override=server.base_url)
        request = StockBarsRequest(symbol_or_symbols=symbols, timeframe=TimeFrame.Day,
                                   start=datetime(2017, 6, 1), end=datetime(2019, 5, 6, 23, 59),
                                   adjustment=AlpacaAdjustment(adjustment))
        last = date(2019, 5, 3)  # the last session kept: a later bar is served and dropped
        got = daily_frames(fetch_pages(client, request), symbols, last)
        want = _from_bar_objects(client, request, symbols, last)
        pages = sum(1 for r in server.requests if r.path == "/v2/stocks/bars" and r.query.get("page_token"))
        client._session.close()
    assert pages >= 2  # 44 symbols x ~480 sessions: more than one page of 10,000 each time
    assert got is not None
    assert got["close"].index[-1] == pd.Timestamp(last)
    for name in FIELDS:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)


def _bar(t: str, close: float, volume: float | int = 100) -> dict:
    return {"t": t, "o": close - 1, "h": close + 1, "l": close - 2, "c": close, "v": volume, "n": None, "vw": None}


def test_frames_keep_the_asked_order_and_drop_what_is_not_asked_none_or_after_the_last_day() -> None:
    pages = {
        "BBB": [_bar("2020-01-02T05:00:00Z", 10.0), None, _bar("2020-01-03T05:00:00Z", 11.0, 250)],
        "AAA": [_bar("2020-01-03T05:00:00Z", 20.0)],
        "LATE": [_bar("2020-01-06T05:00:00Z", 30.0)],  # only after the last day: no column
        "XXX": [_bar("2020-01-02T05:00:00Z", 40.0)],  # not asked for
    }
    frames = daily_frames(pages, ["AAA", "BBB", "LATE", "ZZZ"], date(2020, 1, 3))
    assert frames is not None
    close = frames["close"]
    assert close.columns.tolist() == ["AAA", "BBB"]
    assert close.index.tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert close.index.name == "date" and close.index.dtype == "datetime64[us]"
    np.testing.assert_array_equal(close.to_numpy(), [[np.nan, 10.0], [20.0, 11.0]])
    assert frames["volume"]["BBB"].tolist() == [100.0, 250.0] and frames["volume"].dtypes.eq(float).all()
    assert frames["open"]["BBB"].tolist() == [9.0, 10.0]


def test_no_bar_left_is_none_and_two_bars_on_one_day_is_a_data_error() -> None:
    assert daily_frames({}, ["AAA"], date(2020, 1, 3)) is None
    assert daily_frames({"AAA": [_bar("2020-01-06T05:00:00Z", 1.0)]}, ["AAA"], date(2020, 1, 3)) is None
    twice = {"AAA": [_bar("2020-01-02T05:00:00Z", 1.0), _bar("2020-01-02T14:30:00Z", 2.0)]}
    with pytest.raises(DataError, match="two daily bars for AAA on 2020-01-02"):
        daily_frames(twice, ["AAA"], date(2020, 1, 3))
