"""Figures of what the trades did: each top symbol's price with its entries and exits marked
(Freqtrade's ``plot-dataframe``), and the equity curve under other costs.

Fills are marked at the close of their session on the price line the data gives, so a split or
dividend adjustment of the data never draws a marker away from its line.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from analyzers.charts import BENCHMARK, DPI, LONG, SHORT, STRATEGY, WIDTH, Chart, dates, naive, png, style

PRICE_COLUMNS = 2
TOP_SYMBOLS = 6
COST_COLOURS = ("#1b7a3a", STRATEGY, "#e08a1e", SHORT)


def top_traded(transactions: pd.DataFrame, top: int = TOP_SYMBOLS) -> list[str]:
    """The symbols with the most value traded, most first."""
    notional = (transactions["amount"].abs() * transactions["price"]).groupby(transactions["symbol"]).sum()
    return list(notional.sort_values(ascending=False, kind="stable").index[:top])


@dataclass(frozen=True)
class Marks:
    entries: pd.Series  # session → close, where a position opened from flat
    exits: pd.Series  # session → close, where a position went back to flat
    resized: int  # fills that only changed the size (not marked)


def marks(transactions: pd.DataFrame, symbol: str, close: pd.Series) -> Marks:
    """Entries (flat → held) and exits (held → flat) of ``symbol``, at the session's close on
    the drawn line; a fill that only re-sizes a held position is counted, not marked."""
    t = transactions[transactions["symbol"] == symbol].sort_index()
    held = t["amount"].cumsum().round(9).to_numpy()
    before = np.concatenate([[0.0], held[:-1]])
    idx = pd.DatetimeIndex(t.index)
    days = (idx.tz_convert(None) if idx.tz is not None else idx).normalize()
    opened, closed = (before == 0) & (held != 0), (before != 0) & (held == 0)
    flipped = (before != 0) & (held != 0) & (np.sign(before) != np.sign(held))  # a reversal: both
    entries = close.reindex(days[opened | flipped].unique()).dropna()
    exits = close.reindex(days[closed | flipped].unique()).dropna()
    return Marks(entries, exits, int((~(opened | closed | flipped)).sum()))


def prices(close: pd.DataFrame, transactions: pd.DataFrame, symbols: list[str]) -> Chart:
    """Small multiples: each symbol's close over the run, ▲ where a position opened, ▼ where it closed."""
    rows = -(-len(symbols) // PRICE_COLUMNS)
    fig, axes = plt.subplots(rows, PRICE_COLUMNS, figsize=(WIDTH, 2.4 * rows + 0.3), squeeze=False)
    for ax, symbol in zip(axes.flat, symbols, strict=False):
        style(ax)
        line = close[symbol].dropna()
        line.index = naive(line.index)
        ax.plot(line.index, line.to_numpy(), color=BENCHMARK, lw=1.0)
        m = marks(transactions, symbol, line)
        ax.scatter(m.entries.index, m.entries.to_numpy(), marker="^", color=LONG, s=30, zorder=3,
                   label=f"entry ({len(m.entries)})")
        ax.scatter(m.exits.index, m.exits.to_numpy(), marker="v", color=SHORT, s=30, zorder=3,
                   label=f"exit ({len(m.exits)})")
        ax.set_title(f"{symbol}   ({m.resized} re-sizing fills not marked)", fontsize=10, loc="left")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"${x:,.0f}"))
        ax.legend(loc="upper left", frameon=False, fontsize=8, ncol=2)
        dates(ax)
    for ax in axes.flat[len(symbols):]:
        ax.set_visible(False)
    caption = (f"the {len(symbols)} most traded symbols by value; ▲ a position opened from flat, ▼ it went back to "
               "flat, at that session's close")
    return Chart("prices", "Prices with entries and exits", png(fig), caption)


def cost_sensitivity(curves: pd.DataFrame, actual: pd.Series) -> Chart:
    """The equity curve at each cost level, the run's own beside them (dashed)."""
    fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
    style(ax)
    days = naive(curves.index)
    for (name, curve), colour in zip(curves.items(), COST_COLOURS, strict=False):
        ax.plot(days, curve.to_numpy(), color=colour, lw=1.3, label=f"{name} a fill")
    ax.plot(days, actual.to_numpy(), color="#222222", lw=1.0, ls="--", label="as run")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"${x:,.0f}"))
    ax.set_ylabel("equity")
    ax.legend(loc="upper left", frameon=False, ncol=len(curves.columns) + 1, fontsize=8)
    dates(ax)
    fig.set_dpi(DPI)
    return Chart("cost-sensitivity", "Cost sensitivity", png(fig),
                 "equity had every fill cost 0, 5, 10 or 20 bps of its value instead of what the run paid "
                 "(commission and slippage against the arrival price): the same trades, only their cost re-priced")


__all__ = ["Marks", "cost_sensitivity", "marks", "prices", "top_traded"]
