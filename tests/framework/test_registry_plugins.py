"""Plugins are found in the `strategies` package, through the `trade.strategies` entry points and
as `module:Class` from the current directory; every registry surprise of issue 18 has a test."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from framework.cli import main
from framework.config import load_settings
from framework.errors import ConfigError, InputError, StrategyError
from framework.registry import available_strategies, discover, get_strategy

PLUGIN = """
import pandas as pd
from framework.strategy import Strategy

class ThirdParty(Strategy):
    name = "{name}"
    summary = "shipped by another distribution"

    def signals(self, history):
        return history.close * 0.0
"""


def _dist(root: Path, module: str, body: str, *targets: str) -> None:
    (root / f"{module}.py").write_text(body)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[trade.strategies]\n" + "\n".join(targets) + "\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path where test distributions are installed (entry points and all)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("trade_")]:
        del sys.modules[name]


def test_builtin_plugins_are_found() -> None:
    found = available_strategies()
    assert {"mean_reversion", "momentum", "xgboost_signal"} <= set(found)
    assert get_strategy("momentum").__module__ == "strategies.momentum"


def test_entry_point_plugin_is_found(site) -> None:
    _dist(site, "trade_thirdparty", PLUGIN.format(name="third_party"), "third_party = trade_thirdparty:ThirdParty")
    assert available_strategies()["third_party"].summary == "shipped by another distribution"
    assert get_strategy("third_party").name == "third_party"


def test_the_entry_point_name_is_the_strategy_name_and_the_class_name_an_alias(site, capsys) -> None:
    # Surprise: an alias entry point was "unknown strategy" (the class's own name was used).
    _dist(site, "trade_alias", PLUGIN.format(name="reversal_v2"), "rev = trade_alias:ThirdParty")
    plugin = get_strategy("rev")
    assert plugin.name == "rev" and plugin.summary == "shipped by another distribution"
    assert load_settings(overrides={"strategy": {"name": "rev"}}).strategy.name == "rev"
    assert get_strategy("reversal_v2") is plugin  # the class's name still finds it, as an alias
    main(["strategies"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("  rev "))
    assert "class name reversal_v2: an alias" in line


def test_a_plugin_named_like_a_builtin_is_refused_naming_both_origins(site) -> None:
    # Surprise: it silently shadowed the built-in.
    _dist(site, "trade_shadow", PLUGIN.format(name="momentum"), "momentum = trade_shadow:ThirdParty")
    with pytest.raises(InputError) as info:
        get_strategy("momentum")
    message = str(info.value)
    assert "claimed twice" in message
    assert "built-in strategies.momentum:Momentum" in message
    assert "entry point momentum = trade_shadow:ThirdParty from trade_shadow 1.0" in message
    assert "momentum" not in available_strategies()
    assert get_strategy("xgboost_signal").name == "xgboost_signal"  # the others are untouched
    with pytest.raises(ConfigError, match="strategy.name: strategy name 'momentum' is claimed twice"):
        load_settings(overrides={"strategy": {"name": "momentum"}})


def test_one_broken_plugin_is_named_and_breaks_no_other(site, tmp_path, capsys) -> None:
    # Surprise: one broken installed plugin made `trade backtest --strategy momentum` fail.
    _dist(site, "trade_broken", "raise RuntimeError('boom')\n", "broken = trade_broken:Nope")
    assert {"momentum", "xgboost_signal"} <= set(available_strategies())
    with pytest.raises(StrategyError, match=r"'broken' \(entry point broken = trade_broken:Nope.*failed to load: "
                                            r"RuntimeError: boom"):
        get_strategy("broken")
    main(["backtest", "--strategy", "momentum", "--symbols", "AAPL,MSFT,XOM", "--end", "2015-08-31",
          "--no-report", "--out", str(tmp_path / "run")])
    assert (tmp_path / "run" / "summary.json").is_file()
    main(["strategies"])
    out = capsys.readouterr().out
    assert "! broken  failed to load (entry point broken = trade_broken:Nope" in out and "  momentum  " in out


def test_a_plugin_with_a_bad_declaration_is_reported_not_raised(site) -> None:
    body = PLUGIN.format(name="odd") + "    signal_kind = 'weight'\n"
    _dist(site, "trade_odd", body, "odd = trade_odd:ThirdParty")
    registry = discover()
    assert "odd" in registry.broken and "signal_kind 'weight' is not one of scores, weights, ranks" in \
        registry.broken["odd"].error


def test_module_class_spec_and_unknown_names() -> None:
    assert get_strategy("strategies.momentum:Momentum").name == "momentum"
    with pytest.raises(InputError, match="unknown strategy 'nope' \\(available: .*momentum"):
        get_strategy("nope")
    with pytest.raises(InputError, match="is not a Strategy subclass"):
        get_strategy("framework.data:MarketData")
    with pytest.raises(InputError, match="has no 'Nope'"):
        get_strategy("strategies.momentum:Nope")


LOCAL = '''
import pandas as pd
from framework import MarketData, Strategy


class Reversal(Strategy):
    name = "reversal_here"
    summary = "a plugin in the current directory"

    def signals(self, history: MarketData) -> pd.DataFrame:
        return -history.close.pct_change(5, fill_method=None).rank(axis=1, pct=True)
'''


def test_module_class_from_the_current_directory_without_touching_sys_path(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "reversal_here.py").write_text(LOCAL)
    monkeypatch.chdir(tmp_path)
    path_before = list(sys.path)
    try:
        plugin = get_strategy("reversal_here:Reversal")
        assert plugin.summary == "a plugin in the current directory" and sys.path == path_before
        (tmp_path / "cfg.yaml").write_text("strategy:\n  name: reversal_here:Reversal\n")
        main(["strategies", "--config", "cfg.yaml"])  # listed when it is the configured one
        assert "* reversal_here:Reversal  a plugin in the current directory" in capsys.readouterr().out
        main(["strategies", "reversal_here:Reversal"])
        assert str(tmp_path / "reversal_here.py") in capsys.readouterr().out
    finally:
        sys.modules.pop("reversal_here", None)


def test_module_class_from_the_current_directory_through_the_installed_command(tmp_path) -> None:
    # Surprise: `module:Class` needed PYTHONPATH=. (the console script's sys.path[0] is its bin folder).
    (tmp_path / "reversal_here.py").write_text(LOCAL)
    trade = Path(sys.executable).with_name("trade")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(trade), "strategies", "reversal_here:Reversal"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("reversal_here  a plugin in the current directory")


def test_a_missing_module_is_your_input_a_missing_dependency_the_plugins(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="no module 'not_here' in .* nor among the installed packages"):
        get_strategy("not_here:Plugin")
    (tmp_path / "needs_more.py").write_text("import a_package_nobody_installed\n")
    try:
        with pytest.raises(StrategyError, match="'needs_more:Plugin' failed to load: ModuleNotFoundError"):
            get_strategy("needs_more:Plugin")
    finally:
        sys.modules.pop("needs_more", None)


VERSIONED = PLUGIN + "    interface_version = {version}\n"


def test_a_plugin_for_an_unsupported_interface_is_refused_saying_which(site) -> None:
    _dist(site, "trade_future", VERSIONED.format(name="future", version=2), "future = trade_future:ThirdParty")
    with pytest.raises(StrategyError, match=r"'future' .*failed to load: strategy 'future' is written for plugin "
                                            r"interface 2; this trade supports interface 1: upgrade trade"):
        get_strategy("future")
    assert "future" not in available_strategies()
    assert get_strategy("momentum").interface_version == 1  # the built-ins declare the current one


def test_an_interface_version_that_is_not_a_number_is_refused(tmp_path, monkeypatch) -> None:
    (tmp_path / "odd_version.py").write_text(VERSIONED.format(name="odd", version='"1"'))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StrategyError, match=r"interface_version '1' is not an integer"):
        get_strategy("odd_version:ThirdParty")
