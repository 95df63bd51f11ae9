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


def summarise(journal: Journal, initial_cash: float) -> tuple[dict[str, Any], pd.DataFrame]:
    returns = daily_returns(journal.equity_curve(), initial_cash)
    r = pd.Series(returns["return"].to_numpy(), index=pd.to_datetime(returns["date"]))
    orders = journal.table("orders")
    fills = journal.table("fills")
    events = journal.table("order_events")
    traded = float((fills["qty"].astype(float) * fills["price"].astype(float)).sum()) if len(fills) else 0.0
    years = max(len(r) / 252.0, 1 / 252.0)
    mean_equity = float(returns["equity"].mean()) if len(returns) else initial_cash
    figures = {
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
    }
    return {k: (_num(v) if isinstance(v, float) else v) for k, v in figures.items()}, returns


def write_run_folder(folder: Path, journal_path: Path, initial_cash: float, context: dict[str, Any]) -> dict[str, Any]:
    """CSV exports and summary.json next to the journal; returns the summary."""
    journal = Journal(journal_path)
    try:
        figures, returns = summarise(journal, initial_cash)
        returns.to_csv(folder / "returns.csv", index=False)
        journal.table("orders").drop(columns=["order_json"]).to_csv(folder / "orders.csv", index=False)
        journal.table("fills").to_csv(folder / "fills.csv", index=False)
        journal.table("positions").to_csv(folder / "positions.csv", index=False)
    finally:
        journal.close()
    summary = {"figures": figures, **context}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    return summary
