"""Two runs' decisions compared where they start: the signals per (decision day, symbol) and the
bars behind them (the largest relative difference in the history each side's plugin saw).

A backtest's plugin saw its data file cut at the decision day; a paper cycle saw the bars it
stored beside its journal (``inputs/``). Both are compared adjusted as of the decision day, like
with like: the backtest hands its plugin the file adjusted as of the file's end, which differs
from as-of-the-day by each later action's factor, and that is not a difference of data (``trade
check-strategy`` measures a plugin's sensitivity to it). A run that stored nothing (an older
journal) leaves its side unknown, and the report says so instead of guessing. This is what lets
the divergence report say whether "same data" held, and whether a changed signal came from
changed inputs or from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyzers.records import RunRecords, stored_inputs
from framework.data import PRICE_FIELDS

if TYPE_CHECKING:
    from framework.data import MarketData

SIGNAL_TOLERANCE = 1e-9  # signals closer than this are the same signal
INPUT_TOLERANCE = 1e-9  # relative: bars closer than this are the same bar


@dataclass(frozen=True)
class DecisionDiff:
    """``signals``: day, symbol, backtest, paper (NaN: no view journaled), differs.
    ``inputs``: day, symbol, gap (largest relative difference of the bars both sides saw up to
    the day; inf where one side had a bar the other did not); empty when a side is unknown."""

    signals: pd.DataFrame
    inputs: pd.DataFrame
    inputs_known: bool
    days: tuple[pd.Timestamp, ...]

    def signal(self, day: pd.Timestamp, symbol: str) -> tuple[float, float] | None:
        """(backtest, paper) where they differ on ``day``; None where they agree or neither has one."""
        return self._changed.get((day, symbol))

    @cached_property
    def _changed(self) -> dict[tuple[pd.Timestamp, str], tuple[float, float]]:
        s = self.signals[self.signals["differs"]]
        return {(d, sym): (float(a), float(b))
                for d, sym, a, b in zip(s["day"], s["symbol"], s["backtest"], s["paper"], strict=True)}

    def input_gap(self, day: pd.Timestamp, symbol: str) -> float:
        """The largest relative difference of ``symbol``'s bars behind ``day`` (NaN: unknown)."""
        return self._gaps.get((day, symbol), float("nan") if not self.inputs_known else 0.0)

    @cached_property
    def _gaps(self) -> dict[tuple[pd.Timestamp, str], float]:
        i = self.inputs
        return dict(zip(zip(i["day"], i["symbol"], strict=True), i["gap"].astype(float), strict=True))

    def day_gap(self, day: pd.Timestamp) -> float:
        """The largest input difference of any symbol on ``day`` (NaN: unknown)."""
        if not self.inputs_known:
            return float("nan")
        rows = self.inputs[self.inputs["day"] == day]
        return float(rows["gap"].max()) if len(rows) else 0.0

    @property
    def same_data(self) -> bool | None:
        if not self.inputs_known:
            return None
        return not bool((self.inputs["gap"] > INPUT_TOLERANCE).any())

    @property
    def signals_changed(self) -> int:
        return int(self.signals["differs"].sum())

    def largest_input(self) -> pd.Series | None:
        """The (day, symbol, gap) row with the largest input difference."""
        if not self.inputs_known or self.inputs.empty:
            return None
        return self.inputs.loc[self.inputs["gap"].idxmax()]

    def largest_signal(self) -> pd.Series | None:
        changed = self.signals[self.signals["differs"]]
        if changed.empty:
            return None
        gap = (changed["backtest"] - changed["paper"]).abs().fillna(np.inf)
        return changed.loc[gap.idxmax()]


def _signals(backtest: RunRecords, paper: RunRecords, days: list[pd.Timestamp]) -> pd.DataFrame:
    def side(records: RunRecords) -> pd.DataFrame:
        s = records.signals
        if s.empty:
            return pd.DataFrame(columns=["day", "symbol", "value"])
        return s[s["day"].isin(set(days))][["day", "symbol", "value"]]

    table = side(backtest).merge(side(paper), on=["day", "symbol"], how="outer", suffixes=("_backtest", "_paper"))
    table = table.rename(columns={"value_backtest": "backtest", "value_paper": "paper"})
    a, b = table["backtest"].to_numpy(dtype=float), table["paper"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        differs = (np.isnan(a) != np.isnan(b)) | (np.abs(a - b) > SIGNAL_TOLERANCE)
    table["differs"] = differs
    return table.sort_values(["day", "symbol"], kind="stable").reset_index(drop=True)


def gaps(one: MarketData, other: MarketData) -> pd.Series:
    """Per symbol, the largest relative difference of the adjusted OHLC bars both histories have
    on their common dates (inf where only one of them has a bar)."""
    dates = one.close.index.intersection(other.close.index)
    symbols = one.close.columns.union(other.close.columns)
    out = pd.Series(0.0, index=symbols)
    for name in PRICE_FIELDS:
        a = getattr(one, name).reindex(index=dates, columns=symbols).to_numpy(dtype=float)
        b = getattr(other, name).reindex(index=dates, columns=symbols).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.abs(a / b - 1.0)
        rel = np.where(np.isnan(a) & np.isnan(b), 0.0, np.where(np.isnan(a) != np.isnan(b), np.inf, rel))
        out = np.maximum(out, pd.Series(np.nanmax(rel, axis=0, initial=0.0), index=symbols))
    return out


class _Views:
    """The history one run's plugin saw at each decision day, adjusted as of that day."""

    def __init__(self, records: RunRecords) -> None:
        self.records = records
        self._whole: MarketData | None = None
        self._read = False

    def at(self, day: pd.Timestamp) -> MarketData | None:
        stored = stored_inputs(self.records, day)
        if stored is not None:
            return stored.truncate(day).adjusted()
        if self.records.kind != "backtest":
            return None
        if not self._read:
            self._whole, self._read = self.records.market(), True
        if self._whole is None or day not in self._whole.close.index:
            return None
        return self._whole.truncate(day).adjusted()


def _inputs(backtest: RunRecords, paper: RunRecords, days: list[pd.Timestamp]) -> pd.DataFrame | None:
    views = _Views(backtest), _Views(paper)
    rows = []
    for day in days:
        a, b = views[0].at(day), views[1].at(day)
        if a is None or b is None:
            return None
        start = max(a.dates[0], b.dates[0])
        found = gaps(a.between(start, day), b.between(start, day))
        rows += [(day, symbol, float(gap)) for symbol, gap in found.items()]
    return pd.DataFrame(rows, columns=["day", "symbol", "gap"])


def compare_decisions(backtest: RunRecords, paper: RunRecords, days: list[pd.Timestamp]) -> DecisionDiff:
    """Signals and inputs of the two runs on ``days`` (decision sessions both made)."""
    inputs = _inputs(backtest, paper, days) if days else pd.DataFrame(columns=["day", "symbol", "gap"])
    known = inputs is not None
    return DecisionDiff(_signals(backtest, paper, days),
                        inputs if inputs is not None else pd.DataFrame(columns=["day", "symbol", "gap"]),
                        known, tuple(days))


__all__ = ["INPUT_TOLERANCE", "SIGNAL_TOLERANCE", "DecisionDiff", "compare_decisions", "gaps"]
