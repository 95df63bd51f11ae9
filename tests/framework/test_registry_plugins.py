"""Plugins are found in the `strategies` package and through the `trade.strategies` entry points."""

from __future__ import annotations

import importlib

import pytest

from framework.errors import InputError, StrategyError
from framework.registry import available_strategies, get_strategy

PLUGIN = """
import pandas as pd
from framework.strategy import Strategy

class ThirdParty(Strategy):
    name = "third_party"
    summary = "shipped by another distribution"

    def signals(self, history):
        return history.close * 0.0
"""


def _dist(root, module: str, body: str, target: str) -> None:
    (root / f"{module}.py").write_text(body)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[trade.strategies]\n{target}\n")


def test_builtin_plugins_are_found() -> None:
    found = available_strategies()
    assert {"momentum", "xgboost_signal"} <= set(found)
    assert get_strategy("momentum").__module__ == "strategies.momentum"


def test_entry_point_plugin_is_found(tmp_path, monkeypatch) -> None:
    _dist(tmp_path, "trade_thirdparty", PLUGIN, "third_party = trade_thirdparty:ThirdParty")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert available_strategies()["third_party"].summary == "shipped by another distribution"
    assert get_strategy("third_party").name == "third_party"


def test_broken_entry_point_is_named(tmp_path, monkeypatch) -> None:
    _dist(tmp_path, "trade_broken", "raise RuntimeError('boom')\n", "broken = trade_broken:Nope")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    with pytest.raises(StrategyError, match="'broken'.*failed to load: boom"):
        available_strategies()


def test_module_class_spec_and_unknown_names() -> None:
    assert get_strategy("strategies.momentum:Momentum").name == "momentum"
    with pytest.raises(InputError, match="unknown strategy 'nope' \\(available: .*momentum"):
        get_strategy("nope")
    with pytest.raises(InputError, match="is not a Strategy subclass"):
        get_strategy("framework.data:MarketData")
