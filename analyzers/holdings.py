"""What the book held: exposure, holdings count, top positions with their P&L, sector weights.

pyfolio does the slicing (long/short split, sector sums); weights are fractions of equity.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from analyzers.frames import Frames, pyfolio


def exposure(f: Frames) -> pd.DataFrame:
    """Long, short, net and gross exposure as fractions of equity, by session."""
    held = f.positions.drop(columns="cash")
    long = held.clip(lower=0).sum(axis=1) / f.equity
    short = held.clip(upper=0).sum(axis=1) / f.equity
    return pd.DataFrame({"long": long, "short": short, "net": long + short, "gross": long - short})


def holdings_count(f: Frames) -> pd.Series:
    return (f.positions.drop(columns="cash") != 0).sum(axis=1)


def pnl_by_symbol(f: Frames, commission: pd.Series) -> pd.Series:
    """Realised + unrealised P&L per symbol: sales − purchases + value held at the end − commission."""
    t = f.transactions
    cash_flow = (-(t["amount"] * t["price"])).groupby(t["symbol"]).sum()
    final = f.positions.drop(columns="cash").iloc[-1] if len(f.positions) else pd.Series(dtype=float)
    total = cash_flow.add(final, fill_value=0.0)
    return total.sub(commission.reindex(total.index).fillna(0.0))


@dataclass(frozen=True, slots=True)
class TopPosition:
    symbol: str
    sector: str
    avg_weight: float  # over the whole run (0 while not held)
    max_weight: float  # signed: the largest |weight|, negative for a short
    sessions_held: int
    pnl: float


def top_positions(f: Frames, sectors: pd.Series | None, commission: pd.Series, top: int = 10) -> list[TopPosition]:
    """The ``top`` positions by the capital they took over the run (average |weight|)."""
    held = f.positions.drop(columns="cash")
    if held.empty or not (held != 0).any().any():
        return []
    weights = held.div(f.equity, axis=0)
    ranked = weights.abs().mean().nlargest(top)
    pnl = pnl_by_symbol(f, commission)
    rows = []
    for symbol in ranked.index[ranked > 0]:
        w = weights[symbol]
        largest = float(w.max()) if w.max() >= -w.min() else float(w.min())
        sector = str(sectors.get(symbol, "")) if sectors is not None else ""
        rows.append(TopPosition(symbol, sector, float(w.mean()), largest, int((w != 0).sum()),
                                float(pnl.get(symbol, 0.0))))
    return rows


def sector_weights(f: Frames, sectors: pd.Series | None) -> pd.DataFrame | None:
    """Net weight of each sector by session (pyfolio's sector sums / equity); None without sectors."""
    get_sector_exposures = pyfolio().pos.get_sector_exposures
    held = f.positions.drop(columns="cash")
    if sectors is None or sectors.empty or held.empty or not (held != 0).any().any():
        return None
    mapping = {s: str(sectors.get(s, "unknown")) if pd.notna(sectors.get(s)) else "unknown" for s in held.columns}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfolio warns about unmapped symbols; we mapped them all
        by_sector = get_sector_exposures(f.positions, mapping).drop(columns="cash")
    weights = by_sector.div(f.equity, axis=0)
    return weights.loc[:, (weights != 0).any()]


__all__ = ["TopPosition", "exposure", "holdings_count", "pnl_by_symbol", "sector_weights", "top_positions"]
