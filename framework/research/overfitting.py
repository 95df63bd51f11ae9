"""How much of a sweep's best result is selection luck: the deflated Sharpe ratio and the PBO.

- **Deflated Sharpe ratio** (Bailey & López de Prado, 2014, "The Deflated Sharpe Ratio:
  Correcting for Selection Bias, Backtest Overfitting and Non-Normality"): the probabilistic
  Sharpe ratio of the chosen point against the Sharpe ratio the best of N trials would show by
  luck alone, ``SR0 = sqrt(V[SR_n]) ((1-γ) Z⁻¹[1-1/N] + γ Z⁻¹[1-1/(N e)])``, with the chosen
  returns' skewness and kurtosis: ``DSR = Z[(SR - SR0) sqrt(T-1) / sqrt(1 - γ3 SR + (γ4-1)/4 SR²)]``.
  Sharpe ratios are per observation (daily here), not annualised.
- **Probability of backtest overfitting** by combinatorially symmetric cross-validation
  (Bailey, Borwein, López de Prado & Zhu, 2015, "The Probability of Backtest Overfitting"):
  the T × N matrix of the trials' returns is cut into S blocks; for each of the C(S, S/2)
  ways to call half of them in-sample, the in-sample best trial's out-of-sample Sharpe rank
  ω among the N gives a logit λ = ln(ω / (1 - ω)); PBO is the share of λ ≤ 0 (the in-sample
  best landed at or below the out-of-sample median).

Pure numbers in, numbers out; the sweep feeds them and the report reads them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: The 95% confidence the paper asks of a deflated Sharpe ratio.
SIGNIFICANCE = 0.95
#: CSCV's partition count in the paper; C(16, 8) = 12,870 in/out splits.
DEFAULT_SPLITS = 16
MAX_SPLITS = 16  # C(18, 9) = 48,620 splits × N trials no longer fits comfortably in memory


def expected_max_sharpe(n_trials: int, variance: float, mean: float = 0.0) -> float:
    """The expected maximum of ``n_trials`` Sharpe ratios with that mean and variance (luck alone)."""
    if n_trials < 2:
        return mean
    gamma = np.euler_gamma
    z = stats.norm.ppf
    return mean + math.sqrt(max(variance, 0.0)) * (
        (1 - gamma) * z(1 - 1 / n_trials) + gamma * z(1 - 1 / (n_trials * math.e))
    )


def probabilistic_sharpe(sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float) -> float:
    """P(true Sharpe > ``benchmark``) given the estimate, its length and its returns' shape.

    ``kurtosis`` is the plain (not excess) kurtosis: 3 for normal returns.
    """
    spread = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if n_obs < 2 or not spread > 0 or not math.isfinite(sharpe):
        return math.nan
    return float(stats.norm.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(spread)))


@dataclass(frozen=True, slots=True)
class DeflatedSharpe:
    sharpe: float  # the chosen trial's, per observation
    benchmark: float  # SR0: the expected best Sharpe of n_trials by luck
    probability: float  # DSR: P(true Sharpe > 0) after deflating for the trials
    n_trials: int
    trial_variance: float
    n_obs: int
    skew: float
    kurtosis: float

    @property
    def significant(self) -> bool:
        return self.probability >= SIGNIFICANCE

    def reading(self) -> str:
        if not math.isfinite(self.probability):
            return "Not defined: the best point's returns have no variance."
        verdict = (
            "significant at 95%: more than the luckiest of that many tries would show"
            if self.significant
            else "not significant at 95%: the luckiest of that many tries could show as much"
        )
        return (
            f"DSR {self.probability:.2f}: after deflating for {self.n_trials} trials, the best Sharpe "
            f"({self.sharpe:.4f} a day against {self.benchmark:.4f} expected from luck) is {verdict}."
        )

    def as_dict(self) -> dict[str, float | int | bool | None]:
        return {
            "dsr": _finite(self.probability),
            "sharpe": _finite(self.sharpe),
            "expected_max_sharpe": _finite(self.benchmark),
            "n_trials": self.n_trials,
            "trial_sharpe_variance": _finite(self.trial_variance),
            "n_obs": self.n_obs,
            "skew": _finite(self.skew),
            "kurtosis": _finite(self.kurtosis),
            "significant": self.significant,
        }


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def deflate(
    sharpe: float, n_obs: int, skew: float, kurtosis: float, n_trials: int, trial_variance: float
) -> DeflatedSharpe:
    """The DSR from summary statistics (per-observation Sharpe ratios, plain kurtosis)."""
    benchmark = expected_max_sharpe(n_trials, trial_variance)
    probability = probabilistic_sharpe(sharpe, benchmark, n_obs, skew, kurtosis)
    return DeflatedSharpe(sharpe, benchmark, probability, n_trials, trial_variance, n_obs, skew, kurtosis)


def sharpe_per_period(returns: np.ndarray) -> float:
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    if len(r) < 2:
        return math.nan
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r)) / sd if sd > 0 else math.nan


def deflated_sharpe(chosen: np.ndarray | pd.Series, trials: np.ndarray | pd.DataFrame) -> DeflatedSharpe:
    """DSR of ``chosen`` (daily returns of the selected trial) among ``trials`` (T × N returns).

    N counts every trial, an upper bound on the independent ones (nearby grid points are
    correlated), so the deflation errs on the strict side.
    """
    r = np.asarray(chosen, dtype=float)
    r = r[np.isfinite(r)]
    matrix = np.asarray(trials, dtype=float)
    sharpes = np.array([sharpe_per_period(matrix[:, j]) for j in range(matrix.shape[1])])
    sharpes = sharpes[np.isfinite(sharpes)]
    variance = float(np.var(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    flat = len(r) < 2 or not np.std(r) > 0
    skew = math.nan if flat else float(stats.skew(r))
    kurtosis = math.nan if flat else float(stats.kurtosis(r, fisher=False))
    return deflate(sharpe_per_period(r), len(r), skew, kurtosis, max(len(sharpes), 1), variance)


@dataclass(frozen=True, eq=False)
class OverfittingProbability:
    probability: float  # PBO
    logits: np.ndarray  # λ per split
    in_sample: np.ndarray  # the in-sample best trial's in-sample Sharpe, per split
    out_of_sample: np.ndarray  # and its out-of-sample Sharpe
    n_splits: int  # S
    n_trials: int  # N
    n_obs: int  # T used (the oldest T mod S rows are left out, so blocks are equal)

    @property
    def n_combinations(self) -> int:
        return len(self.logits)

    @property
    def degradation_slope(self) -> float:
        """Slope of out-of-sample on in-sample Sharpe across splits (negative: in-sample luck)."""
        if len(self.in_sample) < 2 or not np.ptp(self.in_sample) > 0:
            return math.nan
        return float(np.polyfit(self.in_sample, self.out_of_sample, 1)[0])

    @property
    def probability_of_loss(self) -> float:
        return float(np.mean(self.out_of_sample < 0))

    def reading(self) -> str:
        if self.probability < 0.1:
            verdict = "the in-sample choice carries over out of sample"
        elif self.probability < 0.5:
            verdict = "part of the in-sample edge is selection luck"
        else:
            verdict = "choosing the best point is no better than chance: likely overfit"
        return (
            f"PBO {self.probability:.0%}: in {self.probability:.0%} of {self.n_combinations:,} splits the "
            f"in-sample best of {self.n_trials} points fell to or below the out-of-sample median; {verdict}."
        )

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "pbo": float(self.probability),
            "n_splits": self.n_splits,
            "n_combinations": self.n_combinations,
            "n_trials": self.n_trials,
            "n_obs": self.n_obs,
            "degradation_slope": _finite(self.degradation_slope),
            "probability_of_loss": float(self.probability_of_loss),
        }


def fit_splits(n_obs: int, requested: int = DEFAULT_SPLITS, min_block: int = 4) -> int:
    """The largest even S <= ``requested`` whose blocks hold at least ``min_block`` rows."""
    s = min(requested, MAX_SPLITS, n_obs // min_block)
    s -= s % 2
    if s < 2:
        raise ValueError(f"{n_obs} observations are too few for CSCV (need at least {2 * min_block})")
    return s


def _sharpes(total: np.ndarray, squares: np.ndarray, n: int) -> np.ndarray:
    mean = total / n
    variance = np.maximum((squares - n * mean**2) / (n - 1), 0.0)
    sd = np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0), 0.0)  # no variance: no edge


def probability_of_overfitting(
    returns: np.ndarray | pd.DataFrame, n_splits: int = DEFAULT_SPLITS
) -> OverfittingProbability:
    """PBO by CSCV over ``returns`` (T observations × N trials), Sharpe ratio as the measure."""
    matrix = np.nan_to_num(np.asarray(returns, dtype=float), nan=0.0)
    n_obs, n_trials = matrix.shape
    if n_trials < 2:
        raise ValueError("PBO needs at least 2 trials")
    if n_splits < 2 or n_splits % 2 or n_splits > MAX_SPLITS:
        raise ValueError(f"n_splits must be even, between 2 and {MAX_SPLITS}; got {n_splits}")
    rows = n_obs // n_splits
    if rows < 2:
        raise ValueError(f"{n_obs} observations are too few for {n_splits} blocks")
    blocks = matrix[n_obs - rows * n_splits :].reshape(n_splits, rows, n_trials)
    total, squares = blocks.sum(axis=1), (blocks**2).sum(axis=1)  # S × N
    combos = np.array(list(itertools.combinations(range(n_splits), n_splits // 2)))
    mask = np.zeros((len(combos), n_splits))
    mask[np.arange(len(combos))[:, None], combos] = 1.0
    n_half = rows * (n_splits // 2)
    is_sum, is_sq = mask @ total, mask @ squares
    is_sharpe = _sharpes(is_sum, is_sq, n_half)
    oos_sharpe = _sharpes(total.sum(axis=0) - is_sum, squares.sum(axis=0) - is_sq, n_half)
    chosen = np.argmax(is_sharpe, axis=1)
    picked = np.arange(len(combos))
    rank = stats.rankdata(oos_sharpe, axis=1)[picked, chosen]
    omega = rank / (n_trials + 1)
    logits = np.log(omega / (1 - omega))
    return OverfittingProbability(
        float(np.mean(logits <= 0)),
        logits,
        is_sharpe[picked, chosen],
        oos_sharpe[picked, chosen],
        n_splits,
        n_trials,
        rows * n_splits,
    )


__all__ = [
    "DEFAULT_SPLITS",
    "SIGNIFICANCE",
    "DeflatedSharpe",
    "OverfittingProbability",
    "deflate",
    "deflated_sharpe",
    "expected_max_sharpe",
    "fit_splits",
    "probabilistic_sharpe",
    "probability_of_overfitting",
    "sharpe_per_period",
]
