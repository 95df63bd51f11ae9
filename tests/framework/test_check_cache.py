"""`trade backtest` hints when the plugin it runs has not passed `trade check-strategy` for this
version of its code: the verdict is remembered by the plugin's source hash."""

from __future__ import annotations

import sys

import pytest

from framework.check_cache import CheckRecord, backtest_hint, recall, remember, source_hash
from framework.cli import main
from strategies.momentum import Momentum
from strategies.xgboost_signal.strategy import XGBoostSignal

PLUGIN = '''
import pandas as pd
from framework import MarketData, Strategy


class Reversal(Strategy):
    name = "reversal_checked"

    @property
    def warmup_bars(self) -> int:
        return 6

    def signals(self, history: MarketData) -> pd.DataFrame:
        return -history.close.pct_change({lag}, fill_method=None).rank(axis=1, pct=True) * 2 + 1
'''
SMALL = ["--symbols", "AAPL,MSFT,XOM,JPM", "--end", "2015-08-31", "--no-report"]


@pytest.fixture
def local_plugin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small.yaml").write_text("data:\n  symbols: [AAPL, MSFT, XOM, JPM]\n")
    (tmp_path / "reversal_checked.py").write_text(PLUGIN.format(lag="5"))
    yield tmp_path
    sys.modules.pop("reversal_checked", None)


def hint_of(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("hint:")]


def test_the_hint_follows_the_check_and_the_code_version(local_plugin, capsys) -> None:
    spec = "reversal_checked:Reversal"
    main(["backtest", "--strategy", spec, *SMALL, "--out", "run1"])
    assert "has not been through `trade check-strategy reversal_checked`" in hint_of(capsys)[0]
    main(["check-strategy", spec, "--config", "small.yaml", "--points", "3", "--random", "2"])
    capsys.readouterr()
    main(["backtest", "--strategy", spec, *SMALL, "--out", "run2"])
    assert hint_of(capsys) == []  # passed for this code version
    (local_plugin / "reversal_checked.py").write_text(PLUGIN.format(lag="10"))  # the code changes
    main(["backtest", "--strategy", spec, *SMALL, "--out", "run3"])
    assert len(hint_of(capsys)) == 1


def test_a_failed_check_is_named_by_the_hint(tmp_path) -> None:
    remember(CheckRecord("momentum", source_hash(Momentum), False, "lookahead", 20, "x", {}))
    hint = backtest_hint(Momentum, "momentum")
    assert hint is not None and "FAILED `trade check-strategy momentum`" in hint and "lookahead" in hint
    remember(CheckRecord("momentum", source_hash(Momentum), True, "passed", 20, "x", {}))
    assert backtest_hint(Momentum, "momentum") is None
    assert recall("momentum", source_hash(Momentum)).passed


def test_the_hash_covers_a_plugins_whole_package() -> None:
    from framework.check_cache import _files_of

    files = {p.name for p in _files_of(XGBoostSignal.__module__)}
    assert {"features.py", "walk_forward.py", "model.py", "strategy.py"} <= files
    assert [p.name for p in _files_of(Momentum.__module__)] == ["momentum.py"]
    assert source_hash(XGBoostSignal) != source_hash(Momentum) == source_hash(Momentum)
