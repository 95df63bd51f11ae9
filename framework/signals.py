"""Signal processing: strengths in [-1, 1] → raw target weights (signed fractions of equity)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache

import numpy as np
import pandas as pd

from framework.config.execution import SignalsConfig

EPOCH = np.datetime64("2000-01-03")  # a Monday: the anchor of the rebalancing calendar


class SignalKind(StrEnum):
    """What the size of a plugin's value means (its sign is always the side)."""

    SCORES = "scores"  # conviction: weight ∝ |value| (or equal), normalised to signals.gross_target
    WEIGHTS = "weights"  # the target fraction of equity itself; scaled down only past gross_target
    RANKS = "ranks"  # only the order matters: the picks are weighted equally


class NanMeans(StrEnum):
    """What a NaN (or a symbol left out) from a plugin means."""

    HOLD = "hold"  # no view: the position is kept as it is
    EXIT = "exit"  # like 0: the position is closed


def is_rebalance_day(when: pd.Timestamp | datetime | date, every: int) -> bool:
    """Every ``every``-th weekday since a fixed epoch: the same answer in backtest and paper,
    wherever either starts. An aware time counts on its own calendar day (a session's time is
    New York midnight, which is the same day in UTC)."""
    if every == 1:
        return True
    day = when.date() if isinstance(when, datetime) else when
    return _weekdays_since_epoch(day) % every == 0


def next_rebalance(sessions: Sequence[date], after: date, every: int) -> tuple[date, date] | None:
    """The first rebalance decision after ``after`` among ``sessions`` (the venue's, in order):
    (the session whose close decides, the session whose open trades it), or None when the
    sessions given hold none (a rebalance weekday that is a holiday has no decision at all)."""
    later = sorted(d for d in sessions if d > after)
    for decided, traded in itertools.pairwise(later):
        if is_rebalance_day(decided, every):
            return decided, traded
    return None


@lru_cache(maxsize=16384)
def _weekdays_since_epoch(day: date) -> int:
    return int(np.busday_count(EPOCH, np.datetime64(day, "D")))


def _strongest(values: np.ndarray, candidates: np.ndarray, n: int | None, descending: bool) -> np.ndarray:
    """Mask of the ``n`` strongest candidates; ties go to the earlier symbol (stable order)."""
    if n is None:
        return candidates
    idx = np.flatnonzero(candidates)
    keys = -values[idx] if descending else values[idx]
    keep = np.zeros_like(candidates)
    keep[idx[np.argsort(keys, kind="stable")[:n]]] = True
    return keep


@dataclass(frozen=True, eq=False)
class Discarded:
    """Signals a decision dropped because of the configuration, as masks over its universe."""

    shorts: np.ndarray  # negative, strong enough, but signals.allow_short is false
    below_threshold: np.ndarray  # non-zero, but |value| < signals.threshold
    unshortable: np.ndarray | None = None  # negative, allowed, but the account cannot hold the short


class SignalProcessor:
    """Threshold, optional top-N / bottom-N selection, long-only or long-short, normalisation.

    What a signal means (the contract plugins are held to, README "Writing a strategy plugin"):
    NaN is *no view*: the position is held as it is; a value whose magnitude is below
    ``threshold`` (an explicit 0 included) is *flat*: no position; otherwise the sign is the side
    and the magnitude the conviction. Negative values open shorts only with ``allow_short``;
    without it they are flat. ``kind`` (the plugin's ``signal_kind``) says what the magnitude is:
    a score (the default, as above), a weight (the fraction of equity itself; the threshold does
    not apply, only an explicit 0 is flat) or a rank (the picks are weighted equally).
    """

    def __init__(self, config: SignalsConfig, kind: SignalKind = SignalKind.SCORES) -> None:
        self.config = config
        self.kind = SignalKind(kind)

    def _floor(self) -> float:
        return 1e-12 if self.kind is SignalKind.WEIGHTS else max(self.config.threshold, 1e-12)

    def target_weights(self, signals: np.ndarray, held_weights: np.ndarray | None = None,
                       shortable: np.ndarray | None = None) -> np.ndarray:
        """Signed weights aligned to ``signals``: NaN where there is no view (hold), 0 where flat.

        ``held_weights``: |value| / equity of what is held; positions kept for lack of a view
        take their share of ``gross_target`` first, so the total stays within it. ``shortable``:
        where the account may open a short (a cash account may not): elsewhere a negative signal
        is flat, a short the account cannot hold is no position.
        """
        cfg = self.config
        raw_signals = np.asarray(signals, dtype=float)
        view = ~np.isnan(raw_signals)
        s = np.where(view, raw_signals, 0.0)
        strong = view & (np.abs(s) >= self._floor())
        longs = _strongest(s, strong & (s > 0), cfg.top_n, descending=True)
        shorts = strong & (s < 0) if cfg.allow_short else np.zeros_like(strong)
        if shortable is not None:
            shorts = shorts & shortable
        shorts = _strongest(s, shorts, cfg.bottom_n, descending=False)
        picked = longs | shorts
        equal = self.kind is SignalKind.RANKS or (self.kind is SignalKind.SCORES and cfg.weighting == "equal")
        raw = np.where(picked, np.sign(s) if equal else s, 0.0)
        gross = float(np.abs(raw).sum())
        budget = cfg.gross_target
        if held_weights is not None:
            budget = max(budget - float(np.abs(np.asarray(held_weights))[~view].sum()), 0.0)
        if self.kind is SignalKind.WEIGHTS:
            scale = min(1.0, budget / gross) if gross > 0 else 0.0  # weights as given, within the budget
        else:
            scale = budget / gross if gross > 0 else 0.0
        return np.where(view, raw * scale, np.nan)

    def discarded(self, signals: np.ndarray, shortable: np.ndarray | None = None) -> Discarded:
        """What the configuration dropped from these signals (for the once-only warnings)."""
        s = np.asarray(signals, dtype=float)
        with np.errstate(invalid="ignore"):
            magnitude = np.abs(s)
            floor = self._floor()
            negative = (s < 0) & (magnitude >= floor)
            shorts = negative if not self.config.allow_short else np.zeros(s.shape, bool)
            below = (magnitude > 0) & (magnitude < floor)
        unshortable = None
        if self.config.allow_short and shortable is not None:
            unshortable = negative & ~shortable
        return Discarded(shorts, below, unshortable)


@dataclass
class DiscardTally:
    """Signals dropped by the configuration over a run: counted per decision, reported once."""

    shorts: int = 0
    below_threshold: int = 0
    short_symbols: set[str] = field(default_factory=set)
    below_symbols: set[str] = field(default_factory=set)
    first_short: str | None = None
    first_below: str | None = None
    unshortable: int = 0
    unshortable_symbols: set[str] = field(default_factory=set)
    first_unshortable: str | None = None

    def add(self, session: datetime, symbols: tuple[str, ...] | list[str], found: Discarded) -> None:
        day = str(session.date())
        n_short, n_below = int(found.shorts.sum()), int(found.below_threshold.sum())
        if n_short:
            self.shorts += n_short
            self.short_symbols.update(symbols[i] for i in np.flatnonzero(found.shorts))
            self.first_short = self.first_short or day
        if n_below:
            self.below_threshold += n_below
            self.below_symbols.update(symbols[i] for i in np.flatnonzero(found.below_threshold))
            self.first_below = self.first_below or day
        if found.unshortable is not None and found.unshortable.any():
            self.unshortable += int(found.unshortable.sum())
            self.unshortable_symbols.update(symbols[i] for i in np.flatnonzero(found.unshortable))
            self.first_unshortable = self.first_unshortable or day

    def to_json(self) -> dict[str, dict[str, object]]:
        return {
            "shorts_without_allow_short": {"signals": self.shorts, "symbols": len(self.short_symbols),
                                           "first": self.first_short},
            "below_threshold": {"signals": self.below_threshold, "symbols": len(self.below_symbols),
                                "first": self.first_below},
            "shorts_the_account_cannot_hold": {"signals": self.unshortable, "symbols": len(self.unshortable_symbols),
                                               "first": self.first_unshortable},
        }

    def warnings(self, config: SignalsConfig) -> dict[str, str]:
        """One line per kind of discard, naming the setting that caused it."""
        out = {}
        if self.shorts:
            out["shorts"] = (
                f"{self.shorts:,} negative signal(s) on {len(self.short_symbols)} symbol(s) were treated as flat "
                f"from {self.first_short}: signals.allow_short is false (set it true to short them)"
            )
        if self.below_threshold:
            out["below_threshold"] = (
                f"{self.below_threshold:,} signal(s) on {len(self.below_symbols)} symbol(s) were treated as flat "
                f"from {self.first_below}: |value| below signals.threshold ({config.threshold:g})"
            )
        if self.unshortable:
            out["unshortable"] = (
                f"{self.unshortable:,} short signal(s) on {len(self.unshortable_symbols)} symbol(s) were treated "
                f"as flat from {self.first_unshortable}: the account cannot sell them short (shorting needs a "
                "margin account, venue.margin_multiplier 2 with at least $2,000 of equity, and a symbol not in "
                "venue.hard_to_borrow)"
            )
        return out
