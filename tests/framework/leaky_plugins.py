"""Plugins that look ahead, each in one of the ways issue 18 found `check-strategy` fooled, plus
the honest mistakes that are not lookahead (a warm-up too short, randomness). Loaded by the
lookahead tests directly and as ``leaky_plugins:Class`` through the CLI."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from framework import MarketData, PositionsView, Strategy


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rank(axis=1, pct=True) * 2 - 1


class Causal(Strategy):
    """Five-day reversal: honest, with exactly the warm-up it needs."""

    name = "causal"

    @property
    def warmup_bars(self) -> int:
        return 6

    def signals(self, history: MarketData) -> pd.DataFrame:
        return -_rank(history.close.pct_change(5, fill_method=None))


class ShiftMinusOne(Strategy):
    """Buys what rises tomorrow: ``shift(-1)``."""

    name = "shift_minus_one"

    @property
    def warmup_bars(self) -> int:
        return 2

    def signals(self, history: MarketData) -> pd.DataFrame:
        return _rank(history.close.shift(-1) / history.close - 1)


class MonthEndOnly(Strategy):
    """Honest every day but the last session of a month, where it reads the next close. Issue 18:
    caught at 10 and 100 cut points but missed at 30 when only the cut date's row was compared."""

    name = "month_end_only"

    @property
    def warmup_bars(self) -> int:
        return 6

    def signals(self, history: MarketData) -> pd.DataFrame:
        close = history.close
        honest = -_rank(close.pct_change(5, fill_method=None))
        dates = close.index
        month_end = pd.Series(dates.month, index=dates) != pd.Series(dates.month, index=dates).shift(-1)
        month_end.iloc[-1] = False  # the last row has no next month to know about
        peek = _rank(close.shift(-1) / close - 1)
        mask = np.broadcast_to(month_end.to_numpy()[:, None], close.shape)
        return honest.where(~mask, peek)


class FullSampleMean(Strategy):
    """Distance from the mean of the *whole* history (future bars included)."""

    name = "full_sample_mean"

    def signals(self, history: MarketData) -> pd.DataFrame:
        close = history.close
        return _rank(close / close.mean() - 1)


class CachedZScore(Strategy):
    """A full-sample z-score computed on the first call and kept on the instance: an instance that
    is reused serves the whole history's z-scores to every later, shorter call (issue 18: passed)."""

    name = "cached_zscore"

    def __init__(self, params=None) -> None:
        super().__init__(params)
        self._z: pd.DataFrame | None = None

    def signals(self, history: MarketData) -> pd.DataFrame:
        if self._z is None:
            ret = history.close.pct_change(fill_method=None)
            self._z = (ret - ret.mean()) / ret.std()
        return (self._z.reindex(history.dates) / 4).clip(-1, 1)


class InfiniteMemory(Strategy):
    """Causal, but its rows depend on where history starts: a warm-up problem, not lookahead."""

    name = "infinite_memory"

    @property
    def warmup_bars(self) -> int:
        return 5

    def signals(self, history: MarketData) -> pd.DataFrame:
        return _rank(history.close / history.close.iloc[0] - 1)


class Noisy(Strategy):
    """Different on every call: nondeterministic, which would make every comparison noise."""

    name = "noisy"

    def signals(self, history: MarketData) -> pd.DataFrame:
        rng = np.random.default_rng()
        return pd.DataFrame(rng.uniform(-1, 1, history.close.shape), index=history.dates, columns=history.symbols)


class PeekingExits(Causal):
    """Honest signals; its exits hook closes what falls over the next five sessions, which it can
    only know from the history its ``signals`` call was given."""

    name = "peeking_exits"

    def signals(self, history: MarketData) -> pd.DataFrame:
        self._close = history.close
        return super().signals(history)

    def exits(self, positions: PositionsView, session: pd.Timestamp) -> Collection[str]:
        later = self._close.loc[session:].iloc[:6]
        falls = later.iloc[-1] < later.iloc[0]
        return {s for s in positions if bool(falls.get(s, False))}


class HoldingPeriodExits(Causal):
    """Honest signals and an honest exit rule: close after three sessions or at -5%."""

    name = "holding_period_exits"

    def exits(self, positions: PositionsView, session: pd.Timestamp) -> Collection[str]:
        return {s for s, p in positions.items() if p.sessions_held >= 3 or p.pnl_pct <= -0.05}


class RankedReversal(Strategy):
    """Issue 28: a causal 5-day reversal ranked across symbols, written as a plugin author would
    (no rounding). Honest; check-strategy called it LOOKAHEAD when the cut history was adjusted as
    of the cut and the whole history as of its end (float noise broke ties in the ranking)."""

    name = "ranked_reversal"

    @property
    def warmup_bars(self) -> int:
        return 6

    def signals(self, history: MarketData) -> pd.DataFrame:
        close = history.close
        return -close.pct_change(5, fill_method=None).rank(axis=1, pct=True) * 2 + 1


class FourthDecimal(Strategy):
    """Causal but fragile: its conviction is the fourth decimal of the close, which rounding to
    4 decimals, a cent of dividend or 1e-5 of noise all move. Its intents cannot match live."""

    name = "fourth_decimal"

    @property
    def warmup_bars(self) -> int:
        return 1

    def signals(self, history: MarketData) -> pd.DataFrame:
        close = history.close
        return ((close * 1e3) % 1.0) * 2 - 1
