"""nan_to_zero is np.nan_to_num for the float vectors of a decision, value for value."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from framework.arrays import nan_to_zero


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
