"""Gaps never starve a strategy silently: per-symbol coverage of a run and the sessions the
strategy had no view, for ``summary.json``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from framework.data.market_data import MarketData
from framework.data.sessions import sessions


def coverage(market: MarketData, signals: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
             calendar: str) -> dict[str, Any]:
    """Per symbol, over the exchange's sessions of [start, end] inside the symbol's life:
    bars traded, bars filled by a repair, sessions missing, sessions with no signal."""
    days = sessions(calendar, pd.Timestamp(start), pd.Timestamp(end))
    close = market.close.reindex(days)
    filled = market.filled.reindex(days, fill_value=False).astype(bool)
    present = close.notna() | filled
    views = signals.reindex(index=days, columns=close.columns).notna()
    life = _life(market, days)
    # per symbol, counted once over the whole grid (numpy), then one dict a symbol
    def grid(frame: pd.DataFrame) -> np.ndarray:
        return frame.reindex(columns=close.columns).to_numpy(dtype=bool)

    alive = grid(life)
    lived = alive.sum(axis=0).tolist()
    traded = (close.notna().to_numpy() & alive).sum(axis=0).tolist()
    repaired = (grid(filled) & alive).sum(axis=0).tolist()
    no_views = (~grid(views) & alive).sum(axis=0).tolist()
    there = (grid(present) & alive).sum(axis=0).tolist()
    per: dict[str, dict[str, float | int]] = {}
    for j, symbol in enumerate(close.columns):
        n = lived[j]
        if not n:
            continue
        no_view = no_views[j]
        per[symbol] = {"sessions": n, "traded": traded[j], "filled": repaired[j], "missing": n - there[j],
                       "coverage": round(traded[j] / n, 6), "no_view": no_view,
                       "no_view_share": round(no_view / n, 6)}
    total = sum(v["sessions"] for v in per.values())
    blind = int((~(views & life).any(axis=1) & life.any(axis=1)).sum())
    return {
        "calendar": calendar,
        "first": str(days[0].date()) if len(days) else None,
        "last": str(days[-1].date()) if len(days) else None,
        "sessions": len(days),
        "no_view_share": round(sum(v["no_view"] for v in per.values()) / total, 6) if total else 0.0,
        "sessions_with_no_view": blind,
        "symbols": per,
    }


def _life(market: MarketData, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Sessions between each symbol's first and last bar (listed), as a mask over ``days``."""
    seen = market.close.notna() | market.filled
    first = seen.idxmax().where(seen.any())
    last = seen[::-1].idxmax().where(seen.any())
    index = days.to_numpy()[:, None]
    lo = first.to_numpy(dtype="datetime64[ns]")[None, :]
    hi = last.to_numpy(dtype="datetime64[ns]")[None, :]
    with np.errstate(invalid="ignore"):
        mask = (index >= lo) & (index <= hi)
    return pd.DataFrame(mask, index=days, columns=market.close.columns)


def describe(market: MarketData) -> str:
    """What the data is, in one line for ``summary.json`` and reports."""
    divs, splits = int(market.dividends.notna().to_numpy().sum()), int(market.splits.notna().to_numpy().sum())
    filled = int(market.filled.to_numpy().sum())
    view = {"all": "adjusted for splits and dividends", "split": "adjusted for splits",
            "dividend": "adjusted for dividends", "raw": "as traded"}[market.view.value]
    extra = f", {filled} bars filled by repair (untradable)" if filled else ""
    return (f"daily bars as traded (sizing and fills); strategies see history {view} as of each "
            f"decision (Alpaca's adjustment={market.view.value}); {divs} dividends, {splits} splits{extra}")


__all__ = ["coverage", "describe"]
