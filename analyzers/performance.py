"""Performance figures a trader reads, for the strategy and its benchmark, computed by empyrical.

Honest on short runs: an annualised figure from a few weeks (a Sharpe of −4.76 from 9 days) is
noise, so below :data:`MIN_ANNUALISED` sessions annualised rows read n/a and the sheet says why;
statistics of the return distribution need :data:`MIN_DISTRIBUTION` sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

import empyrical as ep
import numpy as np
import pandas as pd

from analyzers.frames import pyfolio
from analyzers.units import Unit

MIN_ANNUALISED = 63  # a quarter of sessions: below it, annualised figures are not shown
MIN_DISTRIBUTION = 20  # VaR, skew, beta, correlation need at least this many daily returns
SESSIONS_PER_YEAR = 252


@dataclass(frozen=True, slots=True)
class Stat:
    label: str
    unit: Unit
    strategy: float
    benchmark: float | None  # None: does not apply to a buy-and-hold benchmark
    annualised: bool = False
    help: str = ""
    tone: bool = False  # a return or risk-adjusted return (coloured against the benchmark), not a size
    relative: bool = False  # already measured against the benchmark (alpha): coloured by sign


def _longest_drawdown(returns: pd.Series) -> float:
    """Most consecutive sessions spent below a previous peak."""
    wealth = (1 + returns).cumprod()
    under = (wealth < wealth.cummax() * (1 - 1e-12)).to_numpy()
    longest = run = 0
    for below in under:
        run = run + 1 if below else 0
        longest = max(longest, run)
    return float(longest)


def _winning_days(returns: pd.Series) -> float:
    moved = returns[returns != 0]
    return float((moved > 0).mean()) if len(moved) else float("nan")


def _distribution(returns: pd.Series, fn) -> float:
    return float(fn(returns)) if len(returns) >= MIN_DISTRIBUTION else float("nan")


def _return_rows(r: pd.Series, b: pd.Series | None, short: bool) -> list[Stat]:
    nan = float("nan")

    def both(fn) -> tuple[float, float | None]:
        return float(fn(r)), (float(fn(b)) if b is not None else nan)

    def annual(fn) -> tuple[float, float | None]:
        return (nan, nan) if short else both(fn)

    rows = [
        ("Total return", Unit.PERCENT, both(ep.cum_returns_final), False, "growth of equity over the run"),
        ("CAGR", Unit.PERCENT, annual(ep.annual_return), True, "compound annual growth rate"),
        ("Annual volatility", Unit.PERCENT, annual(ep.annual_volatility), True, "std of daily returns × √252"),
        ("Sharpe ratio", Unit.RATIO, annual(ep.sharpe_ratio), True, "mean / std of daily returns × √252, rf 0"),
        ("Sortino ratio", Unit.RATIO, annual(ep.sortino_ratio), True, "like Sharpe, downside deviation only"),
        ("Calmar ratio", Unit.RATIO, annual(ep.calmar_ratio), True, "CAGR / max drawdown"),
        ("Max drawdown", Unit.PERCENT, both(ep.max_drawdown), False, "worst fall from a peak"),
        ("Longest drawdown", Unit.SESSIONS, both(_longest_drawdown), False, "most sessions below a peak"),
        ("Best day", Unit.PERCENT, both(np.max), False, ""),
        ("Worst day", Unit.PERCENT, both(np.min), False, ""),
        ("Winning days", Unit.PERCENT, both(_winning_days), False, "share of sessions that moved and rose"),
        ("Daily value at risk (95 %)", Unit.PERCENT, both(lambda x: _distribution(x, lambda y: np.quantile(y, 0.05))),
         False, "the 5th percentile of daily returns"),
        ("Skew", Unit.RATIO, both(lambda x: _distribution(x, lambda y: y.skew())), False, "asymmetry of daily returns"),
    ]
    toned = {"Total return", "CAGR", "Sharpe ratio", "Sortino ratio", "Calmar ratio", "Best day", "Worst day"}
    return [Stat(label, unit, s, bm, ann, h, label in toned) for label, unit, (s, bm), ann, h in rows]


def _relative_rows(r: pd.Series, b: pd.Series | None, short: bool) -> list[Stat]:
    if b is None:
        return []
    enough = len(r) >= MIN_DISTRIBUTION
    nan = float("nan")
    beta = float(ep.beta(r, b)) if enough else nan
    alpha = float(ep.alpha(r, b)) if enough and not short else nan
    corr = float(np.corrcoef(r, b)[0, 1]) if enough and r.std() > 0 and b.std() > 0 else nan
    return [
        Stat("Beta", Unit.RATIO, beta, None, False, "sensitivity to the benchmark's daily returns"),
        Stat("Alpha", Unit.PERCENT, alpha, None, True, "annualised return not explained by beta", True, True),
        Stat("Correlation", Unit.RATIO, corr, None, False, "of daily returns with the benchmark"),
    ]


def _book_rows(positions: pd.DataFrame, transactions: pd.DataFrame, equity: pd.Series, short: bool) -> list[Stat]:
    held = positions.drop(columns="cash")
    weights = held.div(equity, axis=0)
    traded = float((transactions["amount"].abs() * transactions["price"]).sum())
    years = len(equity) / SESSIONS_PER_YEAR
    turnover = traded / float(equity.mean()) / years if not short and len(equity) else float("nan")
    return [
        Stat("Time in market", Unit.PERCENT, float((held.abs().sum(axis=1) > 0).mean()), None, False,
             "share of sessions holding a position"),
        Stat("Average gross exposure", Unit.PERCENT, float(weights.abs().sum(axis=1).mean()), None, False,
             "long + |short| positions / equity"),
        Stat("Average holdings", Unit.RATIO, float((held != 0).sum(axis=1).mean()), None, False,
             "positions held at a session's close"),
        Stat("Turnover", Unit.TIMES, turnover, None, True, "value traded a year / mean equity"),
    ]


def stats(
    returns: pd.Series,
    benchmark: pd.Series | None,
    positions: pd.DataFrame,
    transactions: pd.DataFrame,
    equity: pd.Series,
) -> list[Stat]:
    """The figures table: returns and risk, then against the benchmark, then the book."""
    short = len(returns) < MIN_ANNUALISED
    r = returns.astype(float)
    b = benchmark.astype(float).reindex(r.index).fillna(0.0) if benchmark is not None else None
    return _return_rows(r, b, short) + _relative_rows(r, b, short) + _book_rows(positions, transactions, equity, short)


@dataclass(frozen=True, slots=True)
class Drawdown:
    depth: float  # negative fraction
    peak: pd.Timestamp
    valley: pd.Timestamp
    recovery: pd.Timestamp | None
    sessions: int  # peak to recovery, or to the end when not recovered


def drawdowns(returns: pd.Series, top: int = 5) -> list[Drawdown]:
    """The worst drawdowns that actually happened (pyfolio's periods; a short run may have
    fewer than ``top``, and none is shown as an empty row)."""
    get_top_drawdowns = pyfolio().timeseries.get_top_drawdowns
    r = returns.astype(float)
    wealth = (1 + r).cumprod()
    dates = list(r.index)
    found = []
    for peak, valley, recovery in get_top_drawdowns(r, top=top):
        depth = float(wealth[valley] / wealth[peak] - 1.0)
        if not depth < -1e-9:
            continue
        ended = None if pd.isna(recovery) else recovery
        last = dates.index(ended) if ended is not None else len(dates) - 1
        found.append(Drawdown(depth, peak, valley, ended, last - dates.index(peak)))
    return sorted(found, key=lambda x: x.depth)


@dataclass(frozen=True, slots=True)
class Rolling:
    window: int | None  # sessions; None: the run is too short for any window
    note: str


def rolling_window(sessions: int) -> Rolling:
    """Six months when the run holds two of them, else three months, else none (and why)."""
    for window, words in ((126, "6 months"), (63, "3 months")):
        if sessions >= 2 * window:
            return Rolling(window, f"{window} sessions ({words})")
    return Rolling(None, f"rolling figures need at least 126 sessions (two 3-month windows); this run has {sessions}")


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded return by (year, month); months the run did not cover are absent, not 0."""
    r = returns.copy()
    r.index = pd.DatetimeIndex(r.index).tz_localize(None)
    grouped = (1 + r).groupby([r.index.year, r.index.month]).prod() - 1
    grouped.index.names = ["year", "month"]
    return grouped.unstack("month").reindex(columns=range(1, 13))


def annual_returns(returns: pd.Series) -> pd.Series:
    r = returns.copy()
    r.index = pd.DatetimeIndex(r.index).tz_localize(None)
    return (1 + r).groupby(r.index.year).prod() - 1


__all__ = [
    "MIN_ANNUALISED",
    "MIN_DISTRIBUTION",
    "Drawdown",
    "Rolling",
    "Stat",
    "annual_returns",
    "drawdowns",
    "monthly_returns",
    "rolling_window",
    "stats",
]
