"""Signal processing and sizing: every key of the signals and sizing sections does its job."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.config import SignalsConfig, SizingConfig
from framework.signals import SignalProcessor, is_rebalance_day
from framework.sizing import PositionSizer, SizingInput
from framework.universe import Universe

SIG = pd.Series({"A": 0.9, "B": 0.5, "C": 0.05, "D": -0.7, "E": -0.2, "F": np.nan})
U = Universe.of(SIG.index)


def weights(processor: SignalProcessor, signals: pd.Series = SIG) -> pd.Series:
    """The processor's weights, labelled, without the symbols it gave none (flat or no view)."""
    u = Universe.of(signals.index)
    w = u.series(processor.target_weights(u.vector(signals))).dropna()
    return w[w != 0.0]


def test_nan_is_no_view_and_holds_while_zero_is_flat() -> None:
    """Defect 14.9: a NaN from a plugin meant "sell everything"; now NaN holds, an explicit 0 exits."""
    u = Universe.of(["A", "B", "C"])
    w = SignalProcessor(SignalsConfig(threshold=0.1)).target_weights(u.vector({"A": np.nan, "B": 0.0, "C": 1.0}))
    assert np.isnan(w[0]) and w[1] == 0.0 and w[2] == pytest.approx(1.0)
    inp = SizingInput(w, 100_000.0, u.vector({"A": 100.0, "B": 50.0, "C": 10.0}), np.full(3, 0.2),
                      u.vector({"A": 369.0, "B": 200.0}, 0.0))
    q = u.series(PositionSizer(SizingConfig()).target_quantities(inp))
    assert q["A"] == 369.0  # no view: held as it is, band or not
    assert q["B"] == 0.0  # an explicit 0: exit


def test_positions_held_without_a_view_take_their_share_of_the_gross_target_first() -> None:
    u = Universe.of(["A", "B", "C"])
    held = np.array([0.3, 0.0, 0.0])  # A is 30% of equity and has no view today
    w = SignalProcessor(SignalsConfig(gross_target=1.0)).target_weights(u.vector({"A": np.nan, "B": 1.0, "C": 1.0}),
                                                                         held)
    assert np.isnan(w[0]) and w[1] + w[2] == pytest.approx(0.7)


def test_threshold_long_only_and_normalisation() -> None:
    w = weights(SignalProcessor(SignalsConfig(threshold=0.1, gross_target=0.8)))
    assert list(w.index) == ["A", "B"]  # C under threshold, shorts dropped, NaN is no view
    assert w.sum() == pytest.approx(0.8) and w["A"] / w["B"] == pytest.approx(0.9 / 0.5)


def test_long_short_with_top_and_bottom_n_and_equal_weights() -> None:
    cfg = SignalsConfig(threshold=0.1, allow_short=True, top_n=1, bottom_n=1, weighting="equal")
    w = weights(SignalProcessor(cfg))
    assert w.to_dict() == {"A": 0.5, "D": -0.5}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=1, max_size=30), st.floats(0.1, 4.0), st.booleans())
def test_gross_of_weights_equals_target_or_zero(values, gross, shorts) -> None:
    sig = pd.Series(values, index=[f"S{i}" for i in range(len(values))])
    w = weights(SignalProcessor(SignalsConfig(threshold=0.1, gross_target=gross, allow_short=shorts)), sig)
    assert w.empty or w.abs().sum() == pytest.approx(gross)
    assert shorts or (w >= 0).all()


def test_rebalance_calendar_is_anchored_to_dates_not_to_history() -> None:
    days = pd.bdate_range("2019-01-01", periods=20)
    picks = [d for d in days if is_rebalance_day(d, 5)]
    assert len(picks) == 4 and all((b - a).days == 7 for a, b in itertools.pairwise(picks))
    assert all(is_rebalance_day(d, 1) for d in days)


SIZED = Universe.of(["A", "B", "C"])


def _sizing_input(weights: dict[str, float], vol: dict[str, float], current: dict[str, float] | None = None):
    u, prices = SIZED, {"A": 100.0, "B": 50.0, "C": 10.0}
    return SizingInput(u.vector(weights, 0.0), 100_000.0, u.vector(prices), u.vector(vol), u.vector(current or {}, 0.0))


def sized(sizer: PositionSizer, inp: SizingInput) -> pd.Series:
    return SIZED.series(sizer.target_quantities(inp))


def test_weight_mode_cash_buffer_whole_and_fractional_shares() -> None:
    inp = _sizing_input({"A": 0.5, "B": 0.5}, {"A": 0.2, "B": 0.2})
    whole = sized(PositionSizer(SizingConfig(cash_buffer=0.1)), inp)
    assert whole.to_dict() == {"A": 450.0, "B": 900.0, "C": 0.0}
    inp = _sizing_input({"A": 0.33335}, {"A": 0.2})
    frac = sized(PositionSizer(SizingConfig(cash_buffer=0.0, fractional=True)), inp)
    whole = sized(PositionSizer(SizingConfig(cash_buffer=0.0)), inp)
    assert frac["A"] == pytest.approx(333.35) and whole["A"] == 333.0


def test_inverse_volatility_weights_shift_to_calm_names() -> None:
    inp = _sizing_input({"A": 0.5, "B": 0.5}, {"A": 0.1, "B": 0.4})
    q = sized(PositionSizer(SizingConfig(mode="inverse_volatility", cash_buffer=0.0, rebalance_band=0.0)), inp)
    value = q * pd.Series({"A": 100.0, "B": 50.0, "C": 10.0})
    assert value["A"] / value["B"] == pytest.approx(4.0, rel=0.01)
    assert value.sum() <= 100_000.0


def test_volatility_target_scales_down_a_hot_book() -> None:
    inp = _sizing_input({"A": 0.5, "B": 0.5}, {"A": 0.6, "B": 0.6})
    q = sized(
        PositionSizer(SizingConfig(mode="volatility_target", volatility_target=0.15, cash_buffer=0.0, rebalance_band=0.0)),
        inp,
    )
    exposure = float((q * pd.Series({"A": 100.0, "B": 50.0, "C": 10.0})).sum()) / 100_000.0
    # Two independent names at 60% vol, half each: ~42% portfolio vol -> scaled to 15%.
    assert exposure == pytest.approx(0.15 / (0.6 / np.sqrt(2)), rel=0.01)


def test_band_and_minimum_trade_size_keep_small_trades_out_but_let_exits_through() -> None:
    cfg = SizingConfig(cash_buffer=0.0, rebalance_band=0.05, min_trade_notional=500.0, min_trade_shares=1)
    inp = _sizing_input({"A": 0.5, "B": 0.02}, {"A": 0.2, "B": 0.2}, {"A": 480.0, "B": 0.0, "C": 3.0})
    q = sized(PositionSizer(cfg), inp)
    assert q["A"] == 480.0  # 20 shares = 2% of equity: inside the 5% band
    assert q["B"] == 0.0  # $2,000 = 2%: inside the band too
    assert q["C"] == 0.0  # a full exit goes through whatever its size


def _reference_weights(signals: pd.Series, cfg: SignalsConfig) -> pd.Series:
    """The labelled (pandas) formulation the array version replaced: the oracle."""
    s = signals.dropna().astype(float)
    s = s[s.abs() >= max(cfg.threshold, 1e-12)]
    if not cfg.allow_short:
        s = s[s > 0]
    longs, shorts = s[s > 0], s[s < 0]
    if cfg.top_n is not None:
        longs = longs.sort_values(ascending=False, kind="stable").iloc[: cfg.top_n]
    if cfg.bottom_n is not None:
        shorts = shorts.sort_values(ascending=True, kind="stable").iloc[: cfg.bottom_n]
    picked = pd.concat([longs, shorts]).sort_index()
    raw = np.sign(picked) if cfg.weighting == "equal" else picked
    gross = float(raw.abs().sum())
    return pd.Series(dtype=float) if gross == 0 else (raw * (cfg.gross_target / gross)).astype(float)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1, 1), st.just(np.nan), st.sampled_from([0.5, -0.5])), min_size=1, max_size=25),
    st.builds(
        SignalsConfig,
        threshold=st.floats(0.0, 0.9),
        top_n=st.none() | st.integers(1, 6),
        bottom_n=st.none() | st.integers(1, 6),
        allow_short=st.booleans(),
        gross_target=st.floats(0.1, 4.0),
        weighting=st.sampled_from(["strength", "equal"]),
    ),
)
def test_weights_match_the_labelled_reference(values: list[float], cfg: SignalsConfig) -> None:
    sig = pd.Series(values, index=[f"S{i:02d}" for i in range(len(values))])
    expected = _reference_weights(sig, cfg)
    got = weights(SignalProcessor(cfg), sig)
    assert got.index.tolist() == expected.index.tolist()  # same picks, ties included
    assert got.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12, abs=1e-15)
