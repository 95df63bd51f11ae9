"""The lookahead checker catches a leaky plugin and passes the shipped ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from framework.data import MarketData, load_market_data
from framework.lookahead import check_lookahead
from framework.strategy import Strategy
from strategies.momentum import Momentum

HERE = Path(__file__).parent


class Leaky(Strategy):
    """Buys what rises tomorrow: uses the next close."""

    name = "leaky"

    @property
    def warmup_bars(self) -> int:
        return 2

    def signals(self, history: MarketData) -> pd.DataFrame:
        tomorrow = history.close.shift(-1) / history.close - 1
        return tomorrow.rank(axis=1, pct=True) * 2 - 1


class WindowDependent(Strategy):
    """Causal but with infinite memory: differs on a trailing window."""

    name = "window_dependent"

    @property
    def warmup_bars(self) -> int:
        return 5

    def signals(self, history: MarketData) -> pd.DataFrame:
        drift = history.close / history.close.iloc[0] - 1
        return drift.rank(axis=1, pct=True) * 2 - 1


def test_leaky_plugin_is_caught_with_date_and_symbol() -> None:
    market = load_market_data().select(["AAPL", "MSFT", "XOM", "JPM"])
    report = check_lookahead(Leaky(), market, points=10)
    assert not report.ok and len(report.cut_dates) == 10
    first = report.first
    assert first.check == "truncation" and first.date == report.cut_dates[0]
    assert first.symbol in market.symbols


def test_trailing_window_dependence_is_caught() -> None:
    market = load_market_data().select(["AAPL", "MSFT", "XOM", "JPM"])
    report = check_lookahead(WindowDependent(), market)
    assert [m.check for m in report.mismatches] == ["trailing window"]


def test_momentum_passes() -> None:
    report = check_lookahead(Momentum(), load_market_data(), points=12)
    assert report.ok and len(report.cut_dates) == 12 and report.nan_share == 0.0


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    return subprocess.run(
        [sys.executable, "-c", "from framework.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_cli_exits_1_naming_the_first_offending_date_and_symbol(tmp_path) -> None:
    result = _cli("check-strategy", "test_lookahead_check:Leaky", cwd=tmp_path)
    assert result.returncode == 1
    assert "LOOKAHEAD" in result.stdout and "first at 20" in result.stdout


def test_cli_passes_the_xgboost_strategy(tmp_path) -> None:
    cfg = tmp_path / "fast.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "strategy": {"params": {"n_estimators": 5, "max_depth": 2, "train_window": 60, "nthread": 1}},
                "data": {"symbols": ["AAPL", "MSFT", "XOM", "JPM", "PFE", "KO"]},
            }
        )
    )
    result = _cli("check-strategy", "xgboost_signal", "--config", str(cfg), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 truncation dates" in result.stdout and "OK: no lookahead found" in result.stdout
