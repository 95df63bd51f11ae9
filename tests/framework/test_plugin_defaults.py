"""A plugin's own trading defaults sit between the shipped YAML and the user's files:
shipped < plugin < user files < command line, each value's origin kept for `trade strategies`."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import pandas as pd
import pytest

from framework.cli import main
from framework.config import load_settings, resolve_settings
from framework.config.loader import plugin_defaults
from framework.errors import ConfigError
from framework.strategy import Strategy

MR = {"strategy": {"name": "mean_reversion"}}


def test_the_plugins_defaults_win_over_the_shipped_ones() -> None:
    resolved = resolve_settings(overrides=MR)
    signals = resolved.settings.signals
    assert (signals.rebalance_every, signals.allow_short) == (1, True)  # shipped: 5 and false
    assert resolved.origin("signals", "rebalance_every") == "plugin mean_reversion"
    assert resolved.origin("signals", "threshold") == "shipped execution.yaml"
    assert resolved.origin("strategy", "params", "lookback") == "shipped strategies/mean_reversion.yaml"


def test_user_files_and_the_command_line_win_over_the_plugin(tmp_path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("signals:\n  rebalance_every: 3\n  allow_short: false\n")
    resolved = resolve_settings([mine], {**MR, "signals": {"rebalance_every": 2}})
    assert resolved.settings.signals.rebalance_every == 2 and not resolved.settings.signals.allow_short
    assert resolved.origin("signals", "rebalance_every") == "command line"
    assert resolved.origin("signals", "allow_short") == str(mine)


def test_other_plugins_keep_the_shipped_defaults() -> None:
    assert load_settings(overrides={"strategy": {"name": "momentum"}}).signals.rebalance_every == 5


class Auctioneer(Strategy):
    name = "auctioneer"
    trading_defaults: ClassVar = {"orders": {"style": "market_on_open"}, "risk": {"stop_limit_offset_bps": 25}}

    def signals(self, history):
        return history.close * 0.0


def test_a_plugin_chooses_its_execution_style_and_the_user_overrides_it() -> None:
    """Issue 29: orders.style is the plugin's to default, the user's to override."""
    found = plugin_defaults(Auctioneer)
    assert found == {"orders": {"style": "market_on_open"}, "risk": {"stop_limit_offset_bps": 25}}
    mine = load_settings(overrides={**found, "orders": {"style": "limit_on_open"}}, validate_strategy=False)
    assert mine.orders.effective_style.value == "limit_on_open"


class Pushy(Strategy):
    name = "pushy"
    trading_defaults: ClassVar = {"risk": {"max_drawdown": 0.9}}

    def signals(self, history):
        return history.close * 0.0


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ({"risk": {"max_drawdown": 0.9}}, "plugin pushy: trading_defaults: risk.max_drawdown: not a key a plugin may "
                                          "set (a plugin may set: stop_loss, trailing_stop, stop_limit_offset_bps, "
                                          "min_price)"),
        ({"signals": {"rebalance_evry": 1}}, "signals.rebalance_evry: unknown key (a plugin may set: threshold"),
        ({"orders": {"rate_limit_per_minute": 1000}}, "orders.rate_limit_per_minute: not a key a plugin may set "
                                                      "(a plugin may set: style)"),
        ({"venue": {"profile": "per_share"}}, "venue: not a section a plugin may set (allowed: signals, sizing, risk, "
                                              "orders, data)"),
    ],
)
def test_a_plugin_may_not_loosen_safety_limits_nor_misspell_a_key(defaults, message) -> None:
    class Plugin(Pushy):
        trading_defaults: ClassVar = defaults

    with pytest.raises(ConfigError) as info:
        plugin_defaults(Plugin)
    assert message in str(info.value)


def test_a_bad_plugin_value_names_the_plugin_as_its_origin(tmp_path, monkeypatch) -> None:
    (tmp_path / "daily_zero.py").write_text(
        "from framework import Strategy\n"
        "class DailyZero(Strategy):\n"
        "    name = 'daily_zero'\n"
        "    trading_defaults = {'signals': {'rebalance_every': 0}}  # noqa: RUF012\n"
        "    def signals(self, history):\n"
        "        return history.close * 0.0\n"
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="^plugin daily_zero: signals.rebalance_every: Input should be greater"):
        load_settings(overrides={"strategy": {"name": "daily_zero:DailyZero"}})


def test_a_configured_warm_up_may_lengthen_the_plugins_never_shorten_it(tmp_path) -> None:
    longer = load_settings(overrides={**MR, "strategy": {"name": "mean_reversion", "warmup_bars": 60}})
    assert longer.strategy.warmup_bars == 60
    short = tmp_path / "short.yaml"
    short.write_text("strategy:\n  name: mean_reversion\n  warmup_bars: 5\n")
    with pytest.raises(ConfigError, match=f"^{short}: strategy.warmup_bars: 5 is shorter than mean_reversion's own "
                                          "warm-up \\(20 bars\\)"):
        load_settings([short])


def test_trade_strategies_name_shows_where_each_value_comes_from(tmp_path, capsys) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("signals:\n  allow_short: false\nstrategy:\n  params:\n    hold_sessions: 3\n")
    main(["strategies", "mean_reversion", "--config", str(mine)])
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[4:] if line.strip()}
    assert rows["signals.rebalance_every"] == ["1", "plugin", "mean_reversion"]
    assert rows["signals.allow_short"] == ["false", str(mine)]
    assert rows["signals.threshold"] == ["0.1", "shipped", "execution.yaml"]
    assert rows["hold_sessions"][:2] == ["3", str(mine)]
    assert rows["entry_z"][:3] == ["2.0", "shipped", "strategies/mean_reversion.yaml"]


def test_a_backtest_trades_on_the_plugins_schedule(tmp_path) -> None:
    main(["backtest", "--strategy", "mean_reversion", "--symbols", "AAPL,MSFT,XOM,JPM,PFE,KO,GE,NEE", "--start",
          "2016-01-04", "--end", "2016-06-30", "--no-report", "--out", str(tmp_path / "run")])
    orders = pd.read_csv(tmp_path / "run" / "orders.csv")
    weekdays = {date.fromisoformat(cid.split("-")[1]).weekday() for cid in orders["client_order_id"]}
    assert len(weekdays) == 5  # daily, not every 5th session (shipped rebalance_every)
    assert (orders["side"] == "sell").any() and set(orders["tag"]) >= {"exit", "rebalance"}
