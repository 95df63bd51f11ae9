"""A sweep point is the very backtest `trade backtest` runs; a failing one comes back as data."""

from __future__ import annotations

import gc
import sqlite3

import pandas as pd
import pytest

from brokers.backtrader.runner import run_backtest
from framework.config import load_settings
from framework.data import load_configured
from framework.journal import UNREAD_BY_RESULTS, Journal
from framework.registry import get_strategy
from framework.research.sweep_task import Job, run_job
from framework.run_folder import summarise

OVERRIDES = {
    "strategy": {"name": "momentum", "params": {"lookback": 42, "skip": 5}},
    "data": {"symbols": ["AAPL", "MSFT", "XOM", "JPM", "KO"]},
    "backtest": {"start": "2016-03-01", "end": "2016-10-31"},
}


@pytest.fixture(scope="module")
def setup():
    settings = load_settings((), OVERRIDES)
    return settings, load_configured(settings.data)


def test_a_point_equals_a_plain_backtest_of_the_same_settings(setup, tmp_path) -> None:
    settings, market = setup
    outcome = run_job(market, Job("k1", "p01", settings.model_dump(mode="json")), run_backtest)
    assert outcome.ok and outcome.journal is None
    plugin = get_strategy("momentum")(settings.strategy.params)
    result = run_backtest(market, plugin, settings, tmp_path / "journal.sqlite")
    journal = Journal(result.journal_path)
    try:
        figures, returns = summarise(journal, result.initial_cash)
    finally:
        journal.close()
    assert {k: outcome.figures[k] for k in figures} == figures
    assert outcome.figures["sessions"] == len(returns)
    assert outcome.returns is not None
    assert outcome.returns["return"].tolist() == returns["return"].tolist()


def test_the_journal_comes_back_only_when_asked(setup) -> None:
    settings, market = setup
    outcome = run_job(market, Job("k2", "p01", settings.model_dump(mode="json"), keep_journal=True), run_backtest)
    assert outcome.journal is not None and outcome.journal.startswith(b"SQLite format 3")


def test_a_failing_point_is_an_outcome_with_its_error(setup) -> None:
    _, market = setup
    failing = load_settings((), {**OVERRIDES, "strategy": {"name": "sweep_plugins:Gated", "params": {"fail": True}}})
    outcome = run_job(market, Job("k3", "p02", failing.model_dump(mode="json")), run_backtest)
    assert not outcome.ok and outcome.returns is None
    assert outcome.error == "StrategyError: strategy 'gated' failed: RuntimeError: this point fails on purpose"


def test_a_point_runs_with_the_heap_before_it_frozen_and_gives_it_back(setup) -> None:
    """issue 31: what is alive before a point is out of the collector's scans while it runs
    (gc.freeze), and back in them after it, whether the point succeeded or failed."""
    settings, market = setup
    frozen: list[int] = []

    def backtest(*args, **kwargs):
        frozen.append(gc.get_freeze_count())
        return run_backtest(*args, **kwargs)

    assert gc.get_freeze_count() == 0
    assert run_job(market, Job("k4", "p01", settings.model_dump(mode="json")), backtest).ok
    failing = load_settings((), {**OVERRIDES, "strategy": {"name": "sweep_plugins:Gated", "params": {"fail": True}}})
    assert not run_job(market, Job("k5", "p02", failing.model_dump(mode="json")), backtest).ok
    assert len(frozen) == 2 and min(frozen) > 0
    assert gc.get_freeze_count() == 0


def test_a_point_not_kept_leaves_out_what_its_figures_never_read(setup) -> None:
    """issue 31: signals, positions, risk decisions and intents are most of a point's rows; when
    its journal is not kept they are not written, and its figures are the kept journal's."""
    from brokers.lean.research import lean_or_backtrader

    settings, market = setup
    counted: list[dict[str, int]] = []

    def backtest(market, plugin, settings, path, *, leave_out=()):
        result = lean_or_backtrader(market, plugin, settings, path, leave_out=leave_out)
        with sqlite3.connect(result.journal_path) as db:
            counted.append({t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                            for t in (*UNREAD_BY_RESULTS, "orders", "fills", "equity")})
        return result

    dumped = settings.model_dump(mode="json")
    kept = run_job(market, Job("k6", "p01", dumped, keep_journal=True), backtest)
    not_kept = run_job(market, Job("k7", "p01", dumped), backtest)
    assert kept.ok and not_kept.ok
    assert not_kept.figures == kept.figures and not_kept.figures["fills"] > 0
    assert not_kept.returns is not None and kept.returns is not None
    pd.testing.assert_frame_equal(not_kept.returns, kept.returns)
    whole, part = counted
    assert all(whole[t] > 0 for t in ("signals", "positions", "intents"))
    assert all(part[t] == 0 for t in UNREAD_BY_RESULTS)
    assert {t: part[t] for t in ("orders", "fills", "equity")} == {t: whole[t] for t in ("orders", "fills", "equity")}
