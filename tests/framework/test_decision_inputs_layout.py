"""The decision-inputs blob (``framework.decision_inputs``): what a paper cycle decided on reads
back exactly, in the long layout written since issue 31 and in the first layout (one Parquet
column per frame and symbol) that older journals name.

``fixtures/decision_inputs_wide.parquet`` was written by the first layout's ``encode`` (the
code of ``main`` before issue 31 part 5) from :func:`history`; its name's digest is checked as
``load`` checks it."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from framework import decision_inputs
from framework.data import Adjustment, MarketData, load_market_data

FIXTURE = Path(__file__).parent / "fixtures" / "decision_inputs_wide.parquet"
FRAMES = ("open", "high", "low", "close", "volume", "dividends", "splits", "filled")


def history(symbols: int = 5, dates: int = 12) -> MarketData:
    """A slice of the embedded data as the Alpaca feed builds it (microsecond dates), with a
    symbol that stops early, a dividend, a split, a filled bar and a symbol without a sector."""
    market = load_market_data()
    names = market.symbols[:symbols]
    days = market.dates[200 : 200 + dates]
    frames = {f: getattr(market, f).loc[days, names].copy() for f in ("open", "high", "low", "close", "volume")}
    for frame in frames.values():
        frame.index = pd.DatetimeIndex(frame.index.astype("datetime64[us]"), name="date")
        frame.iloc[-3:, 1 % symbols] = np.nan  # the second symbol stops trading
    like = frames["close"]
    dividends = pd.DataFrame(np.nan, index=like.index, columns=like.columns)
    dividends.iloc[4 % dates, 0] = 0.37
    splits = pd.DataFrame(np.nan, index=like.index, columns=like.columns)
    splits.iloc[6 % dates, 2 % symbols] = 2.0
    filled = pd.DataFrame(False, index=like.index, columns=like.columns)
    filled.iloc[7 % dates, 3 % symbols] = True
    sectors = market.sectors.reindex(names[:-1])  # the last symbol has no sector
    return MarketData(**frames, sectors=sectors, source="alpaca", fingerprint="alpaca-20261207",
                      dividends=dividends, splits=splits, filled=filled, view=Adjustment.SPLIT)


def assert_same(got: MarketData, want: MarketData) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, check_freq=False)
    assert list(got.sectors.items()) == [(str(k), str(v)) for k, v in want.sectors.items()]
    assert (got.source, got.fingerprint, got.view, got.basis) == (want.source, want.fingerprint, want.view,
                                                                   want.basis)


def test_a_history_reads_back_exactly_from_the_long_layout() -> None:
    want = history()
    assert_same(decision_inputs.decode(decision_inputs.encode(want)), want)


@pytest.mark.parametrize(("symbols", "dates"), [(1, 1), (44, 260)])
def test_the_long_layout_holds_any_grid(symbols: int, dates: int) -> None:
    want = history(symbols, dates)
    got = decision_inputs.decode(decision_inputs.encode(want))
    assert_same(got, want)
    got.close.iloc[0, 0] = 1.0  # the frames are the caller's to change, not views of Arrow's buffers


def test_the_long_layout_has_a_column_per_frame_not_per_symbol() -> None:
    """The first layout's 4,000 columns at 500 symbols were ~1.8 s of every paper cycle."""
    schema = pq.read_schema(io.BytesIO(decision_inputs.encode(history(44, 20))))
    assert schema.names == ["date", "symbol", *FRAMES]


def test_the_same_history_is_the_same_blob() -> None:
    assert decision_inputs.encode(history()) == decision_inputs.encode(history())


def test_a_blob_of_the_first_layout_still_reads(tmp_path: Path) -> None:
    digest = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    shutil.copy(FIXTURE, tmp_path / f"{digest}.parquet")
    assert "layout" not in pq.read_schema(FIXTURE).metadata[b"trade.decision_inputs"].decode()
    assert_same(decision_inputs.load(tmp_path, digest), history())
