"""The deflated Sharpe ratio and the PBO, held to the papers' worked numbers and to noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from framework.research.overfitting import (
    deflate,
    deflated_sharpe,
    expected_max_sharpe,
    fit_splits,
    probabilistic_sharpe,
    probability_of_overfitting,
    sharpe_per_period,
)


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
