"""`trade backtest`: once through a real process (the run folder, its determinism), the
configuration and bad-input cases in this process (`cli_invoke.invoke`: the same `main`, its
exit code and its output)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_invoke import invoke, trade_here

SLICE = ["--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN", "--start", "2016-01-04", "--end", "2016-06-30"]


def trade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from framework.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_backtest_end_to_end_writes_a_consistent_run_folder(tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "run1"
    result = trade("backtest", *SLICE, "--out", str(out), "--no-report", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"run folder: {out}" in result.stdout
    for name in ("summary.json", "orders.csv", "fills.csv", "positions.csv", "returns.csv", "journal.sqlite"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    returns = pd.read_csv(out / "returns.csv")
    orders, fills = pd.read_csv(out / "orders.csv"), pd.read_csv(out / "fills.csv")
    figures = summary["figures"]
    assert figures["total_return"] == pytest.approx(np.prod(1 + returns["return"]) - 1, abs=1e-9)
    assert figures["total_return"] == pytest.approx(returns["equity"].iloc[-1] / 100_000 - 1, abs=1e-9)
    assert figures["orders"] == len(orders) > 0 and figures["fills"] == len(fills) > 0
    assert summary["start"] >= "2016-01-04" and summary["end"] <= "2016-06-30"
    assert summary["data"]["symbols"] == ["AAPL", "MSFT", "XOM", "JPM", "PFE", "AMZN"]
    assert summary["venue"] == {"profile": "alpaca_paper"} and "venue alpaca_paper" in result.stdout
    assert (fills["commission"] == 0).all()  # the default profile: Alpaca charges no commission
    # Determinism: the same inputs give a byte-identical summary (here in this process: another one).
    again = trade_here(["backtest", *SLICE, "--out", str(tmp_path / "run2"), "--no-report"], capsys, monkeypatch,
                       tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "run2" / "summary.json").read_bytes() == (out / "summary.json").read_bytes()


def test_the_venue_profile_is_chosen_by_config_and_named_in_the_summary(tmp_path, capsys) -> None:
    (tmp_path / "ibkr.yaml").write_text("venue:\n  profile: per_share\n")
    out = tmp_path / "run"
    code, _, err = invoke(["backtest", *SLICE, "--config", str(tmp_path / "ibkr.yaml"), "--out", str(out),
                           "--no-report"], capsys)
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["venue"] == {"profile": "per_share"}
    fills = pd.read_csv(out / "fills.csv")
    assert (fills["commission"] > 0).all()  # the per-share schedule (the alpaca profiles charge none)


def test_an_unknown_venue_profile_is_one_line_exit_2(tmp_path, capsys) -> None:
    (tmp_path / "bad.yaml").write_text("venue:\n  profile: robinhood\n")
    out = tmp_path / "run"
    code, _, err = invoke(["backtest", *SLICE, "--config", str(tmp_path / "bad.yaml"), "--out", str(out)], capsys)
    assert code == 2
    [line] = err.strip().splitlines()
    assert "venue.profile: expected 'alpaca_paper', 'alpaca_live' or 'per_share'" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--symbols", "AAPL,ZZZZ"], "unknown symbol(s) ZZZZ"),
        (["--start", "2030-01-01"], "no sessions to trade"),
        (["--start", "2017-06-01", "--end", "2017-01-01"], "is before start"),
        (["--data", "prices.csv"], "prices.csv: missing column(s): open"),
        (["--data", "missing.csv"], "missing.csv: file not found"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_run_folder(tmp_path, monkeypatch, capsys, args, message) -> None:
    (tmp_path / "prices.csv").write_text("date,symbol,close\n2020-01-02,AAA,1\n")
    monkeypatch.chdir(tmp_path)  # --data names a file relative to the working folder
    out = tmp_path / "run"
    code, _, err = invoke(["backtest", *args, "--out", str(out)], capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]
