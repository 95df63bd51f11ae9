"""Every figure in its unit: never nan, inf or a negative zero; durations a person reads."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from analyzers.units import NA, Unit, bps, duration, pct, show, usd


@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(list(Unit)))
@example(-0.0, Unit.SECONDS)  # found by hypothesis in a suite run: "-0.0 s"
def test_no_unit_prints_nan_inf_or_minus_zero(value, unit) -> None:
    text = show(value, unit)
    assert "nan" not in text.lower() and "inf" not in text.lower()
    if not math.isfinite(value):
        assert text == NA
    digits = [c for c in text if c.isdigit()]
    if digits and set(digits) == {"0"}:
        assert not text.startswith("-"), text


@pytest.mark.parametrize(
    ("got", "want"),
    [
        (pct(-0.2718561441), "-27.19%"),
        (pct(-0.00001), "0.00%"),
        (pct(0.25, 0), "25%"),
        (bps(4.5557), "4.6 bps"),
        (usd(3317.4), "$3,317"),
        (usd(-18.76), "-$19"),
        (usd(-0.2), "$0"),
        (duration(63000), "17 h 30 min"),
        (duration(2.5), "2.5 s"),
        (duration(90 * 3600), "3 d 18 h"),
        (duration(-1.0e8), NA),
    ],
)
def test_formats(got, want) -> None:
    assert got == want


def test_a_chart_of_one_day_spans_a_week_not_years() -> None:
    """A paper run with one traded day drew its slippage chart over 2018–2021."""
    import matplotlib.pyplot as plt

    from analyzers.charts import dates as _dates

    fig, ax = plt.subplots()
    ax.plot(pd.to_datetime(["2019-05-06"]), [-52.0], marker="o")
    _dates(ax)
    lo, hi = ax.get_xlim()
    plt.close(fig)
    assert 4 <= hi - lo <= 8
