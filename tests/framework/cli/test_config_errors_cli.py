"""Malformed configs through the real CLI: one line naming file and key, exit code 2."""

from __future__ import annotations

import pytest

from framework.cli import main
from framework.config import load_settings

CASES = {
    "unknown_key": ("risk:\n  max_position_wieght: 0.1\n", "risk.max_position_wieght: unknown key"),
    "unknown_section": ("riks:\n  max_position_weight: 0.1\n", "riks: unknown key"),
    "wrong_type": (
        "risk:\n  max_orders_per_cycle: lots\n",
        "risk.max_orders_per_cycle: Input should be a valid integer",
    ),
    "negative_limit": ("risk:\n  max_order_notional: -5\n", "risk.max_order_notional: Input should be greater than 0"),
    "out_of_range": ("risk:\n  daily_loss_limit: 1.5\n", "risk.daily_loss_limit: Input should be less than 1"),
    "bad_enum": ("orders:\n  time_in_force: forever\n", "orders.time_in_force: expected 'day'"),
    "bad_literal": (
        "sizing:\n  mode: yolo\n",
        "sizing.mode: expected 'weight', 'inverse_volatility' or 'volatility_target'",
    ),
    "nested_range": (
        "venue:\n  slippage:\n    value: -1\n",
        "venue.slippage.value: Input should be greater than or equal to 0",
    ),
    "unknown_venue_profile": (
        "venue:\n  profile: robinhood\n",
        "venue.profile: expected 'alpaca_paper', 'alpaca_live' or 'per_share'",
    ),
    "moved_backtest_costs": ("backtest:\n  commission:\n    minimum: 1\n", "backtest.commission: unknown key"),
    "bad_yaml": ("risk: [unclosed\n", "invalid YAML (line"),
    "not_a_mapping": ("- just\n- a list\n", "expected a mapping of sections at the top, got list"),
    "unknown_strategy": ("strategy:\n  name: nope\n", "strategy.name: unknown strategy 'nope'"),
    "bad_strategy_param": (
        "strategy:\n  name: momentum\n  params:\n    lookback: 1\n",
        "strategy.params.lookback: Input should be greater than or equal to 2",
    ),
    "unknown_strategy_param": (
        "strategy:\n  name: momentum\n  params:\n    lookbak: 10\n",
        "strategy.params.lookbak: unknown key",
    ),
    "bad_date": ("backtest:\n  start: someday\n", "backtest.start: Input should be a valid date"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_config_is_one_line_exit_2(tmp_path, capsys, case) -> None:
    text, message = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(SystemExit) as exit_info:
        main(["strategies", "--config", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: "), err
    assert message in err[0], err[0]


def test_missing_config_file_is_named(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["strategies", "--config", str(tmp_path / "nope.yaml")])
    assert exit_info.value.code == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err


def test_later_config_files_win_and_errors_name_the_file_that_set_the_value(tmp_path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("risk:\n  max_position_weight: 0.2\n  min_price: 1\n")
    b.write_text("risk:\n  max_position_weight: 0.3\n")
    settings = load_settings([a, b])
    assert settings.risk.max_position_weight == 0.3 and settings.risk.min_price == 1.0
    b.write_text("risk:\n  max_position_weight: 3\n")
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=f"^{b}: risk.max_position_weight"):
        load_settings([a, b])


def test_zero_flags_use_the_shipped_defaults(capsys) -> None:
    main(["strategies"])
    out = capsys.readouterr().out
    assert "* xgboost_signal" in out and "momentum" in out
    momentum = out[out.index("  momentum  "):]
    lookback = next(line for line in momentum.splitlines() if line.strip().startswith("lookback "))
    assert lookback.split()[:2] == ["lookback", "126"]
