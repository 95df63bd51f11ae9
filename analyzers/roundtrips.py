"""Round trips: each position from open to close, matched FIFO as pyfolio does (its
``extract_round_trips``, reimplemented equal in :mod:`analyzers.fifo_trips`), P&L per trade.

Positions still open at the end are closed at their last mark (as pyfolio's round-trip sheet
does), so a short run still shows what its trades made so far. pyfolio matches share by share,
so fractional quantities are not matched (the sheet says so instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzers.fifo_trips import extract_round_trips
from analyzers.frames import Frames
from analyzers.units import Unit

SESSION_CLOSE = pd.Timedelta(hours=21)  # after any fill of the day, UTC (16:00 New York + margin)


@dataclass(frozen=True)
class RoundTrips:
    trips: pd.DataFrame  # pnl, open_dt, close_dt, long, rt_returns, symbol, duration, returns
    note: str


def _closing(f: Frames) -> pd.DataFrame:
    """Transactions plus one that closes each open position at its last mark."""
    txns = f.transactions[["amount", "price", "symbol"]]
    last = f.positions.drop(columns="cash").iloc[-1]
    held = txns.groupby("symbol")["amount"].sum()
    when = max(txns.index.max(), f.positions.index[-1] + SESSION_CLOSE) + pd.Timedelta(seconds=1)
    rows = [
        {"amount": -qty, "price": float(last.get(s, 0.0)) / qty, "symbol": s}
        for s, qty in held.items()
        if abs(qty) > 1e-9 and float(last.get(s, 0.0)) != 0.0
    ]
    closing = pd.DataFrame(rows, index=pd.DatetimeIndex([when] * len(rows)))
    return pd.concat([txns, closing]) if rows else txns


def round_trips(f: Frames) -> RoundTrips:
    if f.transactions.empty:
        return RoundTrips(pd.DataFrame(), "no trades")
    if not np.allclose(f.transactions["amount"], f.transactions["amount"].round()):
        return RoundTrips(pd.DataFrame(), "fractional quantities: round trips are matched in whole shares only")
    value = f.equity.shift(1).fillna(f.equity.iloc[0])  # start-of-day equity, as pyfolio asks
    trips, skipped = extract_round_trips(_closing(f), portfolio_value=value)  # pyfolio's, in arrays
    left_out = (f"; {skipped} closing mark{'s' if skipped != 1 else ''} below zero (a position whose fills and "
                "last mark disagree) left out of the matching") if skipped else ""
    if trips.empty:
        return RoundTrips(trips, "no position was opened and closed" + left_out)
    return RoundTrips(trips, "Positions open at the end count as closed at their last mark" + left_out)


@dataclass(frozen=True, slots=True)
class TripStat:
    label: str
    unit: Unit
    value: float


def summary(trips: pd.DataFrame) -> list[TripStat]:
    pnl = trips["pnl"]
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    days = trips["duration"].dt.total_seconds() / 86400
    factor = float(wins.sum() / -losses.sum()) if len(losses) and losses.sum() < 0 else float("nan")
    return [
        TripStat("Round trips", Unit.COUNT, float(len(trips))),
        TripStat("Winners", Unit.PERCENT, float((pnl > 0).mean())),
        TripStat("Total P&L (before commission)", Unit.USD, float(pnl.sum())),
        TripStat("Average winner", Unit.USD, float(wins.mean()) if len(wins) else float("nan")),
        TripStat("Average loser", Unit.USD, float(losses.mean()) if len(losses) else float("nan")),
        TripStat("Profit factor", Unit.RATIO, factor),
        TripStat("Median holding", Unit.DAYS, float(days.median())),
        TripStat("Longest holding", Unit.DAYS, float(days.max())),
    ]


def extremes(trips: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` best and ``n`` worst round trips, best first."""
    ordered = trips.sort_values("pnl", ascending=False)
    if len(ordered) <= 2 * n:
        return ordered
    return pd.concat([ordered.head(n), ordered.tail(n)])


__all__ = ["RoundTrips", "TripStat", "extremes", "round_trips", "summary"]
