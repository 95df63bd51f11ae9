"""The sandbox's bars honour adjustment=raw|split|dividend|all as of its simulated now, like Alpaca."""

from __future__ import annotations

import pandas as pd
import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.enums import Adjustment as AlpacaAdjustment
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from market_once import embedded, embedded_sandbox

from brokers.sandbox import SandboxServer

NY = "America/New_York"


def _bars(server: SandboxServer, adjustment: str, symbols=("NFLX", "SO")) -> pd.DataFrame:
    client = StockHistoricalDataClient("key", "secret", url_override=server.base_url)
    request = StockBarsRequest(symbol_or_symbols=list(symbols), timeframe=TimeFrame.Day,
                               start=pd.Timestamp("2015-06-01", tz=NY), adjustment=AlpacaAdjustment(adjustment))
    frame = client.get_stock_bars(request).df.reset_index()
    frame["date"] = frame["timestamp"].dt.tz_convert(NY).dt.tz_localize(None)
    return frame.pivot(index="date", columns="symbol", values=["close", "volume"])


@pytest.fixture
def after_split(tmp_path):
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2015-08-03") as server:
        yield server


def test_adjusted_bars_are_as_of_the_simulated_now_and_the_latest_is_raw(after_split) -> None:
    market = embedded()
    now = market.truncate("2015-07-31")
    raw, split, full = (_bars(after_split, a) for a in ("raw", "split", "all"))
    assert raw["close"].to_numpy() == pytest.approx(now.close.loc["2015-06-01":, ["NFLX", "SO"]].to_numpy())
    before = pd.Timestamp("2015-07-14")
    assert split["close"].at[before, "NFLX"] == pytest.approx(raw["close"].at[before, "NFLX"] / 7)
    assert split["volume"].at[before, "NFLX"] == pytest.approx(raw["volume"].at[before, "NFLX"] * 7)
    expected = now.adjusted("all").close.loc["2015-06-01":, ["NFLX", "SO"]]
    assert full["close"].to_numpy() == pytest.approx(expected.to_numpy())
    assert full["close"].iloc[-1].to_numpy() == pytest.approx(raw["close"].iloc[-1].to_numpy())
    dividend = _bars(after_split, "dividend")
    assert dividend["volume"].to_numpy() == pytest.approx(raw["volume"].to_numpy())  # not for dividends


def test_before_the_split_nothing_is_adjusted_for_it(tmp_path) -> None:
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2015-07-14") as server:
        raw, split = _bars(server, "raw"), _bars(server, "split")
    assert split["close"]["NFLX"].to_numpy() == pytest.approx(raw["close"]["NFLX"].to_numpy())
    assert raw["close"]["NFLX"].iloc[-1] == 707.61  # 2015-07-13, as traded


def test_an_unknown_adjustment_is_refused_and_requests_are_counted(after_split) -> None:
    headers = {"APCA-API-KEY-ID": "k", "APCA-API-SECRET-KEY": "s"}
    state = lambda: requests.get(f"{after_split.base_url}/_sandbox/state", timeout=10).json()  # noqa: E731
    seen = state()["bars_requests"]
    answer = requests.get(f"{after_split.base_url}/v2/stocks/bars", headers=headers, timeout=10,
                          params={"symbols": "SO", "timeframe": "1Day", "adjustment": "sideways"})
    assert answer.status_code == 422 and "invalid adjustment" in answer.json()["message"]
    assert state()["bars_requests"] == seen + 1
    client = StockHistoricalDataClient("key", "secret", url_override=after_split.base_url)
    with pytest.raises(APIError):  # daily and minute bars only
        client.get_stock_bars(StockBarsRequest(symbol_or_symbols=["SO"], timeframe=TimeFrame.Hour))


def test_adjusted_prices_are_served_to_four_decimals_from_dividends_in_cents(after_split) -> None:
    """Alpaca's arithmetic, checked by hand (not by our adjustment code): the bar before the
    latest ex-date is scaled by 1 - cents / that bar's raw close and rounded to 4 decimals."""
    market = embedded().truncate("2015-07-31")
    recent = market.dividends.loc["2015-06-02":].stack().dropna()
    (ex_date, symbol), amount = recent.index[-1], float(recent.iloc[-1])
    later = market.dividends.loc[ex_date:, symbol].dropna()
    assert len(later) == 1  # the only dividend between the bar before it and now
    before = market.dates[market.dates < ex_date][-1]
    raw, full = _bars(after_split, "raw", (symbol,)), _bars(after_split, "all", (symbol,))
    raw_close = float(raw["close"].at[before, symbol])
    cents = round(amount * 100) / 100
    assert full["close"].at[before, symbol] == round(raw_close * (1 - cents / raw_close), 4)
    served = full["close"].to_numpy().ravel()
    assert (served == served.round(4)).all()
    assert (served != raw["close"].to_numpy().ravel()).any()
