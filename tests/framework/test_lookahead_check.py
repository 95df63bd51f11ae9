"""The lookahead check catches every leak kind of issue 18 (exit 1 from the CLI), tells a warm-up
that is too short and a nondeterministic plugin apart from lookahead, covers the exits hook, and
passes the shipped plugins."""

from __future__ import annotations

from pathlib import Path

import leaky_plugins as leaks
import pandas as pd
import pytest
import yaml
from cli_invoke import trade_here
from market_once import embedded

from framework.data.loading import embedded_paths
from framework.lookahead import CutKind, Problem, check_lookahead, plan_cuts
from strategies.mean_reversion import MeanReversion
from strategies.momentum import Momentum

HERE = Path(__file__).parent
SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM", "PFE", "KO"]
LAST = "2016-12-30"
HALF_YEAR = "2015-06-30"


@pytest.fixture(scope="module")
def market():
    return embedded().select(SYMBOLS).between("2015-01-12", LAST)


def _prices(tmp_path_factory, last: str) -> Path:
    prices, _ = embedded_paths()
    rows = pd.read_csv(prices, dtype={"date": str})
    path = tmp_path_factory.mktemp("small-prices") / "prices.csv"
    rows[rows["symbol"].isin(SYMBOLS) & (rows["date"] <= last)].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def small_prices(tmp_path_factory) -> Path:
    """The embedded rows of SYMBOLS up to LAST (two years) as a prices file: what the CLI tests
    check, so each of them checks the same data as ``market`` instead of all five years."""
    return _prices(tmp_path_factory, LAST)


@pytest.fixture(scope="module")
def half_year_prices(tmp_path_factory) -> Path:
    """The first half year of ``small_prices``: a check at every session computes the plugin
    three times a session, and any window proves it cuts at each one."""
    return _prices(tmp_path_factory, HALF_YEAR)


@pytest.mark.parametrize(
    "plugin", [leaks.ShiftMinusOne, leaks.MonthEndOnly, leaks.FullSampleMean, leaks.CachedZScore],
    ids=lambda p: p.name,
)
def test_each_leak_kind_is_flagged_as_lookahead(market, plugin) -> None:
    report = check_lookahead(plugin, market)
    assert not report.ok and report.of(Problem.LOOKAHEAD), report.mismatches
    first = report.first(Problem.LOOKAHEAD)
    assert first is not None and first.symbol in SYMBOLS and first.date <= first.cut


def test_the_month_end_leak_is_caught_at_30_spread_cuts_that_compare_only_the_cut_row(market) -> None:
    # Issue 18: 30 spread cut dates missed it when only each cut date's row was compared. The
    # plan now adds month-end sessions, and every row up to each cut is compared.
    plan = plan_cuts(market.dates, 6, points=30, random=0)
    report = check_lookahead(leaks.MonthEndOnly, market, plan)
    assert report.of(Problem.LOOKAHEAD)
    caught_on = {m.date for m in report.of(Problem.LOOKAHEAD)}
    month_ends = {d for d, n in zip(market.dates[:-1], market.dates[1:], strict=True) if d.month != n.month}
    assert caught_on <= month_ends


def test_a_reused_instance_would_hide_the_cached_zscore_but_fresh_ones_do_not(market) -> None:
    shared = leaks.CachedZScore()
    fooled = check_lookahead(lambda: shared, market)
    assert fooled.ok  # what check-strategy did before: one instance, full history first
    assert not check_lookahead(leaks.CachedZScore, market).ok


def test_a_short_warm_up_is_reported_as_warm_up_not_lookahead(market) -> None:
    report = check_lookahead(leaks.InfiniteMemory, market)
    assert report.of(Problem.WARMUP) and not report.of(Problem.LOOKAHEAD)
    assert report.verdict == "warm-up"


def test_nondeterminism_is_named_first(market) -> None:
    report = check_lookahead(leaks.Noisy, market)
    assert report.of(Problem.NONDETERMINISTIC)


def test_the_exits_hook_is_checked(market) -> None:
    peeking = check_lookahead(leaks.PeekingExits, market)
    assert peeking.exits_checked and peeking.of(Problem.EXITS) and not peeking.of(Problem.LOOKAHEAD)
    honest = check_lookahead(leaks.HoldingPeriodExits, market)
    assert honest.exits_checked and honest.ok, honest.mismatches


def test_cut_plans_spread_random_calendar_and_every_date(market) -> None:
    plan = plan_cuts(market.dates, 20, points=10, random=10, seed=3)
    kinds = [plan.count(k) for k in (CutKind.SPREAD, CutKind.RANDOM, CutKind.CALENDAR)]
    assert kinds[0] == 10 and 0 < kinds[1] <= 10 and kinds[2] >= 1 and len(plan.cuts) == sum(kinds)
    assert plan.dates[0] >= market.dates[20] and plan.dates[-1] <= market.dates[-2]
    assert plan == plan_cuts(market.dates, 20, points=10, random=10, seed=3)  # seeded
    assert plan.cuts != plan_cuts(market.dates, 20, points=10, random=10, seed=4).cuts
    every = plan_cuts(market.dates, 20, all_dates=True)
    assert every.dates == list(market.dates[20:-1]) and every.windows[-1] == market.dates[-1]


def test_shipped_plugins_pass(market) -> None:
    """Mean reversion at every session: test_cli_all_dates_passes_mean_reversion."""
    assert check_lookahead(Momentum, embedded()).ok
    report = check_lookahead(MeanReversion, market)
    assert report.ok and report.exits_checked, report.mismatches


@pytest.fixture
def _cli(capsys, monkeypatch, small_prices):
    """`trade ...` in this process on the two-year prices file (or ``prices``), with the embedded
    sectors and this folder importable (the leaky plugins)."""
    monkeypatch.syspath_prepend(str(HERE))
    _, sectors = embedded_paths()

    def cli(*args: str, cwd: Path, prices: Path = small_prices):
        return trade_here([*args, "--data", str(prices), "--sectors", str(sectors)], capsys, monkeypatch, cwd)

    return cli


def _symbols_config(tmp_path: Path) -> str:
    cfg = tmp_path / "small.yaml"
    cfg.write_text(yaml.safe_dump({"data": {"symbols": SYMBOLS}}))
    return str(cfg)


@pytest.mark.parametrize("plugin", ["ShiftMinusOne", "MonthEndOnly", "FullSampleMean", "CachedZScore"])
def test_cli_exits_1_on_every_leak_kind(_cli, tmp_path, plugin) -> None:
    result = _cli("check-strategy", f"leaky_plugins:{plugin}", "--config", _symbols_config(tmp_path), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LOOKAHEAD: " in result.stdout and "first at 20" in result.stdout


def test_cli_reports_a_short_warm_up_apart(_cli, tmp_path) -> None:
    result = _cli("check-strategy", "leaky_plugins:InfiniteMemory", "--config", _symbols_config(tmp_path),
                  cwd=tmp_path)
    assert result.returncode == 1
    assert "WARM-UP TOO SHORT" in result.stdout and "LOOKAHEAD" not in result.stdout


def test_cli_passes_the_xgboost_strategy_and_shows_progress(_cli, tmp_path) -> None:
    cfg = tmp_path / "fast.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "strategy": {"params": {"n_estimators": 5, "max_depth": 2, "train_window": 60, "nthread": 1}},
                "data": {"symbols": SYMBOLS},
            }
        )
    )
    result = _cli("check-strategy", "xgboost_signal", "--config", str(cfg), "--points", "4", "--random", "2",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 spread, 2 random" in result.stdout and "OK: no lookahead found" in result.stdout
    assert "check-strategy xgboost_signal: done" in result.stderr  # progress (plain lines off a terminal)


def test_cli_all_dates_passes_mean_reversion(_cli, tmp_path, market, half_year_prices) -> None:
    result = _cli("check-strategy", "mean_reversion", "--all-dates", "--config", _symbols_config(tmp_path),
                  cwd=tmp_path, prices=half_year_prices)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every session" in result.stdout and "exits hook: checked at every cut" in result.stdout
    sessions = int((market.dates <= HALF_YEAR).sum())
    assert sessions > 100  # the half year
    assert f"{sessions - MeanReversion().warmup_bars - 1} cut dates" in result.stdout


def test_an_honest_ranked_plugin_passes_on_the_whole_embedded_data() -> None:
    # Issue 28: the history cut at t was adjusted as of t and the whole history as of its end;
    # float noise broke ties in the ranking and the check called it LOOKAHEAD (2016-05-02 NVDA).
    report = check_lookahead(leaks.RankedReversal, embedded())
    assert report.ok, [str(m) for m in report.mismatches[:3]]
    assert report.basis is not None and report.basis_dates > 0  # reported apart, not as lookahead


def test_the_adjustment_basis_is_measured_apart_from_lookahead(market) -> None:
    every = plan_cuts(market.dates, 6, points=10, random=0)
    causal = check_lookahead(leaks.Causal, market, every)
    assert causal.ok and causal.basis is not None and causal.basis.signals > 0
    leaky = check_lookahead(leaks.ShiftMinusOne, market, every)
    assert leaky.of(Problem.LOOKAHEAD)
