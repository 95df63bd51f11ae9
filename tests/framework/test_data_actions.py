"""Prices as traded, corporate actions beside them, and history adjusted point-in-time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from data_builders import clean_long, write
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.data import Adjustment, MarketData, load_market_data
from framework.errors import DataError


def _one_symbol(days: int = 8) -> pd.DataFrame:
    frame = clean_long(first="2019-01-02", last="2019-01-31", symbols=("AAA",)).iloc[:days].reset_index(drop=True)
    return frame


def _yahoo_adj_close(frame: pd.DataFrame, dividends: dict[int, float], splits: dict[int, float]) -> pd.Series:
    """adj_close as Yahoo computes it from raw closes: factors of every later action."""
    close = frame["close"].to_numpy(float)
    factor = np.ones(len(close))
    for i, d in dividends.items():
        factor[:i] *= 1 - d / close[i - 1]
    for i, r in splits.items():
        factor[:i] /= r
    return pd.Series(close * factor)


def test_dividends_are_derived_from_the_change_of_adj_close_over_close(tmp_path) -> None:
    frame = _one_symbol()
    frame["adj_close"] = _yahoo_adj_close(frame, {3: 0.50, 6: 0.25}, {})
    market = load_market_data(write(frame, tmp_path / "d.csv"))
    dividends = market.dividends["AAA"].dropna()
    assert list(dividends.index.strftime("%Y-%m-%d")) == [frame["date"][3], frame["date"][6]]
    # e = F[t-1] / F[t] = 1 - D / close[t-1]  =>  D = (1 - e) * close[t-1]
    assert dividends.to_numpy() == pytest.approx([0.50, 0.25], abs=1e-9)
    assert market.splits.isna().all().all()
    assert market.close["AAA"].to_numpy() == pytest.approx(frame["close"].to_numpy())  # as traded


def test_dividends_derived_from_a_four_decimal_adj_close_are_snapped_to_the_cent(tmp_path) -> None:
    """adj_close served to 4 decimals moves the derived amount in its 4th-5th decimal: the
    action table holds the declared cents exactly, as paper derives them from the venue."""
    frame = _one_symbol()
    frame["adj_close"] = _yahoo_adj_close(frame, {3: 0.37, 6: 0.12}, {}).round(4)
    market = load_market_data(write(frame, tmp_path / "d.csv"))
    assert market.dividends["AAA"].dropna().tolist() == [0.37, 0.12]


def test_a_split_is_a_plain_ratio_jump_of_the_factor_and_adjusted_like_alpaca(tmp_path) -> None:
    frame = _one_symbol()
    for c in ("open", "high", "low", "close"):  # a 4-for-1 split on row 5: prices as traded fall 4-fold
        frame.loc[5:, c] = (frame.loc[5:, c] / 4).round(2)
    frame.loc[5:, "volume"] = frame.loc[5:, "volume"] * 4
    frame["adj_close"] = _yahoo_adj_close(frame, {}, {5: 4.0})
    market = load_market_data(write(frame, tmp_path / "s.csv"))
    assert market.splits["AAA"].dropna().to_dict() == {pd.Timestamp(frame["date"][5]): 4.0}
    split = market.adjusted(Adjustment.SPLIT)
    raw = market.close["AAA"].to_numpy()
    assert split.close["AAA"].to_numpy()[:5] == pytest.approx(raw[:5] / 4)
    assert split.close["AAA"].to_numpy()[5:] == pytest.approx(raw[5:])
    assert split.volume["AAA"].to_numpy()[:5] == pytest.approx(market.volume["AAA"].to_numpy()[:5] * 4)
    assert market.adjusted(Adjustment.DIVIDEND).close["AAA"].to_numpy() == pytest.approx(raw)


def test_explicit_columns_and_a_yfinance_split_adjusted_close_give_prices_as_traded(tmp_path) -> None:
    frame = _one_symbol()
    frame["Dividends"] = 0.0
    frame["Stock Splits"] = 0.0
    frame.loc[5, "Stock Splits"] = 2.0  # yfinance: Close already split-adjusted, no jump at the split
    frame.loc[3, "Dividends"] = 0.4
    market = load_market_data(write(frame, tmp_path / "y.csv"))
    assert market.close["AAA"].to_numpy()[:5] == pytest.approx(frame["close"].to_numpy()[:5] * 2)
    assert market.volume["AAA"].to_numpy()[:5] == pytest.approx(frame["volume"].to_numpy()[:5] / 2)
    assert market.close["AAA"].to_numpy()[5:] == pytest.approx(frame["close"].to_numpy()[5:])
    # yfinance's dividends before a split are split-adjusted like its Close: 0.4 then was 0.8 a share
    assert market.dividends["AAA"].dropna().tolist() == [0.8] and market.splits["AAA"].dropna().tolist() == [2.0]
    # the view adjusted for splits as of the end is the file's split-adjusted close again
    view = market.adjusted(Adjustment.SPLIT).close["AAA"].to_numpy()
    assert view == pytest.approx(frame["close"].to_numpy())


def test_columns_that_contradict_each_other_are_one_line_refusals(tmp_path) -> None:
    frame = _one_symbol()
    frame["adj_close"] = _yahoo_adj_close(frame, {3: 0.50}, {})
    frame["dividend"] = np.nan
    frame.loc[3, "dividend"] = 2.0  # adj_close implies 0.50
    path = write(frame, tmp_path / "c.csv")
    with pytest.raises(DataError) as err:
        load_market_data(path)
    message = str(err.value)
    assert "\n" not in message
    assert f"line 5, AAA {frame['date'][3]}: dividend says 2 but adj_close/close implies 0.5" in message
    from framework.config import DataConfig

    with pytest.raises(DataError, match="corporate actions contradict|dividend says 2"):
        load_market_data(path, config=DataConfig(on_problem="repair"))  # never repaired


def test_an_adjustment_factor_that_rises_is_an_error_and_ignored_when_dropping(tmp_path) -> None:
    frame = _one_symbol()
    frame["adj_close"] = frame["close"]
    frame.loc[:3, "adj_close"] = frame.loc[:3, "close"] * 1.05  # adjusted above raw before row 4
    path = write(frame, tmp_path / "r.csv")
    with pytest.raises(DataError, match=f"AAA {frame['date'][4]}: adj_close/close rises 5.00% from the previous row"):
        load_market_data(path)
    from framework.config import DataConfig

    market = load_market_data(path, config=DataConfig(on_problem="drop"))
    assert market.dividends.isna().all().all() and market.splits.isna().all().all()
    assert [(r.action, r.count) for r in market.report.repairs] == [("ignored factor rise", 1)]


def test_the_embedded_dataset_carries_its_two_splits_and_the_fingerprint_covers_actions() -> None:
    market = load_market_data()
    splits = {(str(d.date()), s): r for (d, s), r in market.splits.stack().dropna().items()}
    assert splits == {("2015-07-15", "NFLX"): 7.0, ("2015-04-09", "SBUX"): 2.0}
    nflx = market.close["NFLX"]
    assert nflx.at[pd.Timestamp("2015-07-14")] == 702.60 and nflx.at[pd.Timestamp("2015-07-15")] == 98.13
    assert market.dividends.notna().to_numpy().sum() > 700
    changed = MarketData(market.open, market.high, market.low, market.close, market.volume, market.sectors,
                         dividends=market.dividends * 1.01, splits=market.splits)
    assert changed.dividends.notna().equals(market.dividends.notna())
    from framework.data.loading import _fingerprint

    frames = {f: getattr(market, f) for f in ("open", "high", "low", "close", "volume")}
    base = _fingerprint(frames, {"dividends": market.dividends, "splits": market.splits}, market.filled, market.view)
    assert base == market.fingerprint
    assert _fingerprint(frames, {"dividends": changed.dividends, "splits": market.splits}, market.filled,
                        market.view) != base


def test_history_adjusted_at_t_is_alpacas_all_adjustment_as_of_t() -> None:
    market = load_market_data().select(["NFLX", "SO"])
    before, after = market.truncate("2015-07-14").adjusted(), market.truncate("2015-07-31").adjusted()
    day = pd.Timestamp("2015-07-13")
    assert before.close.at[day, "NFLX"] == market.close.at[day, "NFLX"]  # the split is in the future
    assert after.close.at[day, "NFLX"] == pytest.approx(market.close.at[day, "NFLX"] / 7)


@st.composite
def panels(draw):  # a raw close path with random dividends and splits
    n = draw(st.integers(5, 40))
    close = np.array(draw(st.lists(st.floats(5, 500), min_size=n, max_size=n)))
    dividends = np.full(n, np.nan)
    splits = np.full(n, np.nan)
    for i in draw(st.lists(st.integers(1, n - 1), max_size=4, unique=True)):
        if draw(st.booleans()):
            dividends[i] = draw(st.floats(0.01, 0.2)) * close[i - 1]
        else:
            splits[i] = draw(st.sampled_from([0.1, 0.5, 1.5, 2.0, 3.0, 7.0]))
    return close, dividends, splits


def _market(close, dividends, splits) -> MarketData:
    days = pd.bdate_range("2020-01-01", periods=len(close))
    f = lambda v: pd.DataFrame({"X": v}, index=days)  # noqa: E731
    return MarketData(f(close), f(close * 1.01), f(close * 0.99), f(close), f(np.full(len(close), 1e6)),
                      pd.Series(dtype=str), dividends=f(dividends), splits=f(splits))


@settings(max_examples=60, deadline=None)
@given(panels(), st.data())
def test_adjusted_point_in_time_invariants(panel, data) -> None:
    market = _market(*panel)
    t = data.draw(st.integers(0, len(panel[0]) - 1))
    cut = market.truncate(market.dates[t])
    view = cut.adjusted()
    # the latest bar is raw; returns do not depend on the date the history is adjusted as of
    assert view.close.iloc[-1, 0] == pytest.approx(cut.close.iloc[-1, 0])
    full_returns = market.adjusted().close.pct_change().iloc[: t + 1, 0]
    assert view.close.pct_change().iloc[:, 0].to_numpy() == pytest.approx(full_returns.to_numpy(), nan_ok=True)
    # all = split then dividend, applied to raw
    both = cut.adjusted(Adjustment.SPLIT).close / cut.close * cut.adjusted(Adjustment.DIVIDEND).close
    assert view.close.to_numpy() == pytest.approx(both.to_numpy())


@settings(max_examples=40, deadline=None)
@given(panels(), st.data())
def test_the_adjusted_close_alone_is_the_adjusted_views_close_to_the_bit(panel, data) -> None:
    """Returns and volatility adjust the close alone (issue 31: a whole market's other fields
    are not adjusted for them): the same bits as the whole view, filled bars included."""
    market = _market(*panel)
    holes = data.draw(st.lists(st.integers(1, len(panel[0]) - 1), max_size=3, unique=True))
    filled = pd.DataFrame(False, index=market.dates, columns=["X"])
    filled.iloc[holes, 0] = True
    nan_where = lambda f: f.mask(filled)  # noqa: E731  (a filled bar is NaN as traded)
    market = MarketData(*(nan_where(getattr(market, n)) for n in ("open", "high", "low", "close", "volume")),
                        pd.Series(dtype=str), dividends=market.dividends, splits=market.splits, filled=filled)
    for kind in Adjustment:
        whole = market.adjusted(kind).close.to_numpy()
        alone = market.adjusted_close(kind).to_numpy()
        assert whole.tobytes() == alone.tobytes(), kind
    assert market.returns().to_numpy().tobytes() == market.adjusted("all").close.pct_change(
        fill_method=None).to_numpy().tobytes()
