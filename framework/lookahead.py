"""Lookahead check for any strategy plugin (after Freqtrade's lookahead-analysis).

Signals are computed on the full history, then on the history cut at several dates; a causal
strategy gives the same row at each cut date both ways. A second check recomputes the last row
from only the last ``warmup_bars + 1`` bars, which is what paper trading feeds the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from framework.data import MarketData
from framework.strategy import Strategy, compute_signals

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Mismatch:
    check: str
    date: pd.Timestamp
    symbol: str
    full: float
    cut: float

    def __str__(self) -> str:
        return (
            f"{self.check}: {self.date.date()} {self.symbol}: full history gives {self.full:.6g}, "
            f"history cut there gives {self.cut:.6g}"
        )


@dataclass
class LookaheadReport:
    strategy: str
    cut_dates: list[pd.Timestamp]
    mismatches: list[Mismatch] = field(default_factory=list)
    nan_share: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def first(self) -> Mismatch | None:
        return min(self.mismatches, key=lambda m: (m.date, m.symbol)) if self.mismatches else None


def _compare(check: str, date: pd.Timestamp, full: pd.Series, cut: pd.Series) -> Mismatch | None:
    a, b = full.to_numpy(dtype=float), cut.reindex(full.index).to_numpy(dtype=float)
    same = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= TOLERANCE)
    if same.all():
        return None
    i = int(np.flatnonzero(~same)[0])
    return Mismatch(check, date, str(full.index[i]), float(a[i]), float(b[i]))


def cut_dates(history: MarketData, warmup: int, points: int) -> list[pd.Timestamp]:
    """``points`` dates spread evenly between the end of warm-up and the last date."""
    dates = history.dates
    first = min(max(warmup, 1), len(dates) - 2)
    picks = np.unique(np.linspace(first, len(dates) - 2, points).round().astype(int))
    return [dates[i] for i in picks]


def check_lookahead(strategy: Strategy, history: MarketData, points: int = 10) -> LookaheadReport:
    full = compute_signals(strategy, history)
    report = LookaheadReport(strategy.name, cut_dates(history, strategy.warmup_bars, points))
    after_warmup = full.iloc[strategy.warmup_bars :]
    report.nan_share = float(after_warmup.isna().to_numpy().mean()) if after_warmup.size else 1.0
    for date in report.cut_dates:
        cut = compute_signals(strategy, history.truncate(date))
        found = _compare("truncation", date, full.loc[date], cut.loc[date])
        if found:
            report.mismatches.append(found)
    window = strategy.warmup_bars + 1
    if window < len(history.dates):
        last = history.dates[-1]
        tail = history.between(history.dates[-window], last)
        found = _compare("trailing window", last, full.loc[last], compute_signals(strategy, tail).loc[last])
        if found:
            report.mismatches.append(found)
    return report
