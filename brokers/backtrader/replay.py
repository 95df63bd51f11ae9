"""`trade backtest --inputs-of PAPER_JOURNAL`: a backtest on exactly what a paper run decided on.

Every paper cycle stores the history it decided on beside its journal (``framework.decision_inputs``).
The replay rebuilds each decision as paper made it — the plugin's signals computed on that
cycle's history, the sizing's snapshot built from it — and runs them through the backtest's
engine and simulator, the bars the simulator fills on being those same histories joined (each
date as the cycle that first saw it received it). Intents equal to paper's, to the share, prove
"same code" for the run, apart from "same data".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from brokers.backtrader.runner import BacktestResult, Decision, run_backtest
from framework import decision_inputs
from framework.config.settings import Settings
from framework.data import MarketData
from framework.errors import InputError
from framework.journal import Journal
from framework.market import SnapshotBuilder
from framework.registry import get_strategy
from framework.strategy import compute_signals

_FRAMES = ("open", "high", "low", "close", "volume", "dividends", "splits", "filled")


@dataclass(frozen=True)
class PaperInputs:
    """A paper run's settings, starting cash and the history of each decision (by signal date)."""

    run_id: str
    settings: Settings
    cash: float
    histories: dict[pd.Timestamp, MarketData]


def read_inputs(journal_path: Path) -> PaperInputs:
    """The decisions a paper journal recorded, each with its stored history; InputError for a
    path that is not a paper journal with decision inputs."""
    if not journal_path.is_file():
        raise InputError(f"--inputs-of {journal_path}: no such journal file")
    try:
        journal = Journal.scratch_copy(journal_path)
    except Exception as e:  # any unreadable file is the user's input
        raise InputError(f"--inputs-of {journal_path}: not a trade journal ({e})") from None
    try:
        runs = journal.table("runs")
        paper = runs[runs["kind"] == "paper"]
        if paper.empty:
            raise InputError(f"--inputs-of {journal_path}: no paper run in this journal")
        row = paper.iloc[-1]
        rows = journal.decision_inputs(str(row["run_id"]))
    finally:
        journal.close()
    if not rows:
        raise InputError(f"--inputs-of {journal_path}: the paper run journaled no decision inputs "
                         "(recorded from this version on)")
    folder = decision_inputs.folder_of(journal_path)
    histories = {pd.Timestamp(signal.date()): decision_inputs.load(folder, digest) for _, signal, digest in rows}
    settings = Settings.model_validate(json.loads(row["config_json"]))
    return PaperInputs(str(row["run_id"]), settings, float(row["initial_cash"]), histories)


def joined(histories: dict[pd.Timestamp, MarketData]) -> MarketData:
    """One history from the decisions' histories: each date's bars and actions as the first
    history holding it has them (a later one may restate earlier bars in today's shares)."""
    ordered = [histories[d] for d in sorted(histories)]
    first = ordered[0]
    frames = {name: getattr(first, name) for name in _FRAMES}
    for history in ordered[1:]:
        new = history.dates.difference(frames["close"].index)
        if len(new) == 0:
            continue
        for name in _FRAMES:
            frame = getattr(history, name).loc[new]
            frames[name] = pd.concat([frames[name], frame.reindex(columns=frames[name].columns)]).sort_index()
    sectors = pd.concat([h.sectors for h in ordered])
    sectors = sectors[~sectors.index.duplicated(keep="first")]
    filled = frames.pop("filled").fillna(False).astype(bool)
    return MarketData(**frames, filled=filled, sectors=sectors, source=f"decision inputs of {first.source}",
                      fingerprint=f"replay-{first.fingerprint}", view=first.view, basis=first.basis)


def decisions(inputs: PaperInputs) -> dict[pd.Timestamp, Decision]:
    """Each decision as the paper cycle made it: signals and snapshot from that cycle's history."""
    settings = inputs.settings
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    out = {}
    for day, history in inputs.histories.items():
        last = history.dates[-1]
        signals = compute_signals(plugin, history)
        snapshot = SnapshotBuilder(history, settings.sizing.volatility_lookback).at(last)
        out[day] = Decision(snapshot, signals.loc[last])
    return out


def replay(journal_path: Path, out_journal: Path) -> tuple[PaperInputs, BacktestResult]:
    """Backtest the paper run of ``journal_path`` on its own decision inputs into ``out_journal``."""
    inputs = read_inputs(journal_path)
    days = sorted(inputs.histories)
    settings = inputs.settings.model_copy(update={
        "backtest": inputs.settings.backtest.model_copy(update={
            "start": days[0].date(), "end": days[-1].date(), "cash": inputs.cash}),
    })
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    market = joined(inputs.histories)
    made = decisions(inputs)
    signals = pd.DataFrame({d: made[d].signals for d in days}).T
    result = run_backtest(market, plugin, settings, out_journal, signals=signals, decisions=made,
                          window=(days[0], days[-1]))
    return PaperInputs(inputs.run_id, settings, inputs.cash, inputs.histories), result





#: What an intent means, compared exactly (text as journaled): the same order, to the share.
INTENT_KEYS = ("symbol", "side", "qty", "notional", "type", "limit_price", "stop_price", "trail_price",
               "trail_percent", "time_in_force", "tag", "decision_price")


def intents_of(journal_path: Path) -> dict[tuple[str, str, str], tuple]:
    """(decision time, symbol, tag) -> the intent's fields as journaled, for exact comparison."""
    journal = Journal.scratch_copy(journal_path)
    try:
        table = journal.table("intents")
    finally:
        journal.close()
    out = {}
    for time, text in zip(table["time"], table["order_json"], strict=True):
        order = json.loads(text)
        key = (str(pd.Timestamp(time).date()), str(order.get("symbol")), str(order.get("tag")))
        out[key] = tuple(order.get(k) for k in INTENT_KEYS)
    return out


@dataclass(frozen=True)
class ReplayParity:
    """Intents of the paper run and of its replay, compared field by field as journaled."""

    paper: dict[tuple[str, str, str], tuple]
    replay: dict[tuple[str, str, str], tuple]

    @property
    def total(self) -> int:
        return len(self.paper.keys() | self.replay.keys())

    @property
    def differing(self) -> list[tuple[str, str, str]]:
        keys = sorted(self.paper.keys() | self.replay.keys())
        return [k for k in keys if self.paper.get(k) != self.replay.get(k)]

    @property
    def matched(self) -> int:
        return self.total - len(self.differing)

    def line(self) -> str:
        share = self.matched / self.total if self.total else 1.0
        return f"replay intents identical to paper's: {self.matched}/{self.total} ({share:.1%})"


def replay_parity(paper_journal: Path, replay_journal: Path) -> ReplayParity:
    return ReplayParity(intents_of(paper_journal), intents_of(replay_journal))


__all__ = ["INTENT_KEYS", "PaperInputs", "ReplayParity", "decisions", "intents_of", "joined", "read_inputs",
           "replay", "replay_parity"]
