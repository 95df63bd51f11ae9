"""The README's example plugin trades cleanly in `trade paper` against the sandbox (real alpaca-py
over loopback) with its own defaults — daily, shorts — and its exits hook closes positions after
N sessions, with the very intents `trade backtest` decides session by session."""

from __future__ import annotations

import pandas as pd
from alpaca_sandbox_helpers import environment, intents_by_session, paper_once, start_sandbox
from market_once import configured

from brokers.backtrader.runner import run_backtest
from framework.config.loader import load_settings
from framework.journal import Journal
from framework.registry import get_strategy

SYMBOLS = "[AAPL, MSFT, XOM, JPM, PFE, KO, GE, NEE, AMZN, SPG, CVX, WMT]"
SESSIONS = 6


def test_mean_reversion_trades_daily_exits_by_its_hook_and_matches_the_backtest(tmp_path) -> None:
    cfg = tmp_path / "mr.yaml"
    cfg.write_text(
        "strategy:\n  name: mean_reversion\n  params: {hold_sessions: 2, entry_z: 1.5}\n"
        f"data:\n  symbols: {SYMBOLS}\n"
        f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n  ack_deadline_seconds: 10\n"
    )
    with start_sandbox(tmp_path) as sandbox:
        env = environment(sandbox)
        for _ in range(SESSIONS):
            paper_once(cfg, env)
            sandbox.advance()

    journal = Journal(tmp_path / "paper.sqlite")
    try:
        orders = journal.orders()
        decisions = journal.table("risk_decisions")
        halts = journal.halt_state()
    finally:
        journal.close()
    tags = {o.tag for o in orders}
    assert "exit" in tags and "exit_rule" in set(decisions["reason"]), (tags, set(decisions["reason"]))
    assert not [o for o in orders if o.status.value == "rejected"] and not halts.halted
    paper = intents_by_session(tmp_path / "paper.sqlite")
    assert len(paper) >= SESSIONS - 1  # it traded (almost) every session: its own rebalance_every is 1
    assert any(side == "sell" and qty and symbol for day in paper.values() for symbol, side, qty, _ in day)

    settings = load_settings([cfg])
    market = configured(settings.data)
    days = sorted(paper)
    first = pd.Timestamp(days[0])
    signal_days = [d for d in market.dates if d >= first][:SESSIONS]
    after = market.dates[market.dates > signal_days[-1]][0]
    bt_cfg = tmp_path / "bt.yaml"
    bt_cfg.write_text(cfg.read_text() + f"backtest:\n  start: '{first:%Y-%m-%d}'\n  end: '{after:%Y-%m-%d}'\n")
    bt_settings = load_settings([bt_cfg])
    plugin = get_strategy("mean_reversion")(bt_settings.strategy.params)
    run_backtest(market, plugin, bt_settings, tmp_path / "bt.sqlite")
    backtest = intents_by_session(tmp_path / "bt.sqlite")
    for day in (f"{d:%Y%m%d}" for d in signal_days):
        assert paper.get(day, []) == backtest.get(day, []), day


def test_paper_says_once_per_process_what_the_configuration_drops(tmp_path) -> None:
    from brokers.alpaca.connect import connect
    from framework.live.runner import PaperRunner

    cfg = tmp_path / "mom.yaml"
    cfg.write_text(f"strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\ndata:\n  symbols: {SYMBOLS}\n"
                   f"paper:\n  journal: {tmp_path / 'paper.sqlite'}\n  ack_deadline_seconds: 10\n")
    with start_sandbox(tmp_path) as sandbox:
        settings = load_settings([cfg])
        conn = connect(settings, environment(sandbox), stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars, echo=lambda _s: None)
        try:
            first = runner.cycle()
            sandbox.advance()
            second = runner.cycle()
        finally:
            runner.close()
            conn.close()
    assert any("signals.allow_short is false" in w for w in first.warnings)
    assert second.warnings == []  # the same process does not say it again
