"""The signal report of every shipped strategy, rendered in headless Chromium: every figure drawn,
no nan on the page, the verdict and the JSON's figures on it; xgboost_signal with its model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_invoke import trade_at

from strategies.xgboost_signal.features import FEATURES

SMALL = ("--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN,KO,NEE", "--end", "2017-06-30")
FAST_XGB = "strategy:\n  params: {n_estimators: 20, retrain_every: 42}\n"
SHIPPED = ("momentum", "mean_reversion", "xgboost_signal")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("signals")
    (tmp / "fast.yaml").write_text(FAST_XGB)
    made = {}
    for name in SHIPPED:
        extra = ("--config", "fast.yaml") if name == "xgboost_signal" else ()
        result = trade_at(["signals", name, "--out", name, *SMALL, *extra], tmp)
        assert result.returncode == 0, result.stderr
        made[name] = tmp / name
    return made


PROBE = """() => ({
  images: [...document.images].map(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0),
  sections: [...document.querySelectorAll('section')].map(s => s.id),
  text: document.body.innerText,
})"""


@pytest.mark.parametrize("name", SHIPPED)
def test_the_signal_report_renders_for_every_shipped_strategy(reports, browser, name) -> None:
    folder = reports[name]
    figures = json.loads((folder / "signals.json").read_text())
    page = browser.new_page()
    try:
        page.goto((folder / "signals.html").as_uri())
        seen = page.evaluate(PROBE)
    finally:
        page.close()
    assert seen["images"] and all(seen["images"])
    expected = ["verdict", "ic", "quantiles", "turnover"] + (["model"] if name == "xgboost_signal" else [])
    assert seen["sections"] == expected
    text = seen["text"]
    for bad in ("nan", "NaN", "inf", "None"):
        assert f" {bad} " not in f" {text} ".replace("\n", " ")
    assert figures["verdict"] in text
    assert [h["horizon"] for h in figures["horizons"]] == [1, 5, 10, 21]
    five = next(h for h in figures["horizons"] if h["horizon"] == 5)
    assert f"{five['ic']['mean']:.4f}" in text  # the JSON's mean IC is the page's
    assert "t (Newey–West)" in text and "t (non-overlapping)" in text


def test_the_xgboost_report_holds_the_folds_importance_and_calibration(reports) -> None:
    model = json.loads((reports["xgboost_signal"] / "signals.json").read_text())["model"]
    assert model["task"] == "classification" and model["horizon"] == 5
    assert len(model["folds"]) >= 3 and {"auc", "rank_ic", "hit_rate"} <= set(model["folds"][0])
    assert 0.0 < model["pooled_auc"] < 1.0
    # every feature, most important first (stumps leave ties at 0 in any order)
    assert set(model["importance"]) == set(FEATURES)
    gains = list(model["importance"].values())
    assert gains == sorted(gains, reverse=True)
    assert next(iter(model["importance"].values())) > 0
    assert len(model["calibration"]["bins"]) == 10
    predicted = [b["predicted"] for b in model["calibration"]["bins"]]
    assert predicted == sorted(predicted)


TINY_XGB = "strategy:\n  params: {n_estimators: 5, train_window: 60, retrain_every: 63}\n"
TINY = ("--symbols", "AAPL,MSFT,XOM,JPM,PFE,KO", "--end", "2016-06-30", "--config", "tiny.yaml")


def test_an_xgboost_tear_sheet_says_how_to_make_its_signal_report_then_links_it(tmp_path, browser) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_XGB)
    run = trade_at(["backtest", "--strategy", "xgboost_signal", "--out", "run", *TINY], tmp_path)
    assert run.returncode == 0, run.stderr
    sheet = (tmp_path / "run" / "tearsheet.html").read_text()
    assert "No signal report: <code>trade signals xgboost_signal --out run/signals</code>" in sheet  # as the run was named
    assert "<code>trade report run</code> links it here" in sheet
    made = trade_at(["signals", "xgboost_signal", "--out", "run/signals", *TINY], tmp_path)
    assert made.returncode == 0, made.stderr
    again = trade_at(["report", "run"], tmp_path)
    assert again.returncode == 0, again.stderr
    page = browser.new_page()
    try:
        page.goto((tmp_path / "run" / "tearsheet.html").as_uri())
        link = page.locator("#signal-report a")
        assert link.inner_text() == "its signal report"
        link.click()
        page.wait_for_load_state()
        assert page.title() == "Signal report: xgboost_signal"
    finally:
        page.close()


def test_a_momentum_tear_sheet_has_no_signal_report_line(full_run) -> None:
    assert "signal report" not in (full_run / "tearsheet.html").read_text().lower()
