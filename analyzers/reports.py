"""Every report of a run folder, rebuilt from its journal: `trade report` and `trade backtest`."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analyzers import execution_quality, tearsheet
from analyzers.records import RunRecords, load_run


@dataclass(frozen=True)
class ReportSummary:
    folder: Path
    execution: dict[str, float]
    sharpe: float
    max_drawdown: float


def reference_prices(records: RunRecords) -> pd.Series | None:
    """Close on the day each order ended: the value of what it left unfilled."""
    market = records.market()
    if market is None or records.orders.empty:
        return None
    ended = pd.to_datetime(records.orders["updated_at"].fillna(records.orders["created_at"]), utc=True)
    days = ended.dt.tz_convert("America/New_York").dt.normalize().dt.tz_localize(None)
    close = market.close.ffill()
    prices = [
        float(close[s].asof(d)) if s in close.columns else float("nan")
        for s, d in zip(records.orders["symbol"], days, strict=True)
    ]
    return pd.Series(prices, index=records.orders["client_order_id"].to_numpy())


def _clean(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}


def build_reports(run_dir: Path | str) -> ReportSummary:
    records = load_run(run_dir)
    folder = records.folder
    quality = execution_quality.analyse(records.orders, records.fills, reference_prices(records))
    quality.orders.to_csv(folder / "execution_quality.csv", index=False)
    payload = {"overall": _clean(quality.overall), "groups": [_clean(r) for r in quality.groups.to_dict("records")]}
    (folder / "execution_quality.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    market = records.market()
    returns, _, _ = tearsheet.pyfolio_inputs(records)
    bench = tearsheet.equal_weight_benchmark(market, returns.index) if market is not None else None
    sheet = tearsheet.build(records, bench)
    (folder / "tearsheet.html").write_text(sheet.html)
    return ReportSummary(
        folder, quality.overall, float(sheet.stats["Sharpe ratio"]), float(sheet.stats["Max drawdown"])
    )
