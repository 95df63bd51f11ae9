"""Planning a sweep validates every point as a whole configuration and fixes one common period."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from framework.data.loading import embedded_paths
from framework.errors import ConfigError, InputError
from framework.registry import get_strategy
from framework.research.sweep_plan import SweepRequest, backtest_key, plan_sweep
from framework.trading_window import trading_window

SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM"]
LAST = "2016-12-30"


@pytest.fixture(scope="module")
def small_prices(tmp_path_factory) -> Path:
    """The embedded rows of SYMBOLS up to LAST as a prices file: each plan loads these instead of
    all five years of 44 symbols (the data's size is not the point here)."""
    prices, _ = embedded_paths()
    rows = pd.read_csv(prices, dtype={"date": str})
    path = tmp_path_factory.mktemp("small-prices") / "prices.csv"
    rows[rows["symbol"].isin(SYMBOLS) & (rows["date"] <= LAST)].to_csv(path, index=False)
    return path


def _request(tmp_path: Path, prices: Path, grid: str, **extra) -> SweepRequest:
    path = tmp_path / "g.yaml"
    path.write_text(grid)
    small = {"data": {"prices": str(prices), "symbols": SYMBOLS}, "backtest": {"start": "2016-01-04", "end": LAST}}
    return SweepRequest(grid_path=path, out=tmp_path / "out", overrides=small, **extra)


MOMENTUM = "strategy: momentum\ngrid:\n  strategy.params.lookback: [42, 63]\n  risk.max_position_weight: [0.1, 0.2]\n"


def test_every_point_trades_one_common_period_after_the_longest_warm_up(tmp_path, small_prices) -> None:
    plan = plan_sweep(_request(tmp_path, small_prices, MOMENTUM))
    assert [p.id for p in plan.points] == ["p01", "p02", "p03", "p04"]
    starts = {p.settings.backtest.start for p in plan.points}
    ends = {p.settings.backtest.end for p in plan.points}
    assert len(starts) == 1 and len(ends) == 1
    longest = max(plan.points, key=lambda p: p.settings.strategy.params["lookback"])
    plugin = get_strategy("momentum")(longest.settings.strategy.params)
    warm_start, _ = trading_window(plan.market, plugin, longest.settings)
    assert plan.start == warm_start and str(plan.start.date()) == str(starts.pop())
    assert plan.end == pd.Timestamp(LAST)
    assert {p.settings.risk.max_position_weight for p in plan.points} == {0.1, 0.2}
    assert len({p.key for p in plan.points}) == 4
    assert not (tmp_path / "out").exists()  # planning writes nothing


def test_a_value_the_settings_refuse_refuses_the_sweep_naming_file_and_point(tmp_path, small_prices) -> None:
    grid = "strategy: momentum\ngrid:\n  strategy.params.lookback: [63, 1]\n"
    with pytest.raises(ConfigError) as info:
        plan_sweep(_request(tmp_path, small_prices, grid))
    assert str(info.value) == (
        f"{tmp_path / 'g.yaml'}: point lookback=1: strategy.params.lookback: "
        "Input should be greater than or equal to 2 (got 1)"
    )


def test_an_unknown_setting_and_a_cross_field_rule_refuse_the_sweep(tmp_path, small_prices) -> None:
    with pytest.raises(ConfigError, match=r"point max_position_wieght=0.1: risk.max_position_wieght: unknown key"):
        plan_sweep(_request(tmp_path, small_prices, "strategy: momentum\ngrid:\n  risk.max_position_wieght: [0.1]\n"))
    grid = "strategy: momentum\ngrid:\n  strategy.params.lookback: [21]\n  strategy.params.skip: [0, 21]\n"
    with pytest.raises(ConfigError) as info:
        plan_sweep(_request(tmp_path, small_prices, grid))
    assert str(info.value) == (
        f"{tmp_path / 'g.yaml'}: point lookback=21 skip=21: strategy.params: Value error, skip must be smaller than lookback"
    )


def test_model_training_is_held_to_one_thread_per_worker(tmp_path, small_prices) -> None:
    grid = "strategy: xgboost_signal\ngrid:\n  strategy.params.max_depth: [2, 3]\n"
    plan = plan_sweep(_request(tmp_path, small_prices, grid))
    assert {p.settings.strategy.params["nthread"] for p in plan.points} == {1}


def test_walk_forward_folds_cover_the_common_period(tmp_path, small_prices) -> None:
    plan = plan_sweep(_request(tmp_path, small_prices, MOMENTUM, walk_forward=3))
    assert len(plan.folds) == 3
    assert plan.folds[0].is_start == plan.start and plan.folds[-1].oos_end == plan.end
    with pytest.raises(InputError, match="use fewer folds"):
        plan_sweep(_request(tmp_path, small_prices, MOMENTUM, walk_forward=200))


def test_the_resume_key_follows_the_settings_and_the_data(tmp_path, small_prices) -> None:
    plan = plan_sweep(_request(tmp_path, small_prices, MOMENTUM))
    first = plan.points[0]
    assert backtest_key(first.settings, plan.market.fingerprint, plan.source) == first.key
    assert backtest_key(first.settings, "another-dataset", plan.source) != first.key
    assert plan_sweep(_request(tmp_path, small_prices, MOMENTUM)).points[0].key == first.key  # stable across runs


EDITABLE = """from framework.strategy import Strategy, StrategyParams


class Edited(Strategy):
    name = "edited"

    class Params(StrategyParams):
        lookback: int = 20

    @property
    def warmup_bars(self) -> int:
        return self.params.lookback + 1

    def signals(self, history):
        return history.close.pct_change(self.params.lookback, fill_method=None).rank(axis=1, pct=True) * 2 - 1
"""


def test_the_resume_key_follows_the_plugins_code(tmp_path, small_prices, monkeypatch) -> None:
    # Issue 28, defect 2: a plugin edited between two runs of the same sweep must not reuse the
    # old results; the key holds the plugin's source hash (the one the check cache keeps).
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "edited_plugin.py").write_text(EDITABLE)
    monkeypatch.syspath_prepend(str(plugins))
    grid = "strategy: edited_plugin:Edited\ngrid:\n  strategy.params.lookback: [10, 20]\n"
    before = plan_sweep(_request(tmp_path, small_prices, grid))
    (plugins / "edited_plugin.py").write_text(EDITABLE.replace("* 2 - 1", "* -2 + 1"))
    after = plan_sweep(_request(tmp_path, small_prices, grid))
    assert before.points[0].settings == after.points[0].settings
    assert {p.key for p in before.points}.isdisjoint({p.key for p in after.points})
    assert after.manifest()["source_hash"] != before.manifest()["source_hash"]


def test_a_folder_that_is_not_a_sweep_is_refused_as_out(tmp_path, small_prices) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "journal.sqlite").write_text("a backtest's")
    with pytest.raises(InputError, match=r"out: the folder holds something other than a sweep \(no sweep.json\)"):
        plan_sweep(_request(tmp_path, small_prices, MOMENTUM))
    (tmp_path / "out" / "sweep.json").write_text("{}")  # a sweep's own folder resumes
    assert len(plan_sweep(_request(tmp_path, small_prices, MOMENTUM)).points) == 4


def test_a_sweep_can_compare_execution_styles(tmp_path, small_prices) -> None:
    """Issue 29: orders.style is a grid key like any other; each style is its own backtest
    (its own key), and an unknown style refuses the sweep naming the point."""
    grid = "strategy: momentum\ngrid:\n  orders.style: [market, market_on_open, limit_on_close]\n"
    plan = plan_sweep(_request(tmp_path, small_prices, grid))
    assert [p.settings.orders.effective_style.value for p in plan.points] == [
        "market", "market_on_open", "limit_on_close"]
    assert len({p.key for p in plan.points}) == 3
    with pytest.raises(ConfigError, match=r"point style=twapp: orders.style"):
        plan_sweep(_request(tmp_path, small_prices, "strategy: momentum\ngrid:\n  orders.style: [twapp]\n"))
