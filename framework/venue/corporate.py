"""Corporate actions on the ex-date: a split changes share counts (cost basis unchanged), a cash
dividend moves cash (a short pays it). Pure functions, used by the simulator, the sandbox and
the engine's portfolio alike.

Market data may carry ``dividends`` (cash per share) and ``splits`` (ratio new/old) as wide
date × symbol frames, NaN where there is none; data without them has no actions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from framework.venue.increments import to_decimal


class ActionKind(StrEnum):
    SPLIT = "split"
    DIVIDEND = "dividend"


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """``value``: the split ratio (new shares per old, 2 for a 2-for-1) or the cash per share."""

    symbol: str
    ex_date: date
    kind: ActionKind
    value: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ActionKind(self.kind))
        object.__setattr__(self, "value", to_decimal(self.value))
        if self.value <= 0:
            raise ValueError(f"{self.kind.value} of {self.symbol} on {self.ex_date}: value must be > 0")


def split_quantity(qty: Decimal, ratio: Decimal) -> Decimal:
    """Shares after a split of ``ratio`` (the cost basis does not change)."""
    return qty * ratio


def split_price(price: Decimal, ratio: Decimal) -> Decimal:
    """A per-share price (average cost, a mark) after a split of ``ratio``."""
    return price / ratio


def dividend_cash(qty: Decimal, amount: Decimal) -> Decimal:
    """Cash a position receives (negative: a short pays) for a dividend of ``amount`` a share."""
    return qty * amount


def _frame_actions(frame: pd.DataFrame | None, day: pd.Timestamp, kind: ActionKind) -> list[CorporateAction]:
    if frame is None or day not in frame.index:
        return []
    row = frame.loc[day]
    return [
        CorporateAction(str(symbol), day.date(), kind, Decimal(repr(float(value))))
        for symbol, value in row.items()
        if value is not None and not math.isnan(float(value)) and float(value) > 0
        and not (kind is ActionKind.SPLIT and float(value) == 1.0)
    ]


def actions_on(market: Any, day: pd.Timestamp | date) -> list[CorporateAction]:
    """The splits, then the dividends, going ex on ``day`` in ``market`` (none when the data
    carries no ``splits`` / ``dividends`` frames)."""
    stamp = pd.Timestamp(day)
    splits = _frame_actions(getattr(market, "splits", None), stamp, ActionKind.SPLIT)
    dividends = _frame_actions(getattr(market, "dividends", None), stamp, ActionKind.DIVIDEND)
    return sorted(splits, key=lambda a: a.symbol) + sorted(dividends, key=lambda a: a.symbol)


def actions_over(market: Any, days: Iterable[pd.Timestamp | date]) -> list[CorporateAction]:
    """The actions going ex on each of ``days``, in their order: what :func:`actions_on` gives
    day by day, joined, found in one pass over each frame (a paper cycle recovers a 300-session
    history: per day and symbol that was 150,000 cells visited in Python at 500 symbols)."""
    stamps = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    keyed: list[tuple[tuple[int, int, str], CorporateAction]] = []
    for order, kind in enumerate((ActionKind.SPLIT, ActionKind.DIVIDEND)):
        frame = getattr(market, "splits" if kind is ActionKind.SPLIT else "dividends", None)
        if frame is None or stamps.empty:
            continue
        at = frame.index.get_indexer(stamps)
        values = np.full((len(stamps), frame.shape[1]), np.nan)
        values[at >= 0] = frame.to_numpy(dtype=float)[at[at >= 0]]
        with np.errstate(invalid="ignore"):
            hit = ~np.isnan(values) & (values > 0)
            if kind is ActionKind.SPLIT:
                hit &= values != 1.0
        symbols = [str(s) for s in frame.columns]
        for i, j in zip(*np.nonzero(hit), strict=True):
            action = CorporateAction(symbols[j], stamps[i].date(), kind, Decimal(repr(float(values[i, j]))))
            keyed.append(((int(i), order, symbols[j]), action))
    return [action for _, action in sorted(keyed, key=lambda pair: pair[0])]
