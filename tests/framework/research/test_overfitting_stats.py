"""The deflated Sharpe ratio and the PBO, held to the papers' worked numbers and to noise."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from framework.research.metrics import Metric, measure
from framework.research.overfitting import (
    _combinations,
    _rank_of,
    deflate,
    deflated_sharpe,
    expected_max_sharpe,
    fit_splits,
    null_pbo,
    probabilistic_sharpe,
    probability_of_overfitting,
    reconcile,
    sharpe_per_period,
)
from framework.research.sweep import overfitting_statistics


def test_deflated_sharpe_reproduces_the_papers_numerical_example() -> None:
    # Bailey & López de Prado (2014), numerical example: 100 trials whose annualised Sharpe
    # ratios vary by 1/2, the best at 2.5 annualised over 5 years of daily returns (T = 1250),
    # skewness -3, kurtosis 10. The paper finds SR0 ≈ 0.1132 (non-annualised) and DSR ≈ 0.9004.
    result = deflate(
        sharpe=2.5 / math.sqrt(250), n_obs=1250, skew=-3.0, kurtosis=10.0, n_trials=100, trial_variance=0.5 / 250
    )
    assert result.benchmark == pytest.approx(0.1132, abs=5e-5)
    assert result.probability == pytest.approx(0.9004, abs=5e-5)
    assert not result.significant  # short of the 95% the paper asks for


def test_expected_maximum_matches_simulated_maxima_of_normal_trials() -> None:
    rng = np.random.default_rng(11)
    for n in (10, 100, 1000):
        simulated = rng.standard_normal((4000, n)).max(axis=1).mean()
        assert expected_max_sharpe(n, 1.0) == pytest.approx(simulated, rel=0.03)
    assert expected_max_sharpe(1, 4.0, mean=0.2) == 0.2  # one trial: no selection


def test_probabilistic_sharpe_is_one_half_at_the_benchmark_and_rises_with_length() -> None:
    assert probabilistic_sharpe(0.1, 0.1, 500, 0.0, 3.0) == pytest.approx(0.5)
    short, long_ = (probabilistic_sharpe(0.05, 0.0, n, 0.0, 3.0) for n in (100, 2000))
    assert 0.5 < short < long_ < 1.0
    # negative skew and fat tails widen the estimate's error: less confidence, same Sharpe
    assert probabilistic_sharpe(0.05, 0.0, 1000, -2.0, 9.0) < probabilistic_sharpe(0.05, 0.0, 1000, 0.0, 3.0)


def test_deflated_sharpe_from_returns_uses_their_moments_and_the_trials_spread() -> None:
    rng = np.random.default_rng(5)
    trials = rng.normal(0.0002, 0.01, (750, 20))
    chosen = trials[:, 3]
    result = deflated_sharpe(chosen, trials)
    sharpes = [sharpe_per_period(trials[:, j]) for j in range(20)]
    assert result.n_trials == 20 and result.n_obs == 750
    assert result.trial_variance == pytest.approx(np.var(sharpes, ddof=1))
    assert result.skew == pytest.approx(stats.skew(chosen))
    assert result.kurtosis == pytest.approx(stats.kurtosis(chosen, fisher=False))
    expected = deflate(sharpes[3], 750, result.skew, result.kurtosis, 20, result.trial_variance)
    assert result.probability == pytest.approx(expected.probability)


def test_cscv_forms_every_symmetric_split() -> None:
    # The paper: S = 16 blocks give C(16, 8) = 12,870 in-sample/out-of-sample splits.
    noise = np.random.default_rng(0).normal(0, 0.01, (1000, 10))
    result = probability_of_overfitting(noise, 16)
    assert result.n_combinations == math.comb(16, 8) == 12_870
    assert result.n_obs == 992  # the oldest 1000 mod 16 rows are left out: blocks of 62
    assert probability_of_overfitting(noise, 8).n_combinations == math.comb(8, 4)


@pytest.mark.parametrize("n_splits", [2, 4, 16])
def test_each_split_is_a_half_and_its_complement_in_date_order(n_splits) -> None:
    halves = _combinations(n_splits)
    assert [tuple(c) for c in halves.inside] == list(itertools.combinations(range(n_splits), n_splits // 2))
    for inside, outside in zip(halves.inside, halves.outside, strict=True):
        assert list(outside) == sorted(set(range(n_splits)) - set(inside))


def _recentred(seed: int, n_obs: int = 1000, n_trials: int = 100) -> np.ndarray:
    """The paper's full-overfitting test case: noise trials rescaled and recentred so every
    one has the same mean and volatility over the whole sample (the same Sharpe ratio)."""
    m = np.random.default_rng(seed).standard_normal((n_obs, n_trials))
    m = (m - m.mean(axis=0)) / m.std(axis=0, ddof=1)
    return m / math.sqrt(252) + 0.05 / 252


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trials_with_no_edge_and_equal_sharpe_are_fully_overfit(seed) -> None:
    # Whatever looks best in sample must look worse out of sample: PBO near 1 (the paper's case 1).
    result = probability_of_overfitting(_recentred(seed), 16)
    assert result.probability > 0.9
    assert result.degradation_slope < 0


NOISE_SEEDS = range(12)


def test_a_sweep_of_pure_noise_has_a_high_pbo_and_no_significant_dsr() -> None:
    pbos = []
    for seed in NOISE_SEEDS:
        noise = np.random.default_rng(seed).normal(0.0, 0.01, (1000, 50))
        best = int(np.argmax([sharpe_per_period(noise[:, j]) for j in range(50)]))
        dsr = deflated_sharpe(noise[:, best], noise)
        assert not dsr.significant, seed
        pbos.append(probability_of_overfitting(noise, 16).probability)
    # The in-sample best of noise is a coin toss out of sample: PBO around 1/2, never near 0.
    assert 0.35 < float(np.mean(pbos)) < 0.65
    assert min(pbos) > 0.1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edge=st.floats(0.003, 0.01))
def test_a_real_edge_is_found_out_of_sample_and_is_significant(seed, edge) -> None:
    rng = np.random.default_rng(seed)
    trials = rng.normal(0.0, 0.01, (1000, 30))
    trials[:, 7] += edge  # one trial with a true daily Sharpe of 0.3 to 1 (at 0.2, noise sometimes wins a split)
    assert probability_of_overfitting(trials, 16).probability < 0.05
    assert deflated_sharpe(trials[:, 7], trials).significant


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_pbo_does_not_depend_on_the_order_of_the_trials(seed) -> None:
    rng = np.random.default_rng(seed)
    trials = rng.normal(0.0, 0.01, (400, 12))
    order = rng.permutation(12)
    a, b = probability_of_overfitting(trials, 8), probability_of_overfitting(trials[:, order], 8)
    assert a.probability == b.probability
    np.testing.assert_allclose(np.sort(a.logits), np.sort(b.logits))


def test_split_count_fits_the_length_and_bad_requests_are_refused() -> None:
    assert fit_splits(1000) == 16
    assert fit_splits(30) == 6  # blocks of at least 4 observations
    with pytest.raises(ValueError, match="too few"):
        fit_splits(5)
    with pytest.raises(ValueError, match="even"):
        probability_of_overfitting(np.zeros((100, 3)), 7)
    with pytest.raises(ValueError, match="at least 2 trials"):
        probability_of_overfitting(np.zeros((100, 1)), 4)


# -- issue 28 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n_trials", [2, 3, 4, 5])
def test_the_pbo_of_noise_is_the_stated_null_baseline(n_trials) -> None:
    # Defect 5: "pure noise gives about 0.5" holds for even N only; for odd N it is (N+1)/2N.
    pbos = [probability_of_overfitting(np.random.default_rng(seed).normal(0, 0.01, (480, n_trials)), 8).probability
            for seed in range(300)]
    result = probability_of_overfitting(np.random.default_rng(0).normal(0, 0.01, (480, n_trials)), 8)
    assert result.null_baseline == null_pbo(n_trials) == ((n_trials + 1) // 2) / n_trials
    assert float(np.mean(pbos)) == pytest.approx(result.null_baseline, abs=0.05)  # 3.5 standard errors
    assert f"pure noise gives {result.null_baseline:.0%}" in result.reading()
    assert result.as_dict()["null_baseline"] == result.null_baseline


CALMAR_CASE = np.random.default_rng(21).normal(0.0004, 0.01, (240, 4))


def test_pbo_ranks_by_the_chosen_metric_as_empyrical_computes_it() -> None:
    # Defect 3: with metric calmar the sweep's PBO ranked by Sharpe all the same.
    result = probability_of_overfitting(CALMAR_CASE, 6, Metric.CALMAR)
    assert result.metric is Metric.CALMAR and result.as_dict()["metric"] == "calmar"
    blocks = CALMAR_CASE.reshape(6, 40, 4)
    for split, half in enumerate(itertools.combinations(range(6), 3)):
        rest = [b for b in range(6) if b not in half]
        ins = [measure(Metric.CALMAR, pd.Series(blocks[list(half), :, j].ravel())) for j in range(4)]
        outs = [measure(Metric.CALMAR, pd.Series(blocks[rest, :, j].ravel())) for j in range(4)]
        chosen = int(np.nanargmax(ins))
        assert result.in_sample[split] == pytest.approx(ins[chosen], rel=1e-9)
        assert result.out_of_sample[split] == pytest.approx(outs[chosen], rel=1e-9)
    assert "ranked by calmar" in result.reading()


@pytest.mark.parametrize("metric", [Metric.SORTINO, Metric.CAGR, Metric.TOTAL_RETURN, Metric.MAX_DRAWDOWN])
def test_every_metric_scores_the_halves_as_empyrical_does(metric) -> None:
    result = probability_of_overfitting(CALMAR_CASE, 4, metric)
    blocks = CALMAR_CASE.reshape(4, 60, 4)
    for split, half in enumerate(itertools.combinations(range(4), 2)):
        ins = [measure(metric, pd.Series(blocks[list(half), :, j].ravel())) for j in range(4)]
        assert result.in_sample[split] == pytest.approx(max(ins), rel=1e-9)


def test_a_sweep_ranked_by_calmar_gets_a_calmar_pbo() -> None:
    matrix = pd.DataFrame(CALMAR_CASE, columns=["p1", "p2", "p3", "p4"])
    _, pbo = overfitting_statistics(matrix, "p1", 6, Metric.CALMAR, attempted=4, interval_draws=0)
    assert pbo is not None and pbo.metric is Metric.CALMAR
    assert pbo.probability == probability_of_overfitting(CALMAR_CASE, 6, Metric.CALMAR).probability


def test_failed_points_count_as_trials_in_the_dsr() -> None:
    # Defect 4: 6 of 8 points failed and the DSR deflated for the 2 that finished.
    matrix = pd.DataFrame(np.random.default_rng(4).normal(0.001, 0.01, (500, 2)), columns=["p1", "p2"])
    dsr, _ = overfitting_statistics(matrix, "p1", 8, Metric.SHARPE, attempted=8, interval_draws=0)
    assert dsr is not None and dsr.n_trials == 8
    finished_only = deflated_sharpe(matrix["p1"].to_numpy(), matrix.to_numpy())
    assert finished_only.n_trials == 2 and dsr.benchmark > finished_only.benchmark


def test_the_pbo_has_an_interval_and_a_trim_range_around_it() -> None:
    # Defect 6: the PBO moved 0.38 -> 0.46 with which rows were left out, and nothing said so.
    noise = np.random.default_rng(9).normal(0, 0.01, (1000, 6))
    result = probability_of_overfitting(noise, 16, interval_draws=60)
    low, high = result.interval
    assert 0.0 <= low < high <= 1.0
    trim_low, trim_high = result.trim_range
    assert trim_low <= result.probability <= trim_high  # 1000 mod 16 = 8: nine ways to leave 8 rows out
    assert trim_low < trim_high
    assert f"{low:.0%}–{high:.0%}" in result.reading()
    assert result.as_dict()["interval"] == [low, high]


def test_a_significant_dsr_beside_an_overfit_pbo_is_reconciled_in_words() -> None:
    # Defect 6: "DSR 0.99 significant" beside "PBO 84% likely overfit" with nothing between them.
    rng = np.random.default_rng(2)
    common = rng.normal(0.002, 0.01, (1000, 1))
    near_twins = common + rng.normal(0, 0.001, (1000, 5))  # one idea, five nearby parameters
    dsr = deflated_sharpe(near_twins[:, 0], near_twins)
    pbo = probability_of_overfitting(near_twins, 16)
    assert dsr.significant and pbo.probability >= pbo.null_baseline - 0.1
    text = reconcile(dsr, pbo)
    assert text is not None and "disagree" in text and "correlated" in text
    edge = rng.normal(0, 0.01, (1000, 6))
    edge[:, 2] += 0.006
    both = reconcile(deflated_sharpe(edge[:, 2], edge), probability_of_overfitting(edge, 16))
    assert both is not None and "Both favour the best point" in both


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 40), cols=st.integers(1, 12))
def test_the_one_rank_a_split_uses_is_scipys_average_rank(seed, rows, cols) -> None:
    """The PBO ranks only the in-sample best's out-of-sample score; it must be the rank scipy
    gives that cell, ties averaged and an undefined score (-inf) last."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(-3, 4, (rows, cols)).astype(float)  # few values: many ties
    scores[rng.random((rows, cols)) < 0.2] = -np.inf
    column = rng.integers(0, cols, rows)
    expected = stats.rankdata(scores, axis=1)[np.arange(rows), column]
    np.testing.assert_array_equal(_rank_of(scores, column), expected)
