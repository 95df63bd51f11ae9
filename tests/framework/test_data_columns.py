"""`data.columns` maps a price file's own headers (OpenPx, Px, ...) to ours; a bad map is one line."""

from __future__ import annotations

import pytest
from cli_invoke import trade_here
from data_builders import clean_long

from framework.config.data import DataConfig
from framework.data import load_market_data
from framework.errors import DataError

THEIRS = {"date": "TradeDate", "symbol": "Instrument", "open": "OpenPx", "high": "HighPx", "low": "LowPx",
          "close": "Px", "volume": "Qty"}
MAPPING = {v: k for k, v in THEIRS.items()}


def _their_file(tmp_path, suffix: str = ".csv"):
    long = clean_long(first="2019-01-02", last="2019-02-28", symbols=("AAA", "BBB"))
    path = tmp_path / f"theirs{suffix}"
    renamed = long.rename(columns=THEIRS)
    renamed.to_csv(path, index=False) if suffix == ".csv" else renamed.to_parquet(path)
    return path, long


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_with_other_headers_loads_through_the_map(tmp_path, suffix) -> None:
    path, long = _their_file(tmp_path, suffix)
    with pytest.raises(DataError, match="missing column"):  # refused without the map, as before
        load_market_data(path)
    market = load_market_data(path, config=DataConfig(columns=MAPPING))
    expected = long.pivot(index="date", columns="symbol", values="close")
    assert market.symbols == ["AAA", "BBB"]
    assert market.close.to_numpy() == pytest.approx(expected.to_numpy())


def test_the_missing_column_error_points_at_the_map(tmp_path) -> None:
    path, _ = _their_file(tmp_path)
    with pytest.raises(DataError, match=r"map yours with data\.columns"):
        load_market_data(path)


def test_a_mapped_header_the_file_lacks_is_named(tmp_path) -> None:
    path, _ = _their_file(tmp_path)
    with pytest.raises(DataError, match=r"data\.columns names 'OpenPrice', which the file does not have "
                                        r"\(its columns: TradeDate, Instrument, OpenPx"):
        load_market_data(path, config=DataConfig(columns={**MAPPING, "OpenPrice": "adj_close"}))


def test_a_map_onto_a_column_the_file_already_has_is_refused(tmp_path) -> None:
    long = clean_long(first="2019-01-02", last="2019-01-31", symbols=("AAA",)).assign(Px=1.0)
    long.to_csv(tmp_path / "both.csv", index=False)
    with pytest.raises(DataError, match="the file's 'close' already means close"):
        load_market_data(tmp_path / "both.csv", config=DataConfig(columns={"Px": "close"}))


def test_the_cli_maps_by_config_and_refuses_a_bad_target_in_one_line(tmp_path, capsys, monkeypatch) -> None:
    path, _ = _their_file(tmp_path)
    good = tmp_path / "good.yaml"
    good.write_text("data:\n  columns: {" + ", ".join(f"{k}: {v}" for k, v in MAPPING.items()) + "}\n")
    ok = trade_here(["data", "check", str(path), "--config", str(good)], capsys, monkeypatch, tmp_path)
    assert ok.returncode in (0, 1), ok.stderr  # read (clean or with warnings), not refused
    assert "missing column" not in ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  columns: {OpenPx: opn}\n")
    refused = trade_here(["data", "check", str(path), "--config", str(bad)], capsys, monkeypatch, tmp_path)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "'opn' is not a column we read" in lines[0] and "Traceback" not in refused.stderr
