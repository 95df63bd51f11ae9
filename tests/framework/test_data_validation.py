"""One validation pass finds every problem; data.on_problem refuses, drops or repairs, and says so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from data_builders import ERRORS, WARNINGS, clean_long, line_of, ten_problems, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.config import DataConfig
from framework.data import ProblemKind, check_file, load_market_data
from framework.errors import DataError


def test_every_problem_of_a_file_is_reported_in_one_pass(tmp_path) -> None:
    report = check_file(write(ten_problems(), tmp_path / "ten.csv"))
    kinds = [p.kind.value for p in report.problems]
    assert kinds == [*ERRORS, *WARNINGS]
    assert [p.kind.value for p in report.errors] == list(ERRORS)
    for problem in report.problems:
        assert problem.count >= 1 and problem.examples
    text = "\n".join(report.lines())
    assert "line 798, BBB 2019-03-05: close is missing (NaN)" in text  # plain, with row, symbol and date
    assert "np.float64" not in text and "nan)" not in text.replace("(NaN)", "")
    assert "2019-03-16 is a Saturday, not an XNYS session" in text
    assert "FFF: 3 session(s) missing: 2019-04-01, 2019-04-02, 2019-04-03" in text


def test_loading_refuses_in_one_line_naming_every_kind_of_error(tmp_path) -> None:
    path = write(ten_problems(), tmp_path / "ten.csv")
    with pytest.raises(DataError) as err:
        load_market_data(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    assert "11 problems of 11 kinds" in message
    for kind in ERRORS:
        assert f"{kind} ×1 (first: " in message


def test_a_100x_bad_tick_is_refused_dropped_or_filled_untradable(tmp_path) -> None:
    frame = clean_long()
    row = (frame["date"] == "2019-03-13") & (frame["symbol"] == "EEE")
    good = float(frame.loc[row, "close"].iloc[0])
    frame.loc[row, ["close", "high"]] = good * 100
    path = write(frame, tmp_path / "tick.csv")
    with pytest.raises(DataError, match=rf"line {line_of(frame, '2019-03-13', 'EEE')}, EEE 2019-03-13: close .* is 100× "):
        load_market_data(path)
    dropped = load_market_data(path, config=DataConfig(on_problem="drop"))
    day = pd.Timestamp("2019-03-13")
    assert np.isnan(dropped.close.at[day, "EEE"]) and not dropped.filled.at[day, "EEE"]
    repaired = load_market_data(path, config=DataConfig(on_problem="repair"))
    assert np.isnan(repaired.close.at[day, "EEE"])  # the engine cannot trade it
    before = repaired.close["EEE"].loc[: day - pd.Timedelta(days=1)].dropna().iloc[-1]
    assert repaired.filled.at[day, "EEE"] and repaired.adjusted().close.at[day, "EEE"] == before
    actions = {(r.kind, r.action) for r in repaired.report.repairs}
    assert (ProblemKind.SPIKE, "dropped bad tick") in actions
    assert (ProblemKind.MISSING_SESSIONS, "filled session") in actions


def test_weekend_rows_are_refused_and_dropped_by_drop_or_repair(tmp_path) -> None:
    frame = clean_long(first="2019-01-02", last="2019-03-29")
    saturday = frame[frame["date"] == "2019-03-15"].assign(date="2019-03-16")
    path = write(pd.concat([frame, saturday]), tmp_path / "weekend.csv")
    with pytest.raises(DataError, match="2019-03-16 is a Saturday, not an XNYS session"):
        load_market_data(path)
    for policy in ("drop", "repair"):
        market = load_market_data(path, config=DataConfig(on_problem=policy))
        assert pd.Timestamp("2019-03-16") not in market.dates
        assert market.report.repairs[0].action == "dropped session" and market.report.repairs[0].count == 6


def test_close_above_high_is_refused_and_repair_widens_the_range(tmp_path) -> None:
    frame = clean_long(first="2019-01-02", last="2019-03-29")
    row = (frame["date"] == "2019-02-05") & (frame["symbol"] == "CCC")
    frame.loc[row, "close"] = frame.loc[row, "high"] + 1
    path = write(frame, tmp_path / "high.csv")
    with pytest.raises(DataError, match=r"CCC 2019-02-05: close [\d.]+ > high"):
        load_market_data(path)
    market = load_market_data(path, config=DataConfig(on_problem="repair"))
    day = pd.Timestamp("2019-02-05")
    assert market.high.at[day, "CCC"] == market.close.at[day, "CCC"] == float(frame.loc[row, "close"].iloc[0])
    assert market.report.repairs[0].action == "widened high/low"


def test_gaps_are_warnings_and_repair_fills_them_untradable(tmp_path) -> None:
    frame = clean_long(first="2019-01-02", last="2019-03-29")
    gone = (frame["symbol"] == "BBB") & frame["date"].isin(["2019-02-04", "2019-02-05"])
    path = write(frame[~gone], tmp_path / "gaps.csv")
    market = load_market_data(path)  # a warning, not a refusal
    assert [p.kind for p in market.report.warnings] == [ProblemKind.MISSING_SESSIONS]
    assert market.report.warnings[0].count == 2 and not market.filled.to_numpy().any()
    repaired = load_market_data(path, config=DataConfig(on_problem="repair"))
    cells = repaired.filled.stack()
    assert sorted((str(d.date()), s) for (d, s), v in cells.items() if v) == [
        ("2019-02-04", "BBB"), ("2019-02-05", "BBB")]
    assert repaired.close.loc["2019-02-04":"2019-02-05", "BBB"].isna().all()
    view = repaired.adjusted()
    assert (view.close.loc["2019-02-04":"2019-02-05", "BBB"] == repaired.close.at[pd.Timestamp("2019-02-01"), "BBB"]).all()
    assert (view.volume.loc["2019-02-04":"2019-02-05", "BBB"] == 0).all()


def test_zero_volume_runs_and_stale_prices_are_warnings_with_their_lengths(tmp_path) -> None:
    frame = clean_long(first="2019-01-02", last="2019-03-29")
    days = ["2019-02-04", "2019-02-05", "2019-02-06"]
    frame.loc[(frame["symbol"] == "AAA") & frame["date"].isin(days), "volume"] = 0
    stale = (frame["symbol"] == "DDD") & frame["date"].isin([*days, "2019-02-07", "2019-02-08"])
    frame.loc[stale, ["open", "high", "low", "close"]] = 100.0
    market = load_market_data(write(frame, tmp_path / "quiet.csv"))
    words = {p.kind: str(p.examples[0]) for p in market.report.warnings}
    assert words[ProblemKind.ZERO_VOLUME].endswith("AAA 2019-02-04: volume 0 for 3 sessions, to 2019-02-06")
    assert words[ProblemKind.STALE_PRICE].endswith("DDD 2019-02-04: close unchanged at 100 for 5 sessions, to 2019-02-08")


def test_the_embedded_dataset_is_clean() -> None:
    assert load_market_data().report.clean


def test_parquet_rows_are_numbered_as_parquet_rows(tmp_path) -> None:
    frame = clean_long(first="2019-01-02", last="2019-01-31")
    frame.loc[3, "close"] = np.nan
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataError, match=r": row 4, AAA 2019-01-07: close is missing \(NaN\)"):
        load_market_data(path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(5, 55), factor=st.sampled_from([0.01, 0.05, 20.0, 100.0, 1000.0]),
       symbol=st.sampled_from(["AAA", "CCC", "FFF"]))
def test_any_bad_tick_that_reverts_is_found(tmp_path, position, factor, symbol) -> None:
    frame = clean_long(first="2019-01-02", last="2019-03-29")
    rows = np.flatnonzero((frame["symbol"] == symbol).to_numpy())
    i = rows[position]
    frame.loc[i, ["open", "high", "low", "close"]] = frame.loc[i, "close"] * factor
    report = check_file(write(frame, tmp_path / "t.csv"))
    assert [p.kind for p in report.errors] == [ProblemKind.SPIKE]
    assert report.errors[0].examples[0].date == frame.loc[i, "date"]


def test_parsing_shares_the_files_float_columns_instead_of_copying_them(tmp_path) -> None:
    """A whole market's file is millions of rows (issue 31): its parsed price columns are the
    file's own arrays, not a second copy of each (the checks only read them)."""
    from framework.config import DataConfig
    from framework.data.formats import read_table
    from framework.data.loading import thresholds
    from framework.data.validation import parse

    path = tmp_path / "p.parquet"
    clean_long(first="2019-01-02", last="2019-01-31").to_parquet(path)
    table = read_table(path)
    parsed, findings = parse(table, thresholds(DataConfig()))
    assert not findings
    for column in ("open", "high", "low", "close"):
        assert np.shares_memory(parsed.frame[column].to_numpy(), table.frame[column].to_numpy()), column
    assert parsed.frame["close"].tolist() == table.frame["close"].tolist()
    # the parsed table numbers the file's rows but keeps none of its values beside the parsed ones
    assert parsed.table.frame.empty and list(parsed.table.frame.columns) == list(table.frame.columns)
    assert parsed.table.where(3) == "row 4"
