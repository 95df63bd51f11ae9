"""The universe every core vector is aligned to: order, alignment, re-alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.universe import Universe

symbols = st.lists(st.sampled_from(["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG"]), unique=True)


def test_universe_is_sorted_and_unique() -> None:
    assert Universe.of(["CCC", "AAA", "CCC", "BBB"]).symbols == ("AAA", "BBB", "CCC")
    with pytest.raises(ValueError, match="sorted and unique"):
        Universe(("BBB", "AAA"))


def test_vector_fills_missing_and_ignores_outsiders() -> None:
    u = Universe.of(["AAA", "BBB", "CCC"])
    v = u.vector({"CCC": 3.0, "AAA": 1.0, "ZZZ": 9.0}, fill=0.0)
    assert v.tolist() == [1.0, 0.0, 3.0]
    assert np.isnan(u.vector(pd.Series({"AAA": 1.0}))[1:]).all()


@given(symbols, st.data())
def test_series_of_vector_round_trips(names: list[str], data: st.DataObject) -> None:
    u = Universe.of(names)
    values = {s: data.draw(st.floats(-1e6, 1e6)) for s in names}
    assert u.series(u.vector(values)).to_dict() == values


@given(symbols, symbols, st.data())
def test_take_realigns_by_symbol(a: list[str], b: list[str], data: st.DataObject) -> None:
    source, target = Universe.of(a), Universe.of(a + b)
    values = np.array([data.draw(st.floats(-100, 100)) for _ in source.symbols])
    moved = target.take(values, source, fill=0.0)
    for i, symbol in enumerate(source.symbols):
        assert moved[target.position(symbol)] == values[i]
    assert sum(moved != 0) <= sum(values != 0)


def test_extended_is_the_same_universe_when_nothing_is_new() -> None:
    u = Universe.of(["AAA", "BBB"])
    assert u.extended(["BBB"]) is u
    assert u.extended(["ZZZ", "AAA"]).symbols == ("AAA", "BBB", "ZZZ")
