"""Cost sensitivity: the run's equity had every fill cost 0, 5, 10 or 20 bps of its notional.

First order, as a trader reads it: the same trades at the same prices, only what they were
charged re-priced (the run's own commission and fees taken back, the new cost taken instead),
so the gap between the curves is what costs take; no trade is re-sized by the poorer equity.
"""

from __future__ import annotations

import pandas as pd

from analyzers.frames import Frames

LEVELS_BPS = (0, 5, 10, 20)


def traded(f: Frames) -> pd.Series:
    """Value traded (buys + sells) by session, aligned to the equity's sessions."""
    t = f.transactions
    notional = (t["amount"].abs() * t["price"]).groupby(t.index.normalize()).sum()
    return notional.reindex(f.equity.index, fill_value=0.0)


def sensitivity(f: Frames, levels: tuple[int, ...] = LEVELS_BPS) -> pd.DataFrame:
    """Equity by session, one column per cost level in bps (named ``"0 bps"`` …)."""
    charged = f.commission.reindex(f.equity.index, fill_value=0.0).cumsum()
    notional = traded(f).cumsum()
    without = f.equity + charged
    return pd.DataFrame({f"{bps} bps": without - notional * bps / 1e4 for bps in levels})


__all__ = ["LEVELS_BPS", "sensitivity", "traded"]
