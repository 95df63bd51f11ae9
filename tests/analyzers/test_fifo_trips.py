"""Our FIFO round trips (issue 31: pyfolio's took 6.7 s of a 500-symbol report) equal pyfolio's
``extract_round_trips`` to the bit: the same frame, the same fills left out."""

from __future__ import annotations

import warnings

import hypothesis.strategies as st
import pandas as pd
from hypothesis import given, settings

from analyzers.fifo_trips import extract_round_trips, merge_consecutive
from analyzers.frames import pyfolio

START = pd.Timestamp("2020-01-06 13:30", tz="UTC")
HOURS = [0.0, 0.0, 1.5, 7.9, 8.1, 24.0, 48.0, 72.5]  # same time, inside and beyond pyfolio's 8 h merge


def _pyfolio(txns: pd.DataFrame, value: pd.Series | None) -> tuple[pd.DataFrame, int]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trips = pyfolio().round_trips.extract_round_trips(txns, portfolio_value=value)
    return trips, sum("Negative price detected" in str(w.message) for w in caught)


@st.composite
def transactions(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    symbols = draw(st.lists(st.sampled_from(["AAA", "BBB", "CCC"]), min_size=n, max_size=n))
    hours = draw(st.lists(st.sampled_from(HOURS), min_size=n, max_size=n))
    amounts = draw(st.lists(st.integers(-300, 300).filter(bool), min_size=n, max_size=n))
    prices = draw(st.lists(st.one_of(st.floats(0.01, 2000.0), st.floats(-5.0, -0.01)), min_size=n, max_size=n))
    when = START + pd.to_timedelta(pd.Series(hours).cumsum(), unit="h")
    frame = pd.DataFrame({"amount": [float(a) for a in amounts], "price": prices, "symbol": symbols},
                         index=pd.DatetimeIndex(when).as_unit("us"))
    return frame.iloc[draw(st.permutations(range(n)))] if draw(st.booleans()) else frame


@settings(max_examples=80)
@given(transactions(), st.booleans())
def test_equal_to_pyfolio_on_any_transactions(txns: pd.DataFrame, with_value: bool) -> None:
    days = pd.date_range(START.normalize(), periods=60, freq="D")
    value = pd.Series(100_000.0 + days.day.to_numpy() * 7.3, index=days, name="equity") if with_value else None
    try:
        expected, expected_skipped = _pyfolio(txns, value)
    except KeyError:  # pyfolio fails when nothing round-trips; ours is then empty
        trips, _ = extract_round_trips(txns, value)
        assert trips.empty
        return
    trips, skipped = extract_round_trips(txns, value)
    pd.testing.assert_frame_equal(trips, expected, check_exact=True)
    assert skipped == expected_skipped


def test_merges_same_direction_fills_within_8_hours_at_their_volume_weighted_price() -> None:
    when = pd.DatetimeIndex([START, START + pd.Timedelta(hours=2), START + pd.Timedelta(hours=11),
                             START + pd.Timedelta(hours=12)]).as_unit("us")
    txns = pd.DataFrame({"amount": [10.0, 30.0, 5.0, -20.0], "price": [100.0, 104.0, 110.0, 120.0],
                         "symbol": ["AAA"] * 4}, index=when)
    merged = merge_consecutive(txns)
    assert merged["amount"].tolist() == [40.0, 5.0, -20.0]  # the third is 9 h after the second's block start
    assert merged["price"].tolist() == [(10 * 100.0 + 30 * 104.0) / 40, 110.0, 120.0]
    trips, _ = extract_round_trips(txns)
    assert trips["pnl"].tolist() == [20 * 120.0 - 20 * 103.0]  # FIFO: 20 of the 40 at 103 closed at 120
    assert trips["long"].tolist() == [True]
