"""The stability check (issue 25): the perturbations are the size venues differ by, a fragile
plugin is flagged with the consequence and the remedies, the shipped ranked plugins pass, and the
intents come from the engine's own planner."""

from __future__ import annotations

from pathlib import Path

import leaky_plugins as leaks
import numpy as np
import pandas as pd
import pytest
import yaml
from cli_invoke import trade_here
from market_once import embedded

from framework.config import resolve_settings
from framework.stability import (
    MAX_INTENT_CHANGE,
    DecisionPath,
    Perturbation,
    check_stability,
    perturb,
    signal_shift,
)
from framework.strategy import compute_signals
from strategies.mean_reversion import MeanReversion
from strategies.momentum import Momentum

HERE = Path(__file__).parent
SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM", "PFE", "KO"]


@pytest.fixture(scope="module")
def market():
    return embedded()


def _settings(name: str | None = None):
    return resolve_settings((), {"strategy": {"name": name}} if name else {}).settings


def test_perturbations_are_the_size_venues_differ_by(market) -> None:
    view = market.adjusted()
    rounded = perturb(market, Perturbation.ROUNDED)
    assert np.allclose(rounded.close, view.close.round(4), equal_nan=True)
    assert float((rounded.close - view.close).abs().max().max()) <= 5e-5 + 1e-12
    noisy = perturb(market, Perturbation.NOISE, seed=3)
    ratio = (noisy.close / view.close - 1).abs().to_numpy()
    assert np.nanmax(ratio) <= 1e-5 and np.nanmax(ratio) > 5e-6
    assert noisy.close.equals(perturb(market, Perturbation.NOISE, seed=3).close)  # seeded
    moved = perturb(market, Perturbation.DIVIDEND_CENT, seed=1)
    paid = market.dividends.notna().to_numpy()
    step = (moved.dividends - market.dividends).to_numpy()[paid]
    assert len(step) > 100 and np.allclose(np.abs(step), 0.01) and (step > 0).any() and (step < 0).any()
    assert (moved.dividends.to_numpy()[paid] > 0).all() and moved.close.equals(market.close)  # raw prices kept


def test_signal_shift_counts_changed_cells_and_nan_against_a_value() -> None:
    idx = pd.date_range("2020-01-01", periods=3)
    a = pd.DataFrame({"A": [0.1, 0.2, np.nan], "B": [np.nan, np.nan, 0.5]}, index=idx)
    b = pd.DataFrame({"A": [0.1, 0.25, 0.3], "B": [np.nan, np.nan, 0.5]}, index=idx)
    shift = signal_shift(Perturbation.NOISE, a, b)
    assert (shift.signals, shift.signals_changed) == (4, 2)
    assert shift.first is not None and shift.first.symbol == "A" and shift.first.date == idx[1]
    assert shift.largest == pytest.approx(0.05)


def test_the_decision_path_is_the_engine_planner_with_its_band(market) -> None:
    # Same signals → the same intents at every decision; a signal change below the rebalance
    # band of a held position is no order once held.
    settings = _settings("momentum")
    history = market.select(SYMBOLS)
    signals = compute_signals(Momentum(), history)
    path = DecisionPath(history, settings)
    since = Momentum().warmup_bars
    reference = path.run(signals, since)
    assert len(reference) > 50 and sum(len(d.intents) for d in reference) > 20
    assert path.compare(reference, signals)[1:] == (0, 0)
    later = [d for d in reference if d.context.held.any()]
    ctx = later[0].context
    nudged = compute_signals(Momentum(), history).copy()
    nudged.loc[pd.Timestamp(ctx.session.date())] *= 1.001
    assert path.compare([later[0]], nudged)[1] == 0  # a 0.1% weight change is not an order


def test_a_fragile_plugin_is_flagged(market) -> None:
    report = check_stability(leaks.FourthDecimal, market.select(SYMBOLS), _settings())
    assert not report.stable
    assert all(s.intent_share > MAX_INTENT_CHANGE and not s.stable for s in report.shifts), report.shifts
    noise = report.shifts[-1]
    assert noise.perturbation is Perturbation.NOISE and noise.intent_share > 0.3 and noise.signal_share > 0.9


@pytest.mark.parametrize(("plugin", "start"), [(Momentum, None), (MeanReversion, "2018-01-02"),
                                               (leaks.RankedReversal, None)], ids=["momentum", "mean_reversion",
                                                                                   "ranked_reversal"])
def test_ranked_plugins_pass(market, plugin, start) -> None:
    """Mean reversion decides every session: its last two years are 500 decisions (all five were
    1,239 and 60% of the file's time); the others decide weekly, over the whole history."""
    name = plugin.name if plugin in (Momentum, MeanReversion) else None
    data = market if start is None else market.between(start, str(market.dates[-1].date()))
    report = check_stability(plugin, data, _settings(name))
    assert report.stable, [(s.perturbation.value, s.intent_share) for s in report.shifts]
    assert all(s.intent_share <= MAX_INTENT_CHANGE for s in report.shifts)
    assert report.decisions > 100


@pytest.fixture
def _cli(capsys, monkeypatch):
    """`trade ...` in this process (the point is the command's report, not the process), with
    this folder importable (the leaky plugins)."""
    monkeypatch.syspath_prepend(str(HERE))
    return lambda *args, cwd: trade_here(list(args), capsys, monkeypatch, cwd)


def test_cli_warns_about_a_fragile_plugin_and_names_the_consequence(_cli, tmp_path) -> None:
    cfg = tmp_path / "small.yaml"
    cfg.write_text(yaml.safe_dump({"data": {"symbols": SYMBOLS}}))
    result = _cli("check-strategy", "leaky_plugins:FourthDecimal", "--config", str(cfg), "--points", "3",
                  "--random", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # no lookahead: a warning, not a failure
    out = result.stdout
    assert "OK: no lookahead found" in out and "UNSTABLE: " in out
    assert "backtest and live will diverge" in out and "remedies:" in out
    for perturbation in ("prices rounded to 4 decimals", "dividends moved by one cent", "±1e-5 relative noise"):
        assert perturbation in out
    quiet = _cli("check-strategy", "leaky_plugins:FourthDecimal", "--config", str(cfg), "--points", "3",
                 "--random", "0", "--no-stability", cwd=tmp_path)
    assert quiet.returncode == 0 and "UNSTABLE" not in quiet.stdout and "stability" not in quiet.stdout


def test_cli_reports_the_adjustment_basis_apart_and_passes_the_ranked_plugin(_cli, tmp_path) -> None:
    result = _cli("check-strategy", "leaky_plugins:RankedReversal", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: no lookahead found" in result.stdout and "LOOKAHEAD" not in result.stdout
    assert "adjustment basis (history adjusted as of each date" in result.stdout
    assert "OK: stable" in result.stdout
