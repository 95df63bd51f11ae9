"""A typo in a config key or a strategy name gets the closest valid name (or the valid ones)."""

from __future__ import annotations

import pytest

from framework.cli import main
from framework.errors import InputError
from framework.registry import get_strategy

CASES = {
    "nested_key": ("risk:\n  max_position_wieght: 0.1\n",
                   "risk.max_position_wieght: unknown key (did you mean max_position_weight?)"),
    "section": ("riks:\n  max_position_weight: 0.1\n", "riks: unknown key (did you mean risk?)"),
    "deeper_key": ("venue:\n  slippage:\n    vaule: 0.001\n",
                   "venue.slippage.vaule: unknown key (did you mean value?)"),
    "strategy_param": ("strategy:\n  name: momentum\n  params:\n    lookbak: 10\n",
                       "strategy.params.lookbak: unknown key (did you mean lookback?)"),
    "nothing_close": ("orders:\n  zzz: 1\n", "orders.zzz: unknown key (allowed: type, limit_offset_bps, "),
    "strategy_name": ("strategy:\n  name: momentun\n",
                      "strategy.name: unknown strategy 'momentun' (did you mean 'momentum'? available: mean_reversion, momentum"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_typo_names_the_closest_key(tmp_path, capsys, case) -> None:
    text, message = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(SystemExit) as exit_info:
        main(["strategies", "--config", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: "), err
    assert message in err[0], err[0]


def test_strategy_name_typo_on_the_command_line(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["backtest", "--strategy", "xgboost_sginal", "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "unknown strategy 'xgboost_sginal' (did you mean 'xgboost_signal'?" in err
    assert not (tmp_path / "run").exists()


def test_a_name_like_nothing_lists_the_plugins_without_a_guess() -> None:
    with pytest.raises(InputError) as info:
        get_strategy("qqqqqq")
    assert "did you mean" not in str(info.value) and "available: mean_reversion, momentum, xgboost_signal" in str(info.value)
