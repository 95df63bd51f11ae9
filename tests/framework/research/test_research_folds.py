"""Walk-forward folds tile the period out of sample and never let in-sample touch it."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.errors import InputError
from framework.research.folds import MIN_SESSIONS, FoldScheme, walk_forward_folds

SESSIONS = pd.bdate_range("2016-01-04", periods=250)


def test_anchored_folds_grow_from_the_first_session() -> None:
    folds = walk_forward_folds(SESSIONS, 4, FoldScheme.ANCHORED)
    assert [f.number for f in folds] == [1, 2, 3, 4]
    assert all(f.is_start == SESSIONS[0] for f in folds)
    assert folds[0].oos_start == SESSIONS[50] and folds[-1].oos_end == SESSIONS[-1]


def test_rolling_folds_choose_on_the_block_just_before() -> None:
    folds = walk_forward_folds(SESSIONS, 4, FoldScheme.ROLLING)
    for previous, fold in pairwise(folds):
        assert fold.is_start == previous.oos_start and fold.is_end == previous.oos_end


def test_an_embargo_leaves_sessions_out_between_in_and_out_of_sample() -> None:
    folds = walk_forward_folds(SESSIONS, 4, FoldScheme.ANCHORED, embargo=5)
    for fold in folds:
        gap = SESSIONS.get_loc(fold.oos_start) - SESSIONS.get_loc(fold.is_end) - 1
        assert gap == 5


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(10, 400),
    folds=st.integers(1, 8),
    embargo=st.integers(0, 10),
    scheme=st.sampled_from(list(FoldScheme)),
)
def test_folds_tile_the_rest_of_the_period_without_gaps_or_peeking(n, folds, embargo, scheme) -> None:
    dates = pd.bdate_range("2015-01-05", periods=n)
    try:
        out = walk_forward_folds(dates, folds, scheme, embargo)
    except InputError:
        assert n // (folds + 1) - embargo < MIN_SESSIONS or n // (folds + 1) < MIN_SESSIONS
        return
    position = dates.get_loc
    assert len(out) == folds
    assert position(out[0].oos_start) > 0 and out[-1].oos_end == dates[-1]
    for previous, fold in pairwise(out):
        assert position(fold.oos_start) == position(previous.oos_end) + 1  # contiguous out of sample
    for fold in out:
        assert position(fold.is_end) - position(fold.is_start) + 1 >= MIN_SESSIONS
        assert position(fold.oos_start) - position(fold.is_end) == embargo + 1  # in-sample ends before it


def test_too_many_folds_for_the_period_is_one_line() -> None:
    with pytest.raises(InputError, match="use fewer folds"):
        walk_forward_folds(SESSIONS[:20], 12)
