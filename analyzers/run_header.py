"""The run header: what was run, on what, at what cost, and what stopped it.

Read from the run's own records (summary.json for a backtest, the journal's run row for a
paper account), so a sheet opened months later still says what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzers import halts
from analyzers.records import RunRecords
from analyzers.units import bps, pct, usd
from framework.config.venue import VenueConfig
from framework.venue import venue_from_config


@dataclass(frozen=True)
class RunHeader:
    name: str  # the run folder's name
    kind: str  # backtest | paper
    strategy: str
    parameters: str
    period: str
    sessions: int
    sessions_traded: int  # sessions with at least one fill
    initial_cash: float
    final_equity: float
    venue: str
    data: str
    halts: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{self.strategy} {self.kind}: {self.name}"


def run_name(records: RunRecords) -> str:
    """The folder's name; a backtest builds its reports in ``.NAME.partial`` before the rename."""
    name = records.folder.name
    if name.startswith(".") and name.endswith(".partial"):
        return name[1 : -len(".partial")]
    return name


def _parameters(config: dict[str, Any]) -> str:
    params = (config.get("strategy") or {}).get("params") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "defaults"


def venue_costs(section: dict[str, Any]) -> str:
    """What the venue model charged: slippage, commission, fees and dividends as the run's
    profile and settings made them (the cost keys of other profiles do not apply)."""
    venue = venue_from_config(VenueConfig.model_validate(section))
    slip = venue.slippage
    if slip.mode == "fixed":
        slippage = f"slippage {usd(slip.value, 3)} a share"
    else:
        slippage = f"slippage {bps(slip.value * 1e4)}"
    slippage += " (capped at the bar's range)" if slip.cap_at_bar_range else " (uncapped)"
    com = venue.schedule
    if com is None:
        commission = "no commission"
    elif com.mode == "percent":
        commission = f"commission {pct(com.percent)} of the order"
    else:
        commission = (f"commission {usd(com.per_share, 3)}/share, min {usd(com.minimum, 2)}, "
                      f"max {pct(com.maximum_pct)} of the order")
    fees = venue.fee_rates
    fee = (f"SEC {usd(fees.sec_rate_per_million, 2)}/M and TAF {usd(fees.taf_per_share, 6)}/share on sells"
           if fees is not None else "no fees")
    dividends = "dividends paid" if venue.pays_dividends else "no dividends"
    return f"{slippage}, {commission}, {fee}, {dividends}"


def _costs(config: dict[str, Any]) -> str:
    if config.get("venue"):
        return venue_costs(config["venue"])
    bt = config.get("backtest") or {}  # a run from before the venue model
    slip, com = bt.get("slippage") or {}, bt.get("commission") or {}
    if slip.get("mode") == "fixed":
        slippage = f"slippage {usd(slip.get('value'), 3)} a share"
    else:
        slippage = f"slippage {bps(float(slip.get('value', 0.0)) * 1e4)}"
    if com.get("mode") == "percent":
        commission = f"commission {pct(com.get('percent'))} of the order"
    else:
        commission = (f"commission {usd(com.get('per_share'), 3)}/share, min {usd(com.get('minimum'), 2)}, "
                      f"max {pct(com.get('maximum_pct'))} of the order")
    return f"{slippage}, {commission}"


def _venue(records: RunRecords) -> str:
    """The venue/cost profile when the run records one, and the cost settings in any case."""
    config = records.config
    venue = (records.summary or {}).get("venue") or config.get("venue") or {}
    profile = venue.get("profile") if isinstance(venue, dict) else venue
    if records.kind == "paper":
        text = "Alpaca paper account (or the sandbox): fills and commission as the venue reported them"
        return f"profile {profile}; {text}" if profile else text
    costs = _costs(config)
    return f"profile {profile}; {costs}" if profile else f"simulator (backtrader): {costs}"


def _data(records: RunRecords) -> str:
    summary = records.summary or {}
    data = summary.get("data") or {}
    fingerprint = data.get("fingerprint") or records.run.get("data_fingerprint", "")
    source = data.get("source") or ((records.config.get("data") or {}).get("prices") or "embedded")
    symbols = data.get("symbols") or (records.config.get("data") or {}).get("symbols")
    count = f", {len(symbols)} symbols" if symbols else ""
    if records.kind == "paper":
        return f"daily bars from the venue's data API{count}; the benchmark uses {source}"
    return f"{source}{count}, fingerprint {fingerprint}"


def header(records: RunRecords, name: str | None = None) -> RunHeader:
    days = records.days
    equity = records.equity.set_index("day")["equity"]
    found = halts.episodes(records.events, days, equity.set_axis(days) if len(days) else None)
    risk = records.config.get("risk") or {}
    traded = records.fills["time"].pipe(lambda t: t.str[:10]).nunique() if len(records.fills) else 0
    return RunHeader(
        name=name or run_name(records),
        kind=records.kind,
        strategy=str(records.run.get("strategy") or (records.summary or {}).get("strategy", "?")),
        parameters=_parameters(records.config),
        period=f"{days[0]} → {days[-1]}" if days else "no sessions",
        sessions=len(days),
        sessions_traded=int(traded),
        initial_cash=records.initial_cash,
        final_equity=float(equity.iloc[-1]) if len(equity) else records.initial_cash,
        venue=_venue(records),
        data=_data(records),
        halts=tuple(halts.stories(found, risk, paper=records.kind == "paper")),
    )


__all__ = ["RunHeader", "header", "run_name"]
