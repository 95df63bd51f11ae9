"""Grid files: ranges expand into points, random samples are seeded, mistakes are one line."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.errors import ConfigError
from framework.research.grid import GridPoint, load_grid, parse_grid
from framework.research.metrics import Metric

ISSUE_EXAMPLE = {
    "strategy": "momentum",
    "metric": "sharpe",
    "grid": {
        "strategy.params.lookback": [63, 126, 252],
        "strategy.params.skip": [0, 21],
        "risk.max_position_weight": {"start": 0.05, "stop": 0.2, "num": 4},
    },
}


def test_the_issue_example_expands_into_every_combination_in_key_order() -> None:
    grid = parse_grid(ISSUE_EXAMPLE, "grid.yaml")
    assert grid.strategy == "momentum" and grid.metric is Metric.SHARPE
    assert grid.keys == ["strategy.params.lookback", "strategy.params.skip", "risk.max_position_weight"]
    assert len(grid.points) == 3 * 2 * 4
    weights = [p.as_dict()["risk.max_position_weight"] for p in grid.points[:4]]
    assert weights == [0.05, 0.1, 0.15, 0.2]  # evenly spaced, ends included, no float dust
    assert grid.points[0].as_dict() == {
        "strategy.params.lookback": 63,
        "strategy.params.skip": 0,
        "risk.max_position_weight": 0.05,
    }
    assert len(set(grid.points)) == len(grid.points)


def test_a_point_becomes_nested_overrides_and_a_short_label() -> None:
    point = GridPoint((("strategy.params.lookback", 63), ("risk.max_position_weight", 0.1)))
    assert point.overrides() == {"strategy": {"params": {"lookback": 63}}, "risk": {"max_position_weight": 0.1}}
    assert point.label() == "lookback=63 max_position_weight=0.1"


def test_integer_ranges_stay_integers_and_a_scalar_is_one_value() -> None:
    grid = parse_grid(
        {"strategy": "momentum", "grid": {"strategy.params.lookback": {"start": 60, "stop": 120, "num": 3},
                                          "strategy.params.skip": 21}}
    )
    values = [p.as_dict()["strategy.params.lookback"] for p in grid.points]
    assert values == [60, 90, 120] and all(type(v) is int for v in values)
    assert {p.as_dict()["strategy.params.skip"] for p in grid.points} == {21}


def test_a_random_sample_is_seeded_distinct_and_drawn_from_the_grid() -> None:
    spec = {**ISSUE_EXAMPLE, "samples": 7, "seed": 3}
    first, again = parse_grid(spec), parse_grid(spec)
    full = set(parse_grid(ISSUE_EXAMPLE).points)
    assert first.points == again.points
    assert len(first.points) == 7 and len(set(first.points)) == 7
    assert set(first.points) <= full
    assert parse_grid({**spec, "seed": 4}).points != first.points


def test_a_continuous_range_is_drawn_uniformly_under_samples() -> None:
    grid = parse_grid(
        {
            "strategy": "momentum",
            "samples": 50,
            "seed": 1,
            "grid": {"risk.max_position_weight": {"start": 0.05, "stop": 0.2}, "strategy.params.lookback": {
                "start": 30, "stop": 60}},
        }
    )
    weights = [p.as_dict()["risk.max_position_weight"] for p in grid.points]
    lookbacks = [p.as_dict()["strategy.params.lookback"] for p in grid.points]
    assert all(0.05 <= w <= 0.2 for w in weights) and len(set(weights)) > 40
    assert all(type(v) is int and 30 <= v <= 60 for v in lookbacks)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    samples=st.integers(1, 80),
    seed=st.integers(0, 2**16),
)
def test_sampling_never_repeats_a_point_nor_exceeds_the_grid(sizes, samples, seed) -> None:
    grid_spec = {f"signals.key{i}": list(range(n)) for i, n in enumerate(sizes)}
    full = parse_grid({"strategy": "momentum", "grid": grid_spec})
    assert len(full.points) == math.prod(sizes)
    sampled = parse_grid({"strategy": "momentum", "grid": grid_spec, "samples": samples, "seed": seed})
    assert len(sampled.points) == min(samples, math.prod(sizes))
    assert len(set(sampled.points)) == len(sampled.points) and set(sampled.points) <= set(full.points)


BAD = {
    "unknown_top_key": ({**ISSUE_EXAMPLE, "sample": 3}, "g.yaml: sample: unknown key"),
    "bad_metric": ({**ISSUE_EXAMPLE, "metric": "luck"}, "g.yaml: metric: Input should be 'sharpe'"),
    "no_grid": ({"strategy": "momentum"}, "g.yaml: grid: Field required"),
    "not_a_path": ({"strategy": "momentum", "grid": {"lookback": [1]}}, "g.yaml: grid.lookback: expected a dotted"),
    "data_section": ({"strategy": "momentum", "grid": {"data.symbols": ["A"]}}, "g.yaml: grid.data.symbols: not a setting"),
    "period": ({"strategy": "momentum", "grid": {"backtest.start": ["2016-01-04"]}}, "g.yaml: grid.backtest.start: set by the sweep"),
    "overlap": (
        {"strategy": "momentum", "grid": {"backtest.slippage": [{}], "backtest.slippage.value": [0.1]}},
        "g.yaml: grid.backtest.slippage.value: overlaps grid.backtest.slippage",
    ),
    "empty_list": ({"strategy": "momentum", "grid": {"risk.min_price": []}}, "g.yaml: grid.risk.min_price: empty list"),
    "range_typo": (
        {"strategy": "momentum", "grid": {"risk.min_price": {"start": 1, "stop": 2, "nmu": 3}}},
        "g.yaml: grid.risk.min_price.nmu: unknown key (expected start, stop, num)",
    ),
    "random_range_without_samples": (
        {"strategy": "momentum", "grid": {"risk.min_price": {"start": 1, "stop": 2}}},
        "g.yaml: grid.risk.min_price: {start, stop} without num is a random range",
    ),
    "nested_value": ({"strategy": "momentum", "grid": {"risk.min_price": [[1, 2]]}}, "expected scalar values"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_grid_is_one_line_naming_the_file_and_the_key(case) -> None:
    spec, expected = BAD[case]
    with pytest.raises(ConfigError) as info:
        parse_grid(spec, "g.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert expected in message, message


def test_load_grid_reads_yaml_and_names_a_missing_file(tmp_path) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text("strategy: momentum\ngrid:\n  strategy.params.lookback: [63, 126]\n")
    assert len(load_grid(path).points) == 2
    with pytest.raises(ConfigError, match="nope.yaml: file not found"):
        load_grid(tmp_path / "nope.yaml")
