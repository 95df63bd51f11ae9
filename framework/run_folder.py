"""The run folder of a backtest: summary, CSVs and the journal, written atomically.

Everything goes into a hidden sibling folder first and is renamed at the end, so a failed run
leaves nothing behind. ``summary.json`` holds no wall-clock time or path: the same inputs give
a byte-identical file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import empyrical
import numpy as np
import pandas as pd

from framework.journal import Journal
from framework.order_outcomes import outcomes

SUMMARY_KEYS = (
    "total_return",
    "cagr",
    "sharpe",
    "max_drawdown",
    "turnover",
    "orders",
    "fills",
    "rejects",
    "avg_slippage_bps",
    "halts",
)


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a scratch folder that becomes ``target`` only if the block succeeds."""
    if target.exists():
        from framework.errors import InputError

        raise InputError(f"run folder {target} already exists")
    scratch = target.parent / f".{target.name}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        yield scratch
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    scratch.rename(target)


def daily_returns(equity: pd.DataFrame, initial_cash: float) -> pd.DataFrame:
    frame = equity.copy()
    frame["date"] = frame["time"].dt.tz_convert("America/New_York").dt.date.astype(str)
    previous = frame["equity"].shift(1).fillna(initial_cash)
    frame["return"] = frame["equity"] / previous - 1.0
    return frame[["date", "cash", "equity", "return"]]


QTY_DECIMALS = 9  # Alpaca's fractional-share increment
PRICE_DECIMALS = 4  # a price below $1 moves in 0.0001; an average cost is shown to the same digit


def positions_for_people(positions: pd.DataFrame) -> pd.DataFrame:
    """The journal's positions as a person reads them: the session's date in New York (the
    venue's zone; the journal's UTC stamps read 04:00/05:00), quantities to Alpaca's 1e-9 share,
    average cost and mark to 4 decimals (the journal keeps exact decimals, like
    ``108.1770873431734317343173432``)."""
    out = positions.copy()
    if out.empty:
        return out.rename(columns={"time": "date"})
    when = pd.to_datetime(out.pop("time"), utc=True, format="ISO8601")
    out.insert(1, "date", when.dt.tz_convert("America/New_York").dt.date.astype(str))
    out["qty"] = pd.to_numeric(out["qty"]).round(QTY_DECIMALS)
    for column in ("avg_cost", "price"):
        out[column] = pd.to_numeric(out[column]).round(PRICE_DECIMALS)
    return out


def _slippage_bps(orders: pd.DataFrame) -> float:
    filled = orders[orders["filled_qty"].astype(float) > 0].copy()
    filled = filled[filled["decision_price"].notna() & filled["filled_avg_price"].notna()]
    if filled.empty:
        return 0.0
    ref = filled["decision_price"].astype(float)
    px = filled["filled_avg_price"].astype(float)
    sign = np.where(filled["side"] == "buy", 1.0, -1.0)
    bps = sign * (px - ref) / ref * 1e4
    weight = filled["filled_qty"].astype(float) * px
    return float(np.average(bps, weights=weight))


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 10)


#: what the figures read of each table besides the equity curve (a few columns of wide tables)
FIGURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("client_order_id", "symbol", "side", "status", "filled_qty", "filled_avg_price", "decision_price"),
    "fills": ("qty", "price"),
    "order_events": ("client_order_id", "event", "time"),
}


def summarise(journal: Journal, initial_cash: float,
              splits: pd.DataFrame | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """The run's figures and daily returns, read from its journal (only the columns they use)."""
    read = {name: journal.table(name, columns) for name, columns in FIGURE_COLUMNS.items()}
    return figures(journal.equity_curve(), read["orders"], read["fills"], read["order_events"], initial_cash, splits)


def figures(equity: pd.DataFrame, orders: pd.DataFrame, fills: pd.DataFrame, events: pd.DataFrame,
            initial_cash: float, splits: pd.DataFrame | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """The figures of ``summary.json`` and the daily returns, from the journal's tables (at
    least the :data:`FIGURE_COLUMNS`; a run folder passes the whole tables it exports)."""
    returns = daily_returns(equity, initial_cash)
    r = pd.Series(returns["return"].to_numpy(), index=pd.to_datetime(returns["date"]))
    traded = float((fills["qty"].astype(float) * fills["price"].astype(float)).sum()) if len(fills) else 0.0
    years = max(len(r) / 252.0, 1 / 252.0)
    mean_equity = float(returns["equity"].mean()) if len(returns) else initial_cash
    found = {
        "total_return": float(returns["equity"].iloc[-1] / initial_cash - 1.0) if len(returns) else 0.0,
        "cagr": float(empyrical.cagr(r)) if len(r) > 1 else 0.0,
        "sharpe": float(empyrical.sharpe_ratio(r)) if len(r) > 1 else 0.0,
        "max_drawdown": float(empyrical.max_drawdown(r)) if len(r) > 1 else 0.0,
        "turnover": traded / mean_equity / years,
        "orders": len(orders),
        "fills": len(fills),
        "rejects": int((orders["status"] == "rejected").sum()) if len(orders) else 0,
        "avg_slippage_bps": _slippage_bps(orders) if len(orders) else 0.0,
        "halts": int((events["event"] == "halt").sum()),
        "order_outcomes": outcomes(orders, events, splits),
    }
    return {k: (_num(v) if isinstance(v, float) else v) for k, v in found.items()}, returns


def write_run_folder(folder: Path, journal_path: Path, initial_cash: float, context: dict[str, Any],
                     splits: pd.DataFrame | None = None) -> dict[str, Any]:
    """CSV exports and summary.json next to the journal; returns the summary. ``splits`` (the
    data's, sessions × symbols) tells a cancellation by a split from others."""
    journal = Journal(journal_path)
    try:
        orders, fills = journal.table("orders"), journal.table("fills")  # read once: figures and exports
        events = journal.table("order_events", FIGURE_COLUMNS["order_events"])
        found, returns = figures(journal.equity_curve(), orders, fills, events, initial_cash, splits)
        returns.to_csv(folder / "returns.csv", index=False)
        orders.drop(columns=["order_json"]).to_csv(folder / "orders.csv", index=False)
        fills.to_csv(folder / "fills.csv", index=False)
        positions_for_people(journal.table("positions")).to_csv(folder / "positions.csv", index=False)
    finally:
        journal.close()
    summary = {"figures": found, **context}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    return summary
