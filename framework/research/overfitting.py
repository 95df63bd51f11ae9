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
  best landed at or below the out-of-sample median). Trials are ranked by the sweep's own
  metric (the paper's Sharpe ratio by default), so PBO judges the choice the sweep made.
  Under pure noise the out-of-sample rank of the in-sample best is uniform on 1..N, so PBO's
  **null baseline** is ⌊(N+1)/2⌋ / N: (N+1)/2N for odd N (0.67 at N = 3), 1/2 for even N; only
  a PBO well below it says the choice carries over. Its **interval** comes from a bootstrap
  of the days within each CSCV block (never across blocks: a day in both halves would flatter
  the choice), beside the range over which T mod S rows are left out.
- **They answer different questions.** The DSR asks whether the best point's own returns beat
  what the luckiest of N independent tries would show; the PBO asks whether ranking the points
  in one half of the period predicts their ranking in the other. A few, correlated points (one
  grid around one idea) can give a DSR near 1 (a genuinely positive Sharpe ratio that nearby
  points share) and a high PBO (which of those near-twins is best is luck): the strategy may earn,
  the parameter choice is not to be trusted (:func:`reconcile` says so in words).

Pure numbers in, numbers out; the sweep feeds them and the report reads them.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from framework.research.metrics import Metric

#: The 95% confidence the paper asks of a deflated Sharpe ratio.
SIGNIFICANCE = 0.95
#: CSCV's partition count in the paper; C(16, 8) = 12,870 in/out splits.
DEFAULT_SPLITS = 16
MAX_SPLITS = 16  # C(18, 9) = 48,620 splits × N trials no longer fits comfortably in memory
#: Bootstrap draws for the PBO's interval, its level, and the splits each draw samples at most.
INTERVAL_DRAWS, INTERVAL_LEVEL, INTERVAL_SPLITS = 200, 0.90, 1000
PERIODS_A_YEAR = 252  # empyrical's daily annualisation, so the metrics agree with `trade backtest`


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


def deflated_sharpe(
    chosen: np.ndarray | pd.Series, trials: np.ndarray | pd.DataFrame, attempted: int | None = None
) -> DeflatedSharpe:
    """DSR of ``chosen`` (daily returns of the selected trial) among ``trials`` (T × N returns).

    N counts every trial, an upper bound on the independent ones (nearby grid points are
    correlated), so the deflation errs on the strict side. ``attempted``: every trial tried,
    failed ones included (a failure is still a try; only the finished ones give a variance).
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
    n_trials = max(len(sharpes), attempted or 0, 1)
    return deflate(sharpe_per_period(r), len(r), skew, kurtosis, n_trials, variance)


@dataclass(frozen=True, eq=False)
class OverfittingProbability:
    probability: float  # PBO
    logits: np.ndarray  # λ per split
    in_sample: np.ndarray  # the in-sample best trial's in-sample Sharpe, per split
    out_of_sample: np.ndarray  # and its out-of-sample Sharpe
    n_splits: int  # S
    n_trials: int  # N
    n_obs: int  # T used (the oldest T mod S rows are left out, so blocks are equal)
    metric: Metric = Metric.SHARPE  # what ranks the trials in and out of sample
    interval: tuple[float, float] = (math.nan, math.nan)  # bootstrap, INTERVAL_LEVEL
    trim_range: tuple[float, float] = (math.nan, math.nan)  # over which T mod S rows are left out

    @property
    def null_baseline(self) -> float:
        return null_pbo(self.n_trials)

    @property
    def n_combinations(self) -> int:
        return len(self.logits)

    @property
    def degradation_slope(self) -> float:
        """Slope of out-of-sample on in-sample metric across splits (negative: in-sample luck)."""
        both = np.isfinite(self.in_sample) & np.isfinite(self.out_of_sample)
        x, y = self.in_sample[both], self.out_of_sample[both]
        if len(x) < 2 or not np.ptp(x) > 0:
            return math.nan
        return float(np.polyfit(x, y, 1)[0])

    @property
    def probability_of_loss(self) -> float:
        return float(np.mean(self.out_of_sample < 0))

    def reading(self) -> str:
        baseline = self.null_baseline
        if self.probability < 0.1:
            verdict = "the in-sample choice carries over out of sample"
        elif self.probability < baseline - 0.1:
            verdict = "part of the in-sample edge is selection luck"
        elif self.probability <= baseline + 0.1:
            verdict = "choosing the best point is no better than chance: likely overfit"
        else:
            verdict = "the in-sample best does worse out of sample than a random pick would: overfit"
        low, high = self.interval
        spread = f" ({INTERVAL_LEVEL:.0%} interval {low:.0%}–{high:.0%})" if math.isfinite(low) else ""
        return (
            f"PBO {self.probability:.0%}{spread}, ranked by {self.metric.value}: in {self.probability:.0%} of "
            f"{self.n_combinations:,} splits the in-sample best of {self.n_trials} points fell to or below the "
            f"out-of-sample median, where pure noise gives {baseline:.0%}; {verdict}."
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
            "metric": self.metric.value,
            "null_baseline": self.null_baseline,
            "interval": [_finite(x) for x in self.interval],
            "interval_level": INTERVAL_LEVEL,
            "trim_range": [_finite(x) for x in self.trim_range],
        }


def null_pbo(n_trials: int) -> float:
    """PBO of pure noise: P(a uniform rank among N is at or below the median) = ⌊(N+1)/2⌋ / N."""
    return (n_trials + 1) // 2 / n_trials if n_trials > 0 else math.nan


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


@dataclass(frozen=True, eq=False)
class _BlockStats:
    """What each metric needs of each block (S × N arrays), so a half of S/2 blocks is scored by
    combining them, never by walking its rows: sums for the means and deviations; the growth,
    the lowest and highest wealth and the worst drawdown inside the block (wealth 1 at its start)
    for the compounded figures. The drawdown of blocks in a row composes exactly: at each day
    ``wealth / max(peak before, peak inside) - 1 = min(W·w/P, w/m) - 1``."""

    rows: int
    total: np.ndarray
    squares: np.ndarray
    downside: np.ndarray  # sum of min(r, 0)²
    growth: np.ndarray
    trough: np.ndarray
    peak: np.ndarray
    drawdown: np.ndarray  # worst inside the block, from its own start

    @classmethod
    def of(cls, blocks: np.ndarray) -> _BlockStats:
        wealth = np.cumprod(1.0 + blocks, axis=1)  # S × rows × N
        high = np.maximum(np.maximum.accumulate(wealth, axis=1), 1.0)
        downside = (np.minimum(blocks, 0.0) ** 2).sum(axis=1)
        worst = np.minimum((wealth / high).min(axis=1) - 1.0, 0.0)
        return cls(blocks.shape[1], blocks.sum(axis=1), (blocks**2).sum(axis=1), downside, wealth[:, -1],
                   np.minimum(wealth.min(axis=1), 1.0), high[:, -1], worst)


def _half(stats: _BlockStats, picked: np.ndarray, metric: Metric) -> np.ndarray:
    """``metric`` of each trial over each row of ``picked`` (splits × S/2 block numbers, in date
    order), as empyrical computes it on those rows joined."""
    n = stats.rows * picked.shape[1]
    if metric is Metric.SHARPE:
        return _sharpes(stats.total[picked].sum(axis=1), stats.squares[picked].sum(axis=1), n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if metric is Metric.SORTINO:
            risk = np.sqrt(stats.downside[picked].sum(axis=1) / n) * math.sqrt(PERIODS_A_YEAR)
            return stats.total[picked].sum(axis=1) / n * PERIODS_A_YEAR / risk
        growth = np.prod(stats.growth[picked], axis=1)
        if metric is Metric.TOTAL_RETURN:
            return growth - 1.0
        cagr = growth ** (PERIODS_A_YEAR / n) - 1.0
        if metric is Metric.CAGR:
            return cagr
        shape = (picked.shape[0], stats.total.shape[1])
        wealth, peak, drawdown = np.ones(shape), np.ones(shape), np.zeros(shape)
        for j in range(picked.shape[1]):
            b = picked[:, j]
            drawdown = np.minimum(drawdown, np.minimum(wealth * stats.trough[b] / peak, 1.0 + stats.drawdown[b]) - 1.0)
            peak = np.maximum(peak, wealth * stats.peak[b])
            wealth = wealth * stats.growth[b]
        if metric is Metric.MAX_DRAWDOWN:
            return drawdown
        return np.where(drawdown < 0, cagr / np.abs(drawdown), np.nan)  # calmar


def _split_scores(blocks: np.ndarray, halves: _Halves, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's metric over each split's in-sample and out-of-sample halves."""
    stats = _BlockStats.of(blocks)
    return _half(stats, halves.inside, metric), _half(stats, halves.outside, metric)


def _rank_of(scores: np.ndarray, column: np.ndarray) -> np.ndarray:
    """Per row, the rank of ``scores[row, column[row]]`` among the row's scores, ties averaged:
    ``scipy.stats.rankdata(scores, axis=1)`` at those cells, without ranking every cell (a sort of
    12,870 x N scores for the one rank a split uses was half the PBO's time)."""
    value = scores[np.arange(len(scores)), column][:, None]
    below, tied = (scores < value).sum(axis=1), (scores == value).sum(axis=1)
    return below + (tied + 1) / 2


def _cscv(blocks: np.ndarray, halves: _Halves, metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per split: the logit of the in-sample best's out-of-sample rank, and its two scores."""
    is_score, oos_score = _split_scores(blocks, halves, metric)
    is_ranked = np.where(np.isfinite(is_score), is_score, -np.inf)  # undefined: never the best
    oos_ranked = np.where(np.isfinite(oos_score), oos_score, -np.inf)  # and last out of sample
    chosen = np.argmax(is_ranked, axis=1)
    picked = np.arange(len(halves.inside))
    rank = _rank_of(oos_ranked, chosen)
    omega = rank / (blocks.shape[2] + 1)
    return np.log(omega / (1 - omega)), is_score[picked, chosen], oos_score[picked, chosen]


@dataclass(frozen=True, eq=False)
class _Halves:
    """Per split, the in-sample block numbers and the out-of-sample ones, each in date order."""

    inside: np.ndarray
    outside: np.ndarray

    def subset(self, rows: np.ndarray) -> _Halves:
        return _Halves(self.inside[rows], self.outside[rows])


@functools.cache
def _combinations(n_splits: int) -> _Halves:
    """Every in-sample half and its out-of-sample complement, both ascending (one mask for all
    12,870 splits of 16 blocks: a set difference per split cost ~0.5 s a sweep)."""
    inside = np.array(list(itertools.combinations(range(n_splits), n_splits // 2)))
    out = np.ones((len(inside), n_splits), dtype=bool)
    out[np.arange(len(inside))[:, None], inside] = False
    return _Halves(inside, np.nonzero(out)[1].reshape(len(inside), n_splits - n_splits // 2))


def _blocks(matrix: np.ndarray, n_splits: int, skip: int) -> np.ndarray:
    """S equal blocks of the rows after the first ``skip`` (the rest of T mod S left at the end)."""
    rows = len(matrix) // n_splits
    return matrix[skip : skip + rows * n_splits].reshape(n_splits, rows, matrix.shape[1])


def pbo_interval(
    matrix: np.ndarray, n_splits: int, metric: Metric = Metric.SHARPE, draws: int = INTERVAL_DRAWS, seed: int = 0
) -> tuple[float, float]:
    """A bootstrap interval of the PBO: each draw resamples the days of every CSCV block from
    that block alone (so in-sample and out-of-sample never share a day, which would flatter the
    choice) and scores a random subset of the splits."""
    rng = np.random.default_rng(seed)
    rows = len(matrix) // n_splits
    blocks = _blocks(matrix, n_splits, len(matrix) - rows * n_splits)
    combos = _combinations(n_splits)
    values = []
    for _ in range(draws):
        picks = rng.integers(0, rows, size=(n_splits, rows))
        sample = np.take_along_axis(blocks, picks[:, :, None], axis=1)
        subset = combos if len(combos.inside) <= INTERVAL_SPLITS else combos.subset(
            rng.choice(len(combos.inside), INTERVAL_SPLITS, replace=False))
        logits, _, _ = _cscv(sample, subset, metric)
        values.append(float(np.mean(logits <= 0)))
    tail = (1 - INTERVAL_LEVEL) / 2
    return float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))


def probability_of_overfitting(
    returns: np.ndarray | pd.DataFrame,
    n_splits: int = DEFAULT_SPLITS,
    metric: Metric | str = Metric.SHARPE,
    *,
    interval_draws: int = 0,
) -> OverfittingProbability:
    """PBO by CSCV over ``returns`` (T observations × N trials), trials ranked by ``metric``.

    ``interval_draws`` > 0 adds the bootstrap interval and the range over which T mod S rows are
    left out (each a full recomputation: the sweep asks for them, the tests mostly not).
    """
    metric = Metric(metric)
    matrix = np.nan_to_num(np.asarray(returns, dtype=float), nan=0.0)
    n_obs, n_trials = matrix.shape
    if n_trials < 2:
        raise ValueError("PBO needs at least 2 trials")
    if n_splits < 2 or n_splits % 2 or n_splits > MAX_SPLITS:
        raise ValueError(f"n_splits must be even, between 2 and {MAX_SPLITS}; got {n_splits}")
    rows = n_obs // n_splits
    if rows < 2:
        raise ValueError(f"{n_obs} observations are too few for {n_splits} blocks")
    combos = _combinations(n_splits)
    left_out = n_obs - rows * n_splits
    logits, in_sample, out_of_sample = _cscv(_blocks(matrix, n_splits, left_out), combos, metric)
    interval = trim = (math.nan, math.nan)
    if interval_draws > 0:
        interval = pbo_interval(matrix, n_splits, metric, interval_draws)
        trimmed = [float(np.mean(_cscv(_blocks(matrix, n_splits, k), combos, metric)[0] <= 0))
                   for k in range(left_out + 1)]
        trim = (min(trimmed), max(trimmed))
    return OverfittingProbability(
        float(np.mean(logits <= 0)), logits, in_sample, out_of_sample, n_splits, n_trials, rows * n_splits,
        metric, interval, trim,
    )


def reconcile(dsr: DeflatedSharpe | None, pbo: OverfittingProbability | None) -> str | None:
    """What the two statistics say together, in words (the report and the command print it)."""
    if dsr is None or pbo is None or not math.isfinite(dsr.probability):
        return None
    overfit = pbo.probability >= pbo.null_baseline - 0.1
    what = ("The DSR asks whether the best point's own returns beat the luckiest of "
            f"{dsr.n_trials} tries; the PBO whether ranking the points in one half of the period predicts "
            "their ranking in the other.")
    if dsr.significant and overfit:
        return (f"{what} Here they disagree: the best point's Sharpe ratio is real, but which point is best is "
                "luck. Typical of few, correlated points (one idea, nearby parameters): the strategy may earn, "
                "the chosen parameters are not to be trusted over their neighbours; judge the walk-forward.")
    if dsr.significant:
        return f"{what} Both favour the best point: its edge is unlikely to be luck, and the choice carries over."
    if overfit:
        return f"{what} Both say luck: neither the best point's returns nor the choice of it stand out."
    return (f"{what} The ranking carries over, but the best point's returns do not beat luck after deflating: "
            "the points differ in a stable way, but not one of them by enough.")


__all__ = [
    "DEFAULT_SPLITS",
    "SIGNIFICANCE",
    "DeflatedSharpe",
    "OverfittingProbability",
    "deflate",
    "deflated_sharpe",
    "expected_max_sharpe",
    "fit_splits",
    "null_pbo",
    "pbo_interval",
    "probabilistic_sharpe",
    "probability_of_overfitting",
    "reconcile",
    "sharpe_per_period",
]
