"""`trade signals NAME --out DIR`: a planted signal's figures come back through the command; bad input
is one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_invoke import invoke

from framework.data.sessions import sessions

BETA, SIGMA, NAMES = 0.002, 0.01, 40


def _planted_prices(path: Path, beta: float, seed: int = 11) -> None:
    """Bars whose next-session return is beta·z + noise, z encoded in the day's volume."""
    days = sessions("XNYS", pd.Timestamp("2018-01-02"), pd.Timestamp("2019-12-31"))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((len(days), NAMES))
    step = 1 + beta * z + rng.normal(0, SIGMA, z.shape)
    close = 50 * np.cumprod(np.vstack([np.ones(NAMES), step[:-1]]), axis=0)
    rows = []
    for j in range(NAMES):
        c = np.round(close[:, j], 4)
        rows.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "symbol": f"S{j:02d}", "open": c,
                                  "high": np.round(c * 1.002, 4), "low": np.round(c * 0.998, 4), "close": c,
                                  "volume": np.round(1e6 * np.exp(z[:, j] / 2)).astype(int)}))
    pd.concat(rows, ignore_index=True).to_csv(path, index=False)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("planted")
    _planted_prices(tmp / "prices.csv", BETA)
    return tmp


def _spearman_of_normals(rho: float) -> float:
    return 6 / math.pi * math.asin(rho / 2)


def test_a_planted_signal_reproduces_its_figures_through_the_command(planted, capsys) -> None:
    out = planted / "report"
    code, stdout, stderr = invoke(["signals", "planted_signal_plugin:Planted", "--data", str(planted / "prices.csv"),
                                   "--out", str(out), "--horizons", "1,5", "--horizon", "1"], capsys)
    assert code == 0, stderr
    figures = json.loads((out / "signals.json").read_text())
    by_h = {h["horizon"]: h for h in figures["horizons"]}
    rho = BETA / math.hypot(BETA, SIGMA)
    assert by_h[1]["ic"]["mean"] == pytest.approx(_spearman_of_normals(rho), abs=0.02)
    assert by_h[5]["ic"]["mean"] == pytest.approx(_spearman_of_normals(rho / math.sqrt(5)), abs=0.02)
    assert by_h[1]["ic"]["t"] > 10 and by_h[5]["ic"]["t"] > 3
    draws = np.sort(np.random.default_rng(0).standard_normal((20_000, NAMES)), axis=1)
    gap = float((draws[:, -8:].mean(axis=1) - draws[:, :8].mean(axis=1)).mean())  # top and bottom 8 of 40
    assert by_h[1]["spread"]["mean"] == pytest.approx(BETA * gap, rel=0.1)
    assert figures["coverage"]["share"] == 1.0 and figures["model"] is None
    assert figures["verdict"].startswith("Predictive: mean IC +0.1")
    assert stdout.splitlines()[0] == figures["verdict"]
    page = (out / "signals.html").read_text()
    assert "Signal report: planted" in page and figures["verdict"] in page


def test_the_same_prices_without_the_plant_have_no_predictive_power(tmp_path, capsys) -> None:
    _planted_prices(tmp_path / "prices.csv", 0.0)
    code, _stdout, stderr = invoke(["signals", "planted_signal_plugin:Planted", "--data", str(tmp_path / "prices.csv"),
                                   "--out", str(tmp_path / "report"), "--horizons", "1,5"], capsys)
    assert code == 0, stderr
    figures = json.loads((tmp_path / "report" / "signals.json").read_text())
    assert figures["verdict"].startswith("No predictive power")
    assert all(abs(h["ic"]["t"]) < 2.5 for h in figures["horizons"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizons", "1,x"], "error: --horizons '1,x': expected session counts separated by commas, e.g. 1,5,10,21"),
        (["--horizons", "0,5"], "error: --horizons '0,5': each horizon must be between 1 and 252 sessions"),
        (["--start", "nope"], "error: --start 'nope': expected a date, YYYY-MM-DD"),
        (["--end", "2016-13-01"], "error: --end '2016-13-01': expected a date, YYYY-MM-DD"),
        (["--horizons", "200", "--end", "2016-06-30"], "error: 244 sessions after momentum's warm-up of 127 bars are too "
                                                       "few to measure a 200-session horizon; give more history"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message) -> None:
    code, stdout, stderr = invoke(["signals", "momentum", "--out", str(tmp_path / "out"), *args], capsys)
    assert (code, stdout, stderr) == (2, "", message + "\n")
    assert not (tmp_path / "out").exists()


def test_an_xgboost_artifact_is_refused_with_the_setting_named(tmp_path, capsys) -> None:
    (tmp_path / "artifact.yaml").write_text("strategy:\n  params: {mode: artifact}\n")
    code, stdout, stderr = invoke(["signals", "xgboost_signal", "--out", str(tmp_path / "out"), "--config",
                                   str(tmp_path / "artifact.yaml")], capsys)
    assert (code, stdout) == (2, "")
    assert stderr.startswith("error: strategy.params.mode: artifact: the signal report measures the walk-forward")
    assert not (tmp_path / "out").exists()
