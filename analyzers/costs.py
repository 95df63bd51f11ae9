"""Cost sensitivity: the run's equity had every fill cost 0, 5, 10 or 20 bps of its value.

First order, as a trader reads it: the same trades, only what they cost re-priced. The run's own
costs are taken back (commission and fees, and the slippage of each fill against its arrival
price: the simulator's or the venue's friction), then the new cost is taken instead; so "0 bps"
is the frictionless run and the run as it was lies near its own cost level. No trade is re-sized
by the poorer equity, so the gap between curves is what costs take, not a new backtest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.frames import Frames

LEVELS_BPS = (0, 5, 10, 20)


def traded(f: Frames) -> pd.Series:
    """Value traded (buys + sells) by session, aligned to the equity's sessions."""
    t = f.transactions
    notional = (t["amount"].abs() * t["price"]).groupby(t.index.normalize()).sum()
    return notional.reindex(f.equity.index, fill_value=0.0)


def own_costs(orders: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.Series:
    """What the run paid, by the session it filled in (the one after its decision): commission
    + side × (fill − arrival) × filled.

    An order without an arrival price (none recorded) counts its commission only."""
    if orders.empty:
        return pd.Series(0.0, index=sessions)
    sign = np.where(orders["side"] == "buy", 1.0, -1.0)
    slip = (sign * (orders["filled_avg_price"] - orders["arrival_price"]) * orders["filled_qty"]).fillna(0.0)
    cost = orders["commission"].fillna(0.0) + slip
    days = pd.DatetimeIndex(pd.to_datetime(orders["day"]))
    days = days.tz_localize(sessions.tz) if sessions.tz is not None and days.tz is None else days
    filled_in = sessions[np.minimum(sessions.searchsorted(days, side="right"), len(sessions) - 1)]
    return pd.Series(cost.to_numpy(), index=filled_in).groupby(level=0).sum().reindex(sessions, fill_value=0.0)


def sensitivity(f: Frames, paid: pd.Series, levels: tuple[int, ...] = LEVELS_BPS) -> pd.DataFrame:
    """Equity by session, one column per cost level in bps (named ``"0 bps"`` …); ``paid``: the
    run's own costs by session (:func:`own_costs`)."""
    frictionless = f.equity + paid.reindex(f.equity.index, fill_value=0.0).cumsum()
    notional = traded(f).cumsum()
    return pd.DataFrame({f"{bps} bps": frictionless - notional * bps / 1e4 for bps in levels})


__all__ = ["LEVELS_BPS", "own_costs", "sensitivity", "traded"]
