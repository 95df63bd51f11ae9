"""Files people have: yfinance's wide and stacked layouts, loose headers, dates in any zone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from data_builders import clean_long

from framework.data import load_market_data
from framework.errors import DataError


def _yfinance_wide() -> pd.DataFrame:
    """What ``yfinance.download([...], auto_adjust=False)`` returns: (Price, Ticker) columns."""
    long = clean_long(first="2019-01-02", last="2019-02-28", symbols=("AAPL", "MSFT"))
    long["adj_close"] = long["close"] * 0.98
    wide = long.pivot(index="date", columns="symbol")
    wide = wide.rename(columns={"open": "Open", "high": "High", "low": "Low", "close": "Close",
                                "adj_close": "Adj Close", "volume": "Volume"}, level=0)
    wide.columns.names = ["Price", "Ticker"]
    wide.index = pd.DatetimeIndex(wide.index, name="Date")
    return wide


def _expected() -> pd.DataFrame:
    return clean_long(first="2019-01-02", last="2019-02-28", symbols=("AAPL", "MSFT")).pivot(
        index="date", columns="symbol", values="close")


def _same_closes(market) -> None:
    expected = _expected()
    assert market.symbols == ["AAPL", "MSFT"]
    assert market.close.to_numpy() == pytest.approx(expected.to_numpy())
    assert list(market.dates.strftime("%Y-%m-%d")) == list(expected.index)


def test_yfinance_wide_csv_and_parquet(tmp_path) -> None:
    wide = _yfinance_wide()
    wide.to_csv(tmp_path / "wide.csv")
    assert (tmp_path / "wide.csv").read_text().splitlines()[1].startswith("Ticker,")
    _same_closes(load_market_data(tmp_path / "wide.csv"))
    wide.swaplevel(axis=1).to_parquet(tmp_path / "wide.parquet")  # group_by="ticker": (Ticker, Price)
    _same_closes(load_market_data(tmp_path / "wide.parquet"))


def test_yfinance_stacked_csv_and_parquet_with_index_columns(tmp_path) -> None:
    stacked = _yfinance_wide().stack(level="Ticker", future_stack=True)
    stacked.to_csv(tmp_path / "stacked.csv")
    assert (tmp_path / "stacked.csv").read_text().startswith("Date,Ticker,")
    _same_closes(load_market_data(tmp_path / "stacked.csv"))
    stacked.to_parquet(tmp_path / "stacked.parquet")  # Date and Ticker in the index
    _same_closes(load_market_data(tmp_path / "stacked.parquet"))


def test_adj_close_with_a_space_is_read_not_ignored(tmp_path) -> None:
    long = clean_long(first="2019-01-02", last="2019-01-31", symbols=("AAA",))
    long["Adj Close"] = long["close"]
    long.loc[10:, "Adj Close"] = long.loc[10:, "close"]
    long.loc[:9, "Adj Close"] = long.loc[:9, "close"] * (1 - 0.5 / long.loc[9, "close"])  # 0.50 dividend
    long.rename(columns={"date": " DATE", "symbol": "Ticker", "open": "OPEN", "volume": "Vol"}).to_csv(
        tmp_path / "h.csv", index=False)
    market = load_market_data(tmp_path / "h.csv")
    assert market.dividends["AAA"].dropna().to_numpy() == pytest.approx([0.5])


def test_a_wrong_layout_names_what_is_missing_with_a_hint(tmp_path) -> None:
    long = clean_long(first="2019-01-02", last="2019-01-31", symbols=("AAA",)).drop(columns="symbol")
    long.to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(DataError, match="missing column\\(s\\): symbol \\(a one-ticker download"):
        load_market_data(tmp_path / "one.csv")
    both = clean_long(first="2019-01-02", last="2019-01-31", symbols=("AAA",)).assign(ticker="AAA")
    both.to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(DataError, match="columns 'symbol' and 'ticker' both mean symbol"):
        load_market_data(tmp_path / "two.csv")


@pytest.mark.parametrize(("stamp", "day"), [
    ("2019-01-03 00:00:00+01:00", "2019-01-03"),  # midnight east of UTC: its own day, not the one before
    ("2019-01-03T00:00:00+09:00", "2019-01-03"),
    ("2019-01-03T05:00:00Z", "2019-01-03"),  # Alpaca: New York midnight in UTC
    ("2019-01-03T00:00:00Z", "2019-01-03"),  # UTC midnight
    ("2019-01-03T21:00:00Z", "2019-01-03"),  # a close stamped in UTC: New York's 16:00
    ("2019-01-04T01:30:00+09:00", "2019-01-03"),  # Tokyo's early morning is New York's afternoon before
    ("2019-01-03 16:00:00-05:00", "2019-01-03"),
])
def test_aware_dates_become_the_exchange_local_session(tmp_path, stamp, day) -> None:
    long = clean_long(first="2019-01-02", last="2019-01-08", symbols=("AAA",))
    long.loc[long["date"] == day, "date"] = stamp
    long.to_csv(tmp_path / "tz.csv", index=False)
    market = load_market_data(tmp_path / "tz.csv")
    assert list(market.dates.strftime("%Y-%m-%d")) == list(clean_long(
        first="2019-01-02", last="2019-01-08", symbols=("AAA",))["date"])


def test_mixed_time_zones_in_one_file_load_without_a_traceback(tmp_path) -> None:
    long = clean_long(first="2019-01-02", last="2019-01-10", symbols=("AAA", "BBB"))
    zones = ["+01:00", "-05:00", "Z", "+09:00", ""]
    long["date"] = [f"{d}T00:00:00{zones[i % len(zones)]}" for i, d in enumerate(long["date"])]
    long.to_csv(tmp_path / "mixed.csv", index=False)
    market = load_market_data(tmp_path / "mixed.csv")
    assert list(market.dates.strftime("%Y-%m-%d")) == sorted(set(
        clean_long(first="2019-01-02", last="2019-01-10", symbols=("AAA",))["date"]))
    assert market.report.clean


def test_aware_datetimes_in_parquet(tmp_path) -> None:
    long = clean_long(first="2019-01-02", last="2019-01-10", symbols=("AAA",))
    long["date"] = pd.to_datetime(long["date"]).dt.tz_localize("Europe/Berlin")
    long.to_parquet(tmp_path / "tz.parquet")
    market = load_market_data(tmp_path / "tz.parquet")
    assert list(market.dates) == list(long["date"].dt.tz_localize(None))
    close = long.assign(date=pd.to_datetime(long["date"]).dt.tz_convert("UTC") + pd.Timedelta(hours=21))
    close.to_parquet(tmp_path / "utc.parquet")  # 22:00 Berlin = 16:00 New York, same session
    assert list(load_market_data(tmp_path / "utc.parquet").dates) == list(market.dates)
    assert np.isfinite(market.close.to_numpy()).all()
