"""What the report tests share: one momentum backtest of the whole universe for the whole session
(read-only: a test that changes a run copies it first), and the headless browser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_invoke import trade_at
from once_per_run import built_once

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser); the test is
    skipped where either is missing (.ci/run installs chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


def _full_backtest(tmp: Path) -> None:
    """The whole universe over its last two years: every part of the sheet a long run has (rolling
    figures, annualised ratios, all the sectors), at two thirds of the five years' cost."""
    result = trade_at(["backtest", "--strategy", "momentum", "--start", "2018-01-02",
                       "--out", str(tmp / "full-momentum")], tmp)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def full_run(tmp_path_factory) -> Path:
    """Built once per test run, whichever xdist worker asks first."""
    return built_once(tmp_path_factory, "full", _full_backtest) / "full-momentum"
