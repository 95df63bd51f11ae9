"""How well a signal predicts returns, before any backtest: the few statistics of alphalens.

Pure numbers in, numbers out (dates × symbols frames); ``trade signals`` feeds them and
``analyzers.signal_report`` draws them.

- **Forward return** over h sessions from the close of t: ``close[t+h] / close[t] - 1`` on the
  adjusted closes (what a signal made on the close of t could earn; the engine's fill at the next
  open shifts it by a night).
- **Information coefficient (IC)**: per date, the Spearman rank correlation across symbols of
  the signal and the forward return. Its mean over dates, with a **t-statistic whose standard
  error is Newey–West** (Bartlett kernel, ``h - 1`` lags): consecutive h-day returns share h - 1
  days, so their ICs are correlated and the plain t-statistic overstates. Beside it, the plain
  t-statistic on every h-th date only (non-overlapping), the other honest way.
- **Quantiles**: per date the names are cut into ``q`` equal groups by signal (rank first, so
  ties never empty a group); the mean forward return of each, and top minus bottom with its
  Newey–West t-statistic.
- **Turnover** of the top and bottom groups (share of today's names not there the day before),
  the signal's **rank autocorrelation** at one session, and **coverage** (names with a view).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

#: Fewer names than this on a date and its cross-section says nothing (no IC, no quantiles).
MIN_NAMES = 5
#: |t| at which the verdict calls the signal predictive (about 95% two-sided).
T_SIGNIFICANT = 2.0
DEFAULT_HORIZONS = (1, 5, 10, 21)
DEFAULT_QUANTILES = 5


def forward_returns(close: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """``close[t + horizon] / close[t] - 1``: NaN where either close is unknown."""
    return close.shift(-horizon) / close - 1.0


def _ranks(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rank(axis=1)


def daily_ic(signal: pd.DataFrame, forward: pd.DataFrame, min_names: int = MIN_NAMES) -> pd.Series:
    """Spearman correlation across symbols per date (NaN where fewer than ``min_names`` pairs)."""
    both = signal.notna() & forward.notna()
    s, f = _ranks(signal.where(both)), _ranks(forward.where(both))
    s, f = s.sub(s.mean(axis=1), axis=0), f.sub(f.mean(axis=1), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = (s * f).sum(axis=1) / np.sqrt((s**2).sum(axis=1) * (f**2).sum(axis=1))
    return ic.where(both.sum(axis=1) >= min_names).rename("ic")


def newey_west_se(values: np.ndarray | pd.Series, lags: int) -> float:
    """Standard error of the mean with Newey–West (Bartlett) autocovariances up to ``lags``.

    ``lags = 0`` is the plain error with the 1/n variance; for the overlap of h-day returns
    use ``h - 1`` lags.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        return math.nan
    e = x - x.mean()
    variance = float(e @ e) / n
    for lag in range(1, min(lags, n - 1) + 1):
        weight = 1.0 - lag / (lags + 1)
        variance += 2.0 * weight * float(e[lag:] @ e[:-lag]) / n
    return math.sqrt(variance / n) if variance > 0 else math.nan


@dataclass(frozen=True, slots=True)
class MeanTest:
    """A mean over dates with its overlap-aware t-statistic and the non-overlapping one."""

    mean: float
    se: float  # Newey–West standard error of the mean
    t: float  # Newey–West, horizon - 1 lags, every date
    t_non_overlapping: float  # plain t on every horizon-th date
    n: int  # dates with a value

    def as_dict(self) -> dict[str, float | int | None]:
        return {"mean": _finite(self.mean), "se": _finite(self.se), "t": _finite(self.t),
                "t_non_overlapping": _finite(self.t_non_overlapping), "n": self.n}


def mean_test(series: pd.Series, horizon: int) -> MeanTest:
    values = series.dropna()
    if len(values) < 2:
        return MeanTest(math.nan, math.nan, math.nan, math.nan, len(values))
    mean = float(values.mean())
    se = newey_west_se(values.to_numpy(), horizon - 1)
    sparse = series.iloc[::horizon].dropna()  # positions in the full calendar, so one start for all
    plain = (
        float(stats.ttest_1samp(sparse.to_numpy(), 0.0).statistic)
        if len(sparse) >= 2 and sparse.std() > 0
        else math.nan
    )
    return MeanTest(mean, se, mean / se if se > 0 else math.nan, plain, len(values))


def quantile_labels(signal: pd.DataFrame, forward: pd.DataFrame, quantiles: int,
                    min_names: int = MIN_NAMES) -> pd.DataFrame:
    """Per date, 1 (lowest signal) .. ``quantiles`` (highest); NaN outside the cross-section.

    Ranks break ties by column order, so every group has its share of the names.
    """
    both = signal.notna() & forward.notna()
    ranks = signal.where(both).rank(axis=1, method="first")
    count = both.sum(axis=1)
    labels = np.ceil(ranks.div(count, axis=0) * quantiles)
    return labels.where(count.ge(max(min_names, quantiles)), axis=0)


def quantile_returns(labels: pd.DataFrame, forward: pd.DataFrame, quantiles: int) -> pd.DataFrame:
    """Dates × quantile: the mean forward return of each group's names."""
    out = {q: forward.where(labels == q).mean(axis=1) for q in range(1, quantiles + 1)}
    return pd.DataFrame(out).where(labels.notna().any(axis=1), axis=0)


def group_turnover(labels: pd.DataFrame, group: int) -> pd.Series:
    """Share of a group's names today that were not in it at the previous date."""
    now = labels == group
    before = now.shift(1, fill_value=False)
    size = now.sum(axis=1)
    fresh = (now & ~before).sum(axis=1)
    turnover = fresh / size.where(size > 0)
    valid = labels.notna().any(axis=1) & labels.notna().any(axis=1).shift(1, fill_value=False)
    return turnover.where(valid)


def rank_autocorrelation(signal: pd.DataFrame, lag: int = 1, min_names: int = MIN_NAMES) -> pd.Series:
    """Spearman correlation across symbols of the signal today and ``lag`` dates before."""
    return daily_ic(signal.shift(lag), signal, min_names).rename("autocorrelation")


@dataclass(frozen=True)
class HorizonQuality:
    horizon: int
    ic: pd.Series  # by date
    ic_test: MeanTest
    quantile_means: pd.Series  # quantile → mean forward return over the horizon
    spread: pd.Series  # top minus bottom, by date
    spread_test: MeanTest

    def as_dict(self) -> dict[str, object]:
        return {
            "horizon": self.horizon,
            "ic": self.ic_test.as_dict(),
            "ic_positive_share": _finite(float((self.ic.dropna() > 0).mean())) if self.ic.notna().any() else None,
            "quantile_mean_return": {str(q): _finite(v) for q, v in self.quantile_means.items()},
            "spread": self.spread_test.as_dict(),
        }


@dataclass(frozen=True)
class Coverage:
    cells: int  # (date, symbol) cells with a price in the period
    with_view: int  # of them, with a finite signal
    mean_names: float  # names with a view per date
    min_names: int
    dates: int
    usable_dates: int  # dates with at least MIN_NAMES names

    @property
    def share(self) -> float:
        return self.with_view / self.cells if self.cells else math.nan

    def as_dict(self) -> dict[str, float | int | None]:
        return {"share": _finite(self.share), "cells": self.cells, "with_view": self.with_view,
                "mean_names": _finite(self.mean_names), "min_names": self.min_names, "dates": self.dates,
                "usable_dates": self.usable_dates}


def coverage(signal: pd.DataFrame, close: pd.DataFrame) -> Coverage:
    priced = close.notna()
    view = signal.notna() & priced
    names = view.sum(axis=1)
    return Coverage(int(priced.to_numpy().sum()), int(view.to_numpy().sum()), float(names.mean()) if len(names)
                    else math.nan, int(names.min()) if len(names) else 0, len(names),
                    int((names >= MIN_NAMES).sum()))


@dataclass(frozen=True)
class SignalQuality:
    """Everything the report shows, for one signal over one period."""

    horizons: tuple[HorizonQuality, ...]
    primary: int  # the horizon the verdict reads
    quantiles: int
    top_turnover: float
    bottom_turnover: float
    autocorrelation: pd.Series  # by date
    coverage: Coverage
    notes: tuple[str, ...] = field(default=())

    def at(self, horizon: int) -> HorizonQuality:
        return next(h for h in self.horizons if h.horizon == horizon)

    @property
    def mean_autocorrelation(self) -> float:
        return float(self.autocorrelation.mean()) if self.autocorrelation.notna().any() else math.nan


def measure(signal: pd.DataFrame, close: pd.DataFrame, horizons: Sequence[int] = DEFAULT_HORIZONS,
            primary: int | None = None, quantiles: int = DEFAULT_QUANTILES) -> SignalQuality:
    """The signal's quality against the forward returns of ``close`` (same dates and symbols)."""
    signal = signal.reindex(index=close.index, columns=close.columns)
    chosen = tuple(sorted(set(horizons) | ({primary} if primary else set())))
    rows = []
    for h in chosen:
        fwd = forward_returns(close, h)
        ic = daily_ic(signal, fwd)
        labels = quantile_labels(signal, fwd, quantiles)
        by_q = quantile_returns(labels, fwd, quantiles)
        spread = (by_q[quantiles] - by_q[1]).rename("spread")
        rows.append(HorizonQuality(h, ic, mean_test(ic, h), by_q.mean(), spread, mean_test(spread, h)))
    held = quantile_labels(signal, close, quantiles)  # the groups as traded: every priced name with a view
    top, bottom = group_turnover(held, quantiles), group_turnover(held, 1)
    return SignalQuality(
        tuple(rows), primary or chosen[0], quantiles, _mean(top), _mean(bottom),
        rank_autocorrelation(signal), coverage(signal, close),
    )


def _mean(series: pd.Series) -> float:
    return float(series.mean()) if series.notna().any() else math.nan


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def verdict(quality: SignalQuality) -> str:
    """One line: does the signal predict its primary horizon's returns, by IC and by spread?"""
    h = quality.at(quality.primary)
    ic, spread = h.ic_test, h.spread_test
    if not math.isfinite(ic.t):
        return f"No verdict: too few dates with {MIN_NAMES} or more names to measure the signal."
    figures = (f"mean IC {ic.mean:+.3f} (t {ic.t:+.2f}), top-minus-bottom {spread.mean * 1e4:+.1f} bps "
               f"(t {spread.t:+.2f}) over {h.horizon} session(s)")
    if ic.t >= T_SIGNIFICANT:
        weak = "" if spread.t >= T_SIGNIFICANT else "; the top-minus-bottom spread alone is not significant"
        return f"Predictive: {figures}{weak}."
    if ic.t <= -T_SIGNIFICANT:
        return f"Inverted: the signal predicts the opposite of what it says: {figures}."
    if abs(spread.t) >= T_SIGNIFICANT:
        way = "the wrong way" if spread.mean < 0 else "from the extreme names alone"
        return (f"No predictive power: {figures}; the IC's |t| is below {T_SIGNIFICANT:g}, what noise shows, and "
                f"the spread comes {way}: nothing to trade on.")
    return f"No predictive power: {figures}; |t| below {T_SIGNIFICANT:g} is what noise shows."


__all__ = [
    "DEFAULT_HORIZONS",
    "DEFAULT_QUANTILES",
    "MIN_NAMES",
    "Coverage",
    "HorizonQuality",
    "MeanTest",
    "SignalQuality",
    "coverage",
    "daily_ic",
    "forward_returns",
    "group_turnover",
    "mean_test",
    "measure",
    "newey_west_se",
    "quantile_labels",
    "quantile_returns",
    "rank_autocorrelation",
    "verdict",
]
