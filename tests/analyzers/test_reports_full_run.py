"""Reports of a real backtest of the whole embedded universe; divergence of two real runs."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import empyrical
import pandas as pd
import pytest
from cli_invoke import trade_at, trade_here

from analyzers.divergence import compare
from analyzers.records import load_run
from analyzers.reports import ReportSummary, build_reports
from analyzers.run_header import header, venue_costs

SLICE = ["--symbols", "AAPL,MSFT,XOM,JPM,PFE,AMZN,KO,NEE", "--start", "2016-01-04", "--end", "2016-09-30"]


@pytest.fixture
def trade(capsys, monkeypatch):
    """`trade ...` in this process: these tests are about the reports, not the process."""
    return lambda *args, cwd: trade_here(list(args), capsys, monkeypatch, cwd)


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory) -> Path:
    """Momentum on SLICE without reports (read only: a test that changes it copies it)."""
    tmp = tmp_path_factory.mktemp("slice")
    result = trade_at(["backtest", "--strategy", "momentum", *SLICE, "--out", str(tmp / "a"), "--no-report"], tmp)
    assert result.returncode == 0, result.stderr
    return tmp / "a"


@pytest.fixture(scope="module")
def rebuilt(full_run, tmp_path_factory) -> tuple[Path, ReportSummary]:
    """A copy of ``full_run`` whose reports :func:`build_reports` built again from the run's config
    (the market loaded again), and what it returned: a sheet costs seconds, two tests read this one."""
    copy = tmp_path_factory.mktemp("rebuilt") / "run"
    shutil.copytree(full_run, copy)
    return copy, build_reports(copy, full_run.name)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_backtest_writes_tearsheet_and_execution_quality(full_run) -> None:
    for name in ("tearsheet.html", "execution_quality.json", "execution_quality.csv"):
        assert (full_run / name).is_file(), name
    parser = _Collect()
    parser.feed((full_run / "tearsheet.html").read_text())
    images = [a for t, a in parser.tags if t == "img"]
    assert len(images) >= 6 and all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert ("table", {"id": "stats"}) in parser.tags
    quality = json.loads((full_run / "execution_quality.json").read_text())
    assert quality["overall"]["orders"] == json.loads((full_run / "summary.json").read_text())["figures"]["orders"]


def test_tearsheet_numbers_equal_empyrical_on_returns_csv(rebuilt) -> None:
    copy, summary = rebuilt
    returns = pd.read_csv(copy / "returns.csv")["return"]
    assert summary.sharpe == pytest.approx(empyrical.sharpe_ratio(returns), rel=1e-9)
    assert summary.max_drawdown == pytest.approx(empyrical.max_drawdown(returns), rel=1e-9)


def test_divergence_attributes_a_slippage_change_to_slippage(tmp_path, trade, slice_run) -> None:
    (tmp_path / "slip.yaml").write_text("venue:\n  slippage:\n    value: 0.005\n")
    shutil.copytree(slice_run, tmp_path / "a")
    other = trade(
        "backtest",
        "--strategy",
        "momentum",
        *SLICE,
        "--config",
        str(tmp_path / "slip.yaml"),
        "--out",
        str(tmp_path / "b"),
        "--no-report",
        cwd=tmp_path,
    )
    assert other.returncode == 0, other.stderr
    result = compare(load_run(tmp_path / "a"), load_run(tmp_path / "b"))
    assert result.equity_difference < 0
    assert result.attribution["slippage"] < 0
    assert max(result.shares, key=lambda k: abs(result.shares[k])) == "slippage"
    assert result.shares["slippage"] > 0.7
    cli = trade("report", str(tmp_path / "a"), "--compare", str(tmp_path / "b"), cwd=tmp_path)
    assert cli.returncode == 0 and "slippage" in cli.stdout
    assert json.loads((tmp_path / "b" / "divergence.json").read_text())["shares"]["slippage"] > 0.7


def test_report_on_a_folder_that_is_not_a_run(tmp_path, trade) -> None:
    result = trade("report", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path}: not a run folder (no journal.sqlite)"


def test_the_header_states_the_costs_the_venue_model_charged(full_run) -> None:
    """The header read the cost keys from before the venue model: a default run that paid 5 bps
    of slippage and no commission said "slippage 0.0 bps, commission n/a/share"."""
    records = load_run(full_run)
    venue = header(records).venue
    charged = records.fills.assign(commission=records.fills["commission"].astype(float))["commission"].sum()
    assert charged == 0.0 and "no commission" in venue, venue
    assert "slippage 5.0 bps (uncapped)" in venue and "no fees" in venue and "no dividends" in venue, venue
    assert "n/a" not in venue, venue
    assert venue in (full_run / "tearsheet.html").read_text()


@pytest.mark.parametrize(("section", "needles"), [
    ({"profile": "alpaca_live"}, ["no commission", "SEC $27.80/M", "dividends paid"]),
    ({"profile": "per_share", "slippage": {"mode": "fixed", "value": 0.01, "cap_at_bar_range": True}},
     ["slippage $0.010 a share (capped at the bar's range)", "commission $0.005/share, min $1.00", "no fees"]),
])
def test_each_profile_is_described_by_what_it_charges(section, needles) -> None:
    text = venue_costs(section)
    assert all(n in text for n in needles), text


def test_reports_from_the_backtests_loaded_market_equal_reports_from_the_run_config(full_run, rebuilt) -> None:
    """`trade backtest` hands its loaded market data to the reports (issue 31: loading it again
    took 1-3 s at 500 symbols); the sheet is the one the run's config gives, byte for byte."""
    copy, _ = rebuilt  # market loaded from the run's config
    assert (copy / "tearsheet.html").read_bytes() == (full_run / "tearsheet.html").read_bytes()
