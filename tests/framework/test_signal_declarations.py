"""What a plugin's values mean, declared: scores (the default, unchanged), weights, ranks; NaN as
hold (default) or exit; signals the configuration drops are counted for a once-only warning; a
value out of range is named with its date, symbol and value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from market_once import embedded

from framework.config import SignalsConfig
from framework.errors import StrategyError
from framework.signals import DiscardTally, SignalKind, SignalProcessor
from framework.strategy import Strategy, compute_signals
from framework.universe import Universe

U = Universe.of(["A", "B", "C", "D"])


def weights(kind: SignalKind, values: dict[str, float], **cfg: object) -> dict[str, float]:
    w = SignalProcessor(SignalsConfig(**cfg), kind).target_weights(U.vector(values))
    return {s: float(x) for s, x in zip(U.symbols, w, strict=True) if np.isfinite(x) and x != 0}


def test_weights_are_fractions_of_equity_not_relative_strengths() -> None:
    # Issue 18: AAPL alone at 0.15 got the same full book as at 1.0; as a weight it is 15%.
    assert weights(SignalKind.WEIGHTS, {"A": 0.15}) == pytest.approx({"A": 0.15})
    assert weights(SignalKind.SCORES, {"A": 0.15}) == pytest.approx({"A": 1.0})
    assert weights(SignalKind.WEIGHTS, {"A": 0.05, "B": 0.02}) == pytest.approx({"A": 0.05, "B": 0.02})  # no threshold
    scaled = weights(SignalKind.WEIGHTS, {"A": 0.9, "B": 0.6}, gross_target=1.0)
    assert scaled == pytest.approx({"A": 0.6, "B": 0.4})  # past the gross target: scaled down to it


def test_ranks_weigh_the_picks_equally() -> None:
    assert weights(SignalKind.RANKS, {"A": 1.0, "B": 0.2, "C": 0.05, "D": -1.0}) == pytest.approx({"A": 0.5, "B": 0.5})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=4, max_size=4), st.floats(0.1, 3.0), st.booleans())
def test_weights_kind_never_exceeds_the_gross_target_nor_grows_a_value(values, gross, shorts) -> None:
    signal = dict(zip(U.symbols, values, strict=True))
    w = weights(SignalKind.WEIGHTS, signal, gross_target=gross, allow_short=shorts)
    assert sum(abs(x) for x in w.values()) <= gross + 1e-9
    assert all(abs(x) <= abs(signal[s]) * (1 + 1e-12) and np.sign(x) == np.sign(signal[s]) for s, x in w.items())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-1, 1) | st.just(float("nan")), min_size=4, max_size=4), st.booleans(),
       st.sampled_from(list(SignalKind)))
def test_a_discarded_signal_gets_no_weight_and_a_kept_one_is_never_counted(values, shorts, kind) -> None:
    processor = SignalProcessor(SignalsConfig(threshold=0.1, allow_short=shorts), kind)
    vector = U.vector(dict(zip(U.symbols, values, strict=True)))
    w, found = processor.target_weights(vector), processor.discarded(vector)
    dropped = found.shorts | found.below_threshold
    assert (np.nan_to_num(w)[dropped] == 0).all()
    assert not (found.shorts & found.below_threshold).any()
    assert shorts is False or not found.shorts.any()


class Declared(Strategy):
    name = "declared"
    nan_means = "exit"

    def signals(self, history):
        out = history.close * 0 + 0.5
        out.iloc[-1, 0] = np.nan
        return out


def test_nan_means_exit_turns_nan_into_a_flat_signal() -> None:
    market = embedded().select(["AAPL", "MSFT"]).between("2019-01-02", "2019-01-31")
    signals = compute_signals(Declared(), market)
    assert signals.iloc[-1, 0] == 0.0 and signals.iloc[-1, 1] == 0.5


class OutOfRange(Strategy):
    name = "out_of_range"

    def signals(self, history):
        out = history.close * 0
        out.loc["2019-01-15", "MSFT"] = 1.7
        out.loc["2019-01-16", "AAPL"] = 2.0
        return out


def test_an_out_of_range_value_is_named_with_date_symbol_and_value() -> None:
    market = embedded().select(["AAPL", "MSFT"]).between("2019-01-02", "2019-01-31")
    with pytest.raises(StrategyError) as info:
        compute_signals(OutOfRange(), market)
    assert str(info.value) == ("strategy 'out_of_range' returned a signal outside [-1, 1]: 1.7 for MSFT on "
                               "2019-01-15 (2 such value(s) in all)")


def test_a_bad_declaration_is_the_plugins_error() -> None:
    class Typo(Declared):
        signal_kind = "weight"

    with pytest.raises(StrategyError, match="signal_kind 'weight' is not one of scores, weights, ranks"):
        Typo.declarations()


def test_the_tally_counts_each_kind_once_per_decision_and_words_the_setting() -> None:
    processor = SignalProcessor(SignalsConfig(threshold=0.1))
    tally = DiscardTally()
    for day in ("2020-01-02", "2020-01-03"):
        found = processor.discarded(U.vector({"A": -0.5, "B": 0.05, "C": 0.0, "D": np.nan}))
        tally.add(pd.Timestamp(day, tz="UTC").to_pydatetime(), U.symbols, found)
    assert tally.to_json() == {
        "shorts_without_allow_short": {"signals": 2, "symbols": 1, "first": "2020-01-02"},
        "below_threshold": {"signals": 2, "symbols": 1, "first": "2020-01-02"},
        "shorts_the_account_cannot_hold": {"signals": 0, "symbols": 0, "first": None},
    }
    lines = tally.warnings(SignalsConfig(threshold=0.1))
    assert "signals.allow_short is false" in lines["shorts"] and "signals.threshold (0.1)" in lines["below_threshold"]
