"""A run's records as DataFrames, read from its journal (backtest and paper alike)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from analyzers.execution_quality import submissions
from framework.config import DataConfig
from framework.data import MarketData, load_configured
from framework.errors import InputError, UserError
from framework.journal import Journal
from framework.styles import OrderStyle

NEW_YORK = "America/New_York"


@dataclass(frozen=True)
class RunRecords:
    folder: Path
    orders: pd.DataFrame  # one row per order, prices as floats, decision date in `day`
    fills: pd.DataFrame  # one row per execution
    equity: pd.DataFrame  # time, cash, equity (one row per decision)
    positions: pd.DataFrame  # time, symbol, qty, price
    initial_cash: float
    summary: dict[str, Any] | None
    events: pd.DataFrame = field(default_factory=pd.DataFrame)  # journal order_events (halts on "*")
    run: dict[str, Any] = field(default_factory=dict)  # the journal's first `runs` row, config parsed
    intents: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per intent, decision session in `day`
    risk_decisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # what risk changed, and why (`day`)
    adjustments: pd.DataFrame = field(default_factory=pd.DataFrame)  # adoptions of the broker's books
    signals: pd.DataFrame = field(default_factory=pd.DataFrame)  # day, symbol, value (rebalance decisions)
    inputs: dict[pd.Timestamp, str] = field(default_factory=dict)  # decision day → stored inputs' digest

    @property
    def kind(self) -> str:
        """"backtest" or "paper" (as the journal says)."""
        return str(self.run.get("kind", "backtest"))

    @property
    def config(self) -> dict[str, Any]:
        """The settings the run used: summary.json's, else the journal's."""
        if self.summary and "config" in self.summary:
            return self.summary["config"]
        return self.run.get("config", {})

    @property
    def style(self) -> OrderStyle | None:
        """The run's ``orders.style`` (None: unset, or a run from before styles)."""
        value = (self.config.get("orders") or {}).get("style")
        return OrderStyle(value) if value in OrderStyle._value2member_map_ else None

    @property
    def days(self) -> list[date]:
        """The run's sessions (venue dates), one per decision."""
        return [d.date() for d in self.equity["day"]]

    @property
    def returns(self) -> pd.Series:
        """Daily returns indexed by session date (tz-naive), the first against initial cash."""
        eq = self.equity.set_index("day")["equity"]
        return eq / eq.shift(1).fillna(self.initial_cash) - 1.0

    def market(self) -> MarketData | None:
        """The market data the run's config names (a paper run's sandbox replays the same data),
        or None when the config names none or it cannot be read."""
        data = self.config.get("data")
        if not isinstance(data, dict):
            return None
        try:
            return load_configured(DataConfig(**data))
        except UserError:
            return None  # a paper run's data file moved: the reports go on without a benchmark


def _day(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times, utc=True, format="ISO8601").dt.tz_convert(NEW_YORK).dt.normalize().dt.tz_localize(None)


def _decision_day(orders: pd.DataFrame) -> pd.Series:
    """The session whose close the order was decided on. Our client order ids carry it
    (``make_client_order_id``: strategy-YYYYMMDD-symbol-seq-hash); paper orders are created at
    wall-clock time the next morning, so ``created_at`` alone would be a day late."""
    encoded = orders["client_order_id"].str.extract(r"^[^-]*-(\d{8})-")[0]
    parsed = pd.to_datetime(encoded, format="%Y%m%d", errors="coerce")
    return parsed.fillna(_day(orders["created_at"]))


INTENT_FIELDS = ("symbol", "side", "qty", "type", "tag", "decision_price", "stop_price", "time_in_force")


def _intents(table: pd.DataFrame) -> pd.DataFrame:
    """The journal's intents as columns: what each decision meant to send, in its session."""
    parsed = [json.loads(text) for text in table["order_json"]]
    frame = pd.DataFrame([{k: row.get(k) for k in INTENT_FIELDS} for row in parsed], columns=list(INTENT_FIELDS))
    for column in ("qty", "decision_price", "stop_price"):
        frame[column] = pd.to_numeric(frame[column])
    frame.insert(0, "client_order_id", table["client_order_id"].to_numpy())
    frame.insert(1, "day", _day(table["time"]).to_numpy())
    return frame


def load_run(folder: Path | str) -> RunRecords:
    folder = Path(folder)
    path = folder / "journal.sqlite"
    if not path.is_file():
        raise InputError(f"{folder}: not a run folder (no journal.sqlite)")
    journal = Journal(path)
    try:
        run = journal.run()
        orders = journal.table("orders").drop(columns=["order_json"])
        fills = journal.table("fills")
        equity = journal.table("equity")
        positions = journal.table("positions")
        events = journal.table("order_events")
        runs = journal.table("runs").sort_values("started_at")
        intents = _intents(journal.table("intents"))
        decisions = journal.table("risk_decisions")
        adjustments = journal.table("adjustments")
        signals = journal.table("signals")
        inputs = _decision_inputs(journal)
    finally:
        journal.close()
    for column in ("qty", "filled_qty", "filled_avg_price", "decision_price", "arrival_price", "limit_price"):
        orders[column] = pd.to_numeric(orders[column])
    for column in ("qty", "price", "commission"):
        fills[column] = pd.to_numeric(fills[column])
    for column in ("cash", "equity"):
        equity[column] = pd.to_numeric(equity[column])
    for column in ("qty", "price"):
        positions[column] = pd.to_numeric(positions[column])
    orders["day"] = _decision_day(orders)
    orders["submitted_at"] = orders["client_order_id"].map(submissions(events))
    equity["day"] = _day(equity["time"])
    positions["day"] = _day(positions["time"])
    decisions["day"] = _day(decisions["time"])
    signals["day"] = _day(signals["time"])
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
    initial = float(run.initial_cash) if run else float(equity["equity"].iloc[0]) if len(equity) else 0.0
    run_row = runs.iloc[0].to_dict() if len(runs) else {}
    if run_row:
        run_row["config"] = json.loads(run_row.pop("config_json") or "{}")
    return RunRecords(
        folder, orders, fills, equity, positions, initial, summary, events, run_row, intents, decisions, adjustments,
        signals[["day", "symbol", "value"]], inputs,
    )


def load_halt_inputs(folder: Path | str) -> tuple[pd.DataFrame, list[date], pd.Series]:
    """What a run's halts are told from, and nothing else: its order events, sessions and equity
    by session (as :func:`load_run` reads them). ``trade backtest --no-report`` tells the halts
    without a report; a whole market's journal holds about a million signal rows it need not read."""
    path = Path(folder) / "journal.sqlite"
    if not path.is_file():
        raise InputError(f"{folder}: not a run folder (no journal.sqlite)")
    journal = Journal(path)
    try:
        equity = journal.table("equity")
        events = journal.table("order_events")
    finally:
        journal.close()
    equity["equity"] = pd.to_numeric(equity["equity"])
    days = [d.date() for d in _day(equity["time"])]
    return events, days, equity["equity"].set_axis(days)


def _decision_inputs(journal: Journal) -> dict[pd.Timestamp, str]:
    """Decision day → digest of the bars a paper cycle decided on (``decision_inputs``, where the
    journal keeps them; older journals and backtests have none)."""
    reader = getattr(journal, "decision_inputs", None)
    run = journal.run()
    if reader is None or run is None:
        return {}
    try:
        rows = reader(run.run_id)
    except sqlite3.Error:  # a journal from before the table: no stored inputs
        return {}
    # keyed by the decision day (the signals' session), as intents and equity are
    return {pd.Timestamp(decided.astimezone(ZoneInfo(NEW_YORK)).date()): digest for _, decided, digest in rows}


def stored_inputs(records: RunRecords, day: pd.Timestamp) -> MarketData | None:
    """The history the run's decision of ``day`` saw, when the run stored it (paper runs do)."""
    digest = records.inputs.get(pd.Timestamp(day))
    if digest is None:
        return None
    try:
        from framework import decision_inputs
    except ImportError:
        return None
    return decision_inputs.load(decision_inputs.folder_of(records.folder / "journal.sqlite"), digest)
