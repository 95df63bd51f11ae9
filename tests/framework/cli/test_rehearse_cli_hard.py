"""`trade rehearse` on the hard cases: protective stops with fractional shares on a cash account,
and market-on-open orders at the official open (a module of its own: the two longest rehearsals,
run by xdist beside test_rehearse_cli.py instead of after it)."""

from __future__ import annotations

import json
import re

import pytest
from cli_invoke import invoke as run

from analyzers.records import load_run
from brokers.alpaca import session
from framework.cli.rehearse import UNPACED

# momentum rebalances on the close of 2019-05-06 (the second decision from here): orders fill at
# the open of 2019-05-07, the stops armed on them fire from 2019-05-08
START = "2019-05-06"


def test_rehearsal_with_stops_fractional_shares_and_a_cash_account(tmp_path, capsys, monkeypatch):
    """The issue's hard case: protective stops (stop loss and trailing), fractional quantities (DAY
    stops re-armed every session), margin multiplier 1 (pending sells free no buying power).
    Its paper cycles are not paced by the client's ceilings (the sandbox's budget never paced
    them): at Alpaca's 200 a minute, 8 sessions of it waited ~40 s for the minute to pass."""
    budgets: list[session.SharedBudget] = []
    made = session.shared_budget

    def kept(*args, **kwargs) -> session.SharedBudget:
        budgets.append(made(*args, **kwargs))  # every budget the paper cycles spend
        return budgets[-1]

    monkeypatch.setattr(session, "shared_budget", kept)
    cfg = tmp_path / "hard.yaml"
    cfg.write_text("risk:\n  stop_loss: 0.03\n  trailing_stop: 0.05\nsizing:\n  fractional: true\n"
                   "venue:\n  margin_multiplier: 1\n")
    folder = tmp_path / "rehearsal"
    code, out, err = run(["rehearse", "--strategy", "momentum", "--start", START, "--sessions", "4",
                          "--config", str(cfg), "--out", str(folder)], capsys)

    assert code == 0, out + err
    payload = json.loads((folder / "divergence.json").read_text())
    assert payload["intents"]["matched"] == payload["intents"]["total"] > 0
    assert payload["rejections"] == {"backtest": 0, "paper": 0}
    on_time, decided = payload["sells_on_time"]["paper"]
    assert on_time == decided > 0  # every exit on the open after its decision
    paper = load_run(folder / "paper")
    stops = paper.orders[paper.orders["tag"] == "protective"]
    assert (stops["status"] == "filled").any()  # stops did fire: the case was exercised
    assert (stops["time_in_force"] == "day").all()  # fractional: DAY stops, as the venue accepts
    assert (paper.orders["qty"] % 1 != 0).any()  # fractional quantities were traded
    assert {b.name.split()[0] for b in budgets} == {"trading", "data"}
    assert {b.budget.limit for b in budgets} == {UNPACED}
    assert sum(b.waited for b in budgets) == 0.0


def test_rehearsal_in_market_on_open_style_has_full_parity_at_the_official_open(tmp_path, capsys):
    """Issue 29: opg orders join the opening auction in both worlds and fill at the official open
    (no spread crossed), so paper and backtest agree to the cent and arrival slippage is nil."""
    config = tmp_path / "moo.yaml"
    config.write_text("orders:\n  style: market_on_open\n")
    folder = tmp_path / "rehearsal"
    code, out, err = run(["rehearse", "--strategy", "momentum", "--start", START, "--sessions", "2",
                          "--config", str(config), "--out", str(folder)], capsys)
    assert code == 0, out + err
    assert re.search(r"intents matched: (\d+)/\1 \(100\.0%\)", out), out
    payload = json.loads((folder / "divergence.json").read_text())
    assert payload["equity_difference"] == pytest.approx(0.0, abs=1e-6)
    paper, backtest = load_run(folder / "paper"), load_run(folder / "backtest")
    for records in (paper, backtest):
        sent = records.orders[records.orders["tag"] != "protective"]
        assert len(sent) > 0 and set(sent["time_in_force"]) == {"opg"}
        filled = sent[sent["status"] == "filled"]
        # the official open itself (arrival prices are kept to 6 decimals)
        assert filled["filled_avg_price"].to_numpy() == pytest.approx(filled["arrival_price"].to_numpy(), abs=1e-6)
