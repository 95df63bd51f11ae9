"""Every report of a run folder, rebuilt from its journal: `trade report` and `trade backtest`."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import empyrical as ep
import pandas as pd

from analyzers import execution_quality, sections, tearsheet
from analyzers.halts import HaltEpisode
from analyzers.records import RunRecords, load_run
from analyzers.run_header import RunHeader
from framework.data import MarketData
from framework.progress import progress


@dataclass(frozen=True)
class ReportSummary:
    folder: Path
    execution: dict[str, float]
    sharpe: float
    max_drawdown: float
    header: RunHeader
    halts: tuple[HaltEpisode, ...] = ()
    sessions: int = 0


def reference_prices(records: RunRecords, market: MarketData | None) -> pd.Series | None:
    """Close on the day each order ended: the value of what it left unfilled (NaN for a day the
    market data does not cover)."""
    if market is None or records.orders.empty:
        return None
    ended = pd.to_datetime(records.orders["updated_at"].fillna(records.orders["created_at"]), utc=True,
                           format="ISO8601")
    days = ended.dt.tz_convert("America/New_York").dt.normalize().dt.tz_localize(None)
    close = market.close.ffill()
    last = market.dates[-1]
    prices = [
        float(close[s].asof(d)) if s in close.columns and d <= last else float("nan")
        for s, d in zip(records.orders["symbol"], days, strict=True)
    ]
    return pd.Series(prices, index=records.orders["client_order_id"].to_numpy())


def _clean(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}


def _write_quality(folder: Path, quality: execution_quality.ExecutionQuality) -> None:
    quality.orders.to_csv(folder / "execution_quality.csv", index=False)
    payload = {"overall": _clean(quality.overall), "groups": [_clean(r) for r in quality.groups.to_dict("records")]}
    (folder / "execution_quality.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")


def build_reports(run_dir: Path | str, name: str | None = None, *, show_progress: bool = True,
                  market: MarketData | None = None) -> ReportSummary:
    """Execution quality (JSON, CSV) and the tear sheet of ``run_dir``; ``name`` titles the sheet
    (default: the folder's name, without the ``.partial`` a backtest builds in). ``market``: the
    data the run's config names, when the caller has it loaded already (a backtest: at 500
    symbols, loading it again took 1-3 s); by default it is loaded from the run's config."""
    records = load_run(run_dir)  # a folder that is no run is one line of error, no progress first
    steps = 3 + len(sections.BUILDERS)
    with progress(steps, "report", unit="step", enabled=show_progress) as tracker:
        market = market if market is not None else records.market()
        tracker.advance()
        quality = execution_quality.analyse(
            records.orders, records.fills, reference_prices(records, market), configured=records.style
        )
        _write_quality(records.folder, quality)
        tracker.advance()
        inp = tearsheet.inputs(records, market, quality, name)
        sheet = tearsheet.build(inp, tracker.advance)
        (records.folder / "tearsheet.html").write_text(sheet.html)
        tracker.advance()
    returns = records.returns
    enough = len(returns) > 1
    return ReportSummary(
        records.folder,
        quality.overall,
        float(ep.sharpe_ratio(returns)) if enough else float("nan"),
        float(ep.max_drawdown(returns)) if enough else float("nan"),
        sheet.header,
        tuple(inp.episodes),
        len(returns),
    )


__all__ = ["ReportSummary", "build_reports", "reference_prices"]
