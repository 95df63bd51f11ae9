"""Market data: the embedded set, user files in three formats, and every refusal."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from framework.data import load_market_data
from framework.errors import DataError

GOOD = (
    "date,symbol,open,high,low,close,adj_close,volume\n"
    "2020-01-02,AAA,10,11,9,10,5,100\n"
    "2020-01-03,AAA,10,12,9,11,5.5,200\n"
    "2020-01-03,BBB,20,21,19,20,20,300\n"
    "2020-01-06,BBB,20,22,19,21,21,400\n"
)


def test_embedded_dataset_has_44_symbols_with_sectors() -> None:
    market = load_market_data()
    assert len(market.symbols) == 44 and len(market.dates) == 1259
    assert market.sectors.notna().all() and set(market.sectors.index) == set(market.symbols)
    assert market.sectors.nunique() == 11
    assert market.fingerprint == load_market_data().fingerprint


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_user_files_load_in_every_format(tmp_path, fmt) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(GOOD))
    path = tmp_path / f"prices.{fmt}"
    if fmt == "csv":
        path.write_text(GOOD)
    elif fmt == "csv.gz":
        path.write_bytes(gzip.compress(GOOD.encode()))
    else:
        frame.to_parquet(path)
    market = load_market_data(path)
    assert market.symbols == ["AAA", "BBB"]
    # Different date ranges: no rectangular panel assumed, NaN outside each symbol's life.
    assert np.isnan(market.close.loc["2020-01-02", "BBB"]) and np.isnan(market.close.loc["2020-01-06", "AAA"])
    assert market.last_valid_dates()["AAA"] == pd.Timestamp("2020-01-03")


def test_prices_stay_as_traded_and_strategies_see_them_adjusted_unless_adjust_is_off(tmp_path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(GOOD)
    market, raw_view = load_market_data(path), load_market_data(path, adjust=False)
    # AAA's factor adj_close/close: 0.5 on both days, so no action and nothing to adjust
    assert market.close.loc["2020-01-02", "AAA"] == 10.0 and market.adjusted().close.loc["2020-01-02", "AAA"] == 10.0
    assert raw_view.adjusted().close.loc["2020-01-02", "AAA"] == 10.0
    assert market.fingerprint != raw_view.fingerprint  # what strategies see is part of the data


BAD = {
    "missing_column": ("date,symbol,open,high,low,close\n2020-01-02,A,1,1,1,1\n", "missing column(s): volume"),
    "bad_date": (
        "date,symbol,open,high,low,close,volume\nnot-a-date,A,1,1,1,1,1\n",
        "line 2, A: date 'not-a-date' is not a date",
    ),
    "duplicate": (
        "date,symbol,open,high,low,close,volume\n2020-01-02,A,1,1,1,1,1\n2020-01-02,A,1,1,1,1,1\n",
        "line 3, A 2020-01-02: duplicate of line 2",
    ),
    "non_positive": (
        "date,symbol,open,high,low,close,volume\n2020-01-02,A,1,1,1,0,1\n",
        "line 2, A 2020-01-02: close must be > 0, got 0",
    ),
    "high_below_low": ("date,symbol,open,high,low,close,volume\n2020-01-02,A,1,1,2,1,1\n", "line 2, A 2020-01-02: high 1 < low 2"),
    "negative_volume": ("date,symbol,open,high,low,close,volume\n2020-01-02,A,1,1,1,1,-5\n", "line 2, A 2020-01-02: negative volume -5"),
    "not_a_number": (
        "date,symbol,open,high,low,close,volume\n2020-01-02,A,1,x,1,1,1\n",
        "line 2, A 2020-01-02: high is not a number: 'x'",
    ),
    "empty_symbol": ("date,symbol,open,high,low,close,volume\n2020-01-02,,1,1,1,1,1\n", "line 2, 2020-01-02: symbol is empty"),
    "header_only": ("date,symbol,open,high,low,close,volume\n", "no rows"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_price_files_are_refused_naming_file_row_and_problem(tmp_path, case) -> None:
    text, message = BAD[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        load_market_data(path)
    line = str(err.value)
    assert "\n" not in line and line.startswith(str(path)) and message in line


def test_unsupported_unreadable_and_missing_files(tmp_path) -> None:
    (tmp_path / "p.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        load_market_data(tmp_path / "p.xlsx")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        load_market_data(tmp_path / "bad.csv.gz")
    with pytest.raises(DataError, match="file not found"):
        load_market_data(tmp_path / "nope.csv")


def test_sector_file_is_validated(tmp_path) -> None:
    prices = tmp_path / "p.csv"
    prices.write_text(GOOD)
    (tmp_path / "s.csv").write_text("symbol,industry\nAAA,Tech\n")
    with pytest.raises(DataError, match="missing column\\(s\\): sector"):
        load_market_data(prices, tmp_path / "s.csv")
    (tmp_path / "s2.csv").write_text("symbol,sector\nAAA,Tech\nAAA,Energy\n")
    with pytest.raises(DataError, match="line 3: duplicate symbol AAA"):
        load_market_data(prices, tmp_path / "s2.csv")
    (tmp_path / "s3.csv").write_text("symbol,sector\naaa,Tech\n")
    assert load_market_data(prices, tmp_path / "s3.csv").sectors.to_dict() == {"AAA": "Tech"}


def test_symbols_are_normalised_sorted_and_placed_whatever_the_row_order(tmp_path) -> None:
    """The wide frames place each bar by its symbol's integer code (issue 31: no string per
    row): mixed case and spaces normalise to one symbol, columns sort as the names do, and
    every bar lands in its own cell."""
    rows = [
        ("2020-01-03", " msft", 31.0), ("2020-01-02", "BRK.B", 20.0), ("2020-01-02", "aapl ", 10.0),
        ("2020-01-03", "Aapl", 11.0), ("2020-01-02", "MSFT", 30.0), ("2020-01-03", "brk.b", 21.0),
        ("2020-01-02", "A", 1.0), ("2020-01-03", "a ", 2.0),
    ]
    lines = ["date,symbol,open,high,low,close,volume"]
    lines += [f"{d},{s},{c},{c},{c},{c},100" for d, s, c in rows]
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n")
    market = load_market_data(path)
    assert market.symbols == ["A", "AAPL", "BRK.B", "MSFT"]
    expected = pd.DataFrame(
        {"A": [1.0, 2.0], "AAPL": [10.0, 11.0], "BRK.B": [20.0, 21.0], "MSFT": [30.0, 31.0]},
        index=pd.DatetimeIndex(["2020-01-02", "2020-01-03"], name="date"),
    )
    pd.testing.assert_frame_equal(market.close, expected, check_column_type=False, check_index_type=False)
    assert (market.volume.to_numpy() == 100).all()
