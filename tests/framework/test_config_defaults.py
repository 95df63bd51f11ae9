"""The shipped YAML and the models' defaults are one truth: docs and code cannot drift."""

from __future__ import annotations

import pytest

from framework.config import Settings, default_config_dir, read_yaml
from framework.config.loader import SHIPPED_FILES
from strategies.mean_reversion import MeanReversionParams
from strategies.momentum import MomentumParams
from strategies.xgboost_signal.strategy import XGBoostParams


@pytest.mark.parametrize("name", SHIPPED_FILES)
def test_shipped_yaml_equals_model_defaults(name) -> None:
    shipped = read_yaml(default_config_dir() / name)
    defaults = Settings().model_dump(mode="json", context={"every_key": True})
    for section, values in shipped.items():
        expected = {k: v for k, v in defaults[section].items() if section != "strategy" or k != "params"}
        got = {k: v for k, v in values.items() if section != "strategy" or k != "params"}
        assert got == expected, section


@pytest.mark.parametrize(("name", "model"), [("mean_reversion", MeanReversionParams), ("momentum", MomentumParams),
                                             ("xgboost_signal", XGBoostParams)])
def test_strategy_yaml_equals_params_defaults(name, model) -> None:
    shipped = read_yaml(default_config_dir() / "strategies" / f"{name}.yaml")
    assert shipped == model().model_dump(mode="json")


def test_every_shipped_key_is_commented() -> None:
    for path in sorted(default_config_dir().rglob("*.yaml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped and not stripped.startswith("#") and not stripped.endswith(":"):
                assert "#" in line, f"{path}:{number} has no comment: {line!r}"


def test_keys_added_by_issue_29_are_echoed_only_when_set() -> None:
    """A run's config echo (journal, summary.json) stays byte-identical for a run that does not
    use the execution-style keys; one that sets them records them."""
    quiet = Settings().model_dump(mode="json")
    assert "style" not in quiet["orders"] and "stop_limit_offset_bps" not in quiet["risk"]
    assert set(Settings().model_dump(mode="json", context={"every_key": True})["orders"]) > set(quiet["orders"])
    chosen = Settings(orders={"style": "market_on_open"}).model_dump(mode="json")
    assert chosen["orders"]["style"] == "market_on_open" and "collar_bps" not in chosen["orders"]
