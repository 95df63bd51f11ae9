"""The signal statistics against worked examples and independent arithmetic (scipy, statsmodels'
numbers), and a planted signal whose IC, decay and quantile spread are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from framework.research.model_diagnostics import auc, calibration
from framework.research.signal_quality import (
    daily_ic,
    forward_returns,
    group_turnover,
    mean_test,
    measure,
    newey_west_se,
    quantile_labels,
    verdict,
)

WORKED = np.array([0.05, -0.02, 0.03, 0.04, -0.01, 0.06, 0.02, -0.03, 0.01, 0.05])


@pytest.mark.parametrize(
    ("lags", "expected"),
    # statsmodels 0.15: OLS(WORKED, ones).fit(cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": False}).bse
    [(0, 0.009486832980505134), (1, 0.007745966692414831), (2, 0.00516397779494322), (4, 0.004289522117905442)],
)
def test_newey_west_error_matches_statsmodels_on_a_worked_series(lags, expected) -> None:
    assert newey_west_se(WORKED, lags) == pytest.approx(expected, rel=1e-12)


def test_newey_west_widens_the_error_of_overlapping_sums() -> None:
    # 5-day sums of unit white noise overlap by 4 days: autocovariances 5, 4, 3, 2, 1. The plain
    # error sees only the 5; Bartlett weights with 4 lags give 5 + 2(.8·4 + .6·3 + .4·2 + .2·1) = 17
    # (the true long-run variance is 25: NW with h - 1 lags still errs a little low, which is why the
    # report prints the non-overlapping t beside it).
    rng = np.random.default_rng(3)
    overlapping = np.convolve(rng.normal(0, 1, 200_005), np.ones(5), "valid")
    n = len(overlapping)
    assert newey_west_se(overlapping, 0) == pytest.approx(math.sqrt(5 / n), rel=0.03)
    assert newey_west_se(overlapping, 4) == pytest.approx(math.sqrt(17 / n), rel=0.03)


def test_daily_ic_is_spearman_of_each_date() -> None:
    rng = np.random.default_rng(8)
    signal = pd.DataFrame(rng.normal(size=(30, 12)))
    forward = signal * 0.3 + pd.DataFrame(rng.normal(size=(30, 12)))
    signal.iloc[4, :9] = np.nan  # 3 names left: below the minimum, no IC
    forward.iloc[7, 2] = np.nan
    ic = daily_ic(signal, forward)
    for day in (0, 7, 29):
        both = signal.iloc[day].notna() & forward.iloc[day].notna()
        expected = stats.spearmanr(signal.iloc[day][both], forward.iloc[day][both]).statistic
        assert ic.iloc[day] == pytest.approx(expected)
    assert math.isnan(ic.iloc[4])


def test_forward_return_and_non_overlapping_t() -> None:
    close = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0]})
    assert forward_returns(close, 2)["A"].tolist()[:2] == pytest.approx([-0.01, -0.1])
    assert forward_returns(close, 2)["A"].isna().tolist()[2:] == [True, True]
    series = pd.Series([0.1, 9.0, 0.3, 9.0, 0.2, 9.0, 0.4])
    result = mean_test(series, 2)  # every 2nd date: 0.1, 0.3, 0.2, 0.4
    assert result.t_non_overlapping == pytest.approx(stats.ttest_1samp([0.1, 0.3, 0.2, 0.4], 0).statistic)
    assert result.mean == pytest.approx(series.mean())
    assert result.t == pytest.approx(series.mean() / newey_west_se(series.to_numpy(), 1))


def test_quantiles_share_the_names_and_turnover_counts_newcomers() -> None:
    signal = pd.DataFrame([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]], dtype=float)
    labels = quantile_labels(signal, signal, 5)
    assert labels.iloc[0].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert group_turnover(labels, 5).tolist()[1] == 1.0  # the top two are new names
    same = quantile_labels(pd.concat([signal.iloc[:1]] * 2, ignore_index=True), signal, 5)
    assert group_turnover(same, 5).tolist()[1] == 0.0


def test_auc_and_calibration_by_hand() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)  # 3 of 4 pairs ordered
    assert auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    predicted = pd.Series(np.linspace(0, 1, 100))
    bins = calibration(predicted, predicted * 2, bins=4)
    assert bins["n"].tolist() == [25] * 4
    assert bins["realised"].to_numpy() == pytest.approx(2 * bins["predicted"].to_numpy())


def planted(beta: float, n_dates: int = 500, n_names: int = 40, sigma: float = 0.01, seed: int = 5):
    """Signals z (iid normal) and closes whose next return is beta·z + noise: the IC is known."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_dates, n_names))
    returns = beta * z + rng.normal(0, sigma, (n_dates, n_names))
    close = 100 * np.cumprod(np.vstack([np.ones(n_names), 1 + returns[:-1]]), axis=0)
    index = pd.bdate_range("2018-01-02", periods=n_dates)
    return pd.DataFrame(z, index=index), pd.DataFrame(close, index=index)


def spearman_of_normals(rho: float) -> float:
    return 6 / math.pi * math.asin(rho / 2)


def test_a_planted_signal_reproduces_its_ic_decay_and_spread() -> None:
    beta, sigma = 0.002, 0.01
    signal, close = planted(beta, sigma=sigma)
    quality = measure(signal, close, (1, 5), primary=1)
    rho = beta / math.hypot(beta, sigma)
    one, five = quality.at(1), quality.at(5)
    assert one.ic_test.mean == pytest.approx(spearman_of_normals(rho), abs=0.02)
    assert five.ic_test.mean == pytest.approx(spearman_of_normals(rho / math.sqrt(5)), abs=0.02)
    assert one.ic_test.t > 10
    # top-minus-bottom: beta × the gap between the mean of the top and bottom 8 of 40 normals
    draws = np.sort(np.random.default_rng(0).standard_normal((20_000, 40)), axis=1)
    gap = float((draws[:, -8:].mean(axis=1) - draws[:, :8].mean(axis=1)).mean())
    assert one.spread_test.mean == pytest.approx(beta * gap, rel=0.08)
    assert quality.coverage.share == 1.0
    assert quality.top_turnover == pytest.approx(0.8, abs=0.05)  # iid signal: 1 - 1/5 stays
    assert abs(quality.mean_autocorrelation) < 0.02
    assert verdict(quality).startswith("Predictive")


def test_no_signal_gets_no_predictive_power() -> None:
    signal, close = planted(0.0)
    quality = measure(signal, close, (1, 5), primary=5)
    assert abs(quality.at(5).ic_test.t) < 2
    assert verdict(quality).startswith("No predictive power")
