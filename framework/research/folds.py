"""Walk-forward folds: in-sample windows to choose on, out-of-sample windows to trade.

The sessions are cut into ``folds + 1`` consecutive blocks of (nearly) equal length. Fold k
(1-based) trades block k out of sample; it chooses on the blocks before it (anchored: all of
them, growing) or on block k-1 alone (rolling: a window of one block). An embargo leaves the
last ``embargo`` sessions of the in-sample window out, so what is chosen on never touches
what is traded. The out-of-sample blocks 1..folds tile the rest of the period without gaps,
so their returns stitch into one honest curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from framework.errors import InputError

#: Fewest sessions an in-sample or out-of-sample window may have (a backtest needs two).
MIN_SESSIONS = 2


class FoldScheme(StrEnum):
    ANCHORED = "anchored"
    ROLLING = "rolling"


@dataclass(frozen=True, slots=True)
class Fold:
    number: int
    is_start: pd.Timestamp
    is_end: pd.Timestamp
    oos_start: pd.Timestamp
    oos_end: pd.Timestamp

    def as_dict(self) -> dict[str, object]:
        return {
            "fold": self.number,
            "is_start": str(self.is_start.date()),
            "is_end": str(self.is_end.date()),
            "oos_start": str(self.oos_start.date()),
            "oos_end": str(self.oos_end.date()),
        }


def walk_forward_folds(
    dates: pd.DatetimeIndex, folds: int, scheme: FoldScheme = FoldScheme.ANCHORED, embargo: int = 0
) -> tuple[Fold, ...]:
    """The folds over ``dates`` (the sweep's sessions, ascending)."""
    if folds < 1:
        raise InputError(f"walk-forward needs at least 1 fold, got {folds}")
    if embargo < 0:
        raise InputError(f"walk-forward embargo must be >= 0 sessions, got {embargo}")
    blocks = np.array_split(np.arange(len(dates)), folds + 1)
    shortest = min(len(b) for b in blocks)
    if shortest < MIN_SESSIONS or shortest - embargo < MIN_SESSIONS:
        raise InputError(
            f"walk-forward: {folds} folds over {len(dates)} sessions give blocks of {shortest} sessions, "
            f"too short for an embargo of {embargo} (need at least {MIN_SESSIONS + embargo}); use fewer folds"
        )
    out = []
    for k in range(1, folds + 1):
        first = 0 if FoldScheme(scheme) is FoldScheme.ANCHORED else int(blocks[k - 1][0])
        last = int(blocks[k - 1][-1]) - embargo
        oos = blocks[k]
        out.append(Fold(k, dates[first], dates[last], dates[int(oos[0])], dates[int(oos[-1])]))
    return tuple(out)


__all__ = ["MIN_SESSIONS", "Fold", "FoldScheme", "walk_forward_folds"]
