"""nan_to_zero is np.nan_to_num for the float vectors of a decision, value for value; clip_frame
is pandas' clip to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from framework.arrays import clip_frame, nan_to_zero


@given(arrays(np.float64, st.integers(0, 50), elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_nan_to_zero_equals_numpys(values: np.ndarray) -> None:
    before = values.copy()
    out = nan_to_zero(values)
    np.testing.assert_array_equal(out, np.nan_to_num(values))
    assert out is not values
    np.testing.assert_array_equal(values, before)  # the input is left as it was


def test_nan_to_zero_maps_nan_and_infinities() -> None:
    out = nan_to_zero(np.array([np.nan, 1.5, np.inf, -np.inf]))
    assert out.tolist() == [0.0, 1.5, np.finfo(float).max, -np.finfo(float).max]


def test_clip_frame_is_pandas_clip_to_the_bit() -> None:
    """Signals are clipped on the array (pandas' clip cost ~1 ms a call, hundreds of calls a
    lookahead check): the same values, NaN and -0.0 included, the same labels."""
    rng = np.random.default_rng(11)
    values = rng.normal(0, 1.5, (40, 5))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[0, :] = [-0.0, 0.0, np.inf, -np.inf, 1.0]
    frame = pd.DataFrame(values, index=pd.date_range("2020-01-01", periods=40, name="date"),
                         columns=pd.Index(list("ABCDE"), name="symbol"))
    got, expected = clip_frame(frame, -1.0, 1.0), frame.clip(-1.0, 1.0)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert np.array_equal(got.to_numpy().view(np.int64), expected.to_numpy().view(np.int64))
    assert got.index.freq == expected.index.freq
