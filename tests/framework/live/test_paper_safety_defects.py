"""Issue 14's defects in the paper path, against the sandbox through real alpaca-py, one test each,
named after the defect; each failed on the code before the fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from alpaca.trading.client import TradingClient
from alpaca_sandbox_helpers import KEY, SECRET, environment, paper_once, start_sandbox
from alpaca_sandbox_helpers import paper_config as config
from cli_invoke import run_trade_output as trade

from brokers.alpaca.connect import connect
from framework.config.loader import load_settings
from framework.journal import Journal
from framework.live.runner import Deadline, PaperRunner


def test_defect02_an_intent_of_an_earlier_session_is_withdrawn_not_sent_late(tmp_path, capsys) -> None:
    cfg = config(tmp_path, "orders:\n  max_retries: 1\n  backoff_initial_seconds: 0.01\n")
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        sb.set_faults([{"kind": "server_error", "route": "POST /v2/orders", "count": 2, "status": 503}])
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 1, out  # the cycle failed mid-submission: its intents are journaled, unsent
        journal = Journal(tmp_path / "paper.sqlite")
        unsent = {o.client_order_id for o in journal.orders() if o.status.value == "created"}
        journal.close()
        assert unsent
        sb.advance()  # a session later
        code, out = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        client = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)
        sent = {o.client_order_id for o in client.get_orders()}
    assert not unsent & sent  # yesterday's decision was not sent today
    journal = Journal(tmp_path / "paper.sqlite")
    try:
        assert all(journal.order(c).status.value == "canceled" for c in unsent)
    finally:
        journal.close()


def test_defect12_one_engine_per_process_each_fill_handled_once(tmp_path) -> None:
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        settings = load_settings([cfg])
        conn = connect(settings, env, stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars, echo=lambda _s: None)
        try:
            for _ in range(3):  # loop mode: cycles in one process
                runner.cycle()
                sb.advance()
            runner.cycle()  # syncs the last session's fills
        finally:
            runner.close()
            conn.close()
    journal = Journal(tmp_path / "paper.sqlite")
    try:
        fills = journal.table("fills")
        events = journal.table("order_events")
        fill_events = events[events["event"].isin(["fill", "partial_fill"])]
        assert len(fills) > 0
        assert len(fill_events) == len(fills)  # not 3 events per fill
    finally:
        journal.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_defect13_dry_run_reads_the_real_journal_and_writes_nothing(tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        code, out = trade(["halt", "--reason", "desk says stop", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        journal_path = tmp_path / "paper.sqlite"
        before = _digest(journal_path)
        code, out = trade(["paper", "--once", "--dry-run", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        assert "halted: desk says stop" in out
        assert "would send: 0" in out  # halted: nothing that adds risk
        assert _digest(journal_path) == before  # read, never written


def test_defect14_a_reconciliation_difference_is_reported_once(tmp_path, capsys) -> None:
    cfg = config(tmp_path)
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()
        code, out = trade(["flatten", "--yes", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        sb.advance()  # the closing orders fill at the open
        code, first = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, first
        code, second = trade(["paper", "--once", "--config", str(cfg)], env, capsys)
        assert code == 0, second
    assert "reconcile:" not in second  # adopted once; not listed again on every later cycle


def test_defect16_a_cycle_has_a_deadline() -> None:
    now = {"t": 0.0}
    deadline = Deadline(30.0, monotonic=lambda: now["t"])
    deadline.check()
    now["t"] = 31.0
    with pytest.raises(Exception, match="deadline"):
        deadline.check()


def test_defect03_trade_halt_cancels_what_adds_risk_and_keeps_the_stops(tmp_path, capsys) -> None:
    cfg = config(tmp_path, "risk:\n  stop_loss: 0.05\n")
    with start_sandbox(tmp_path) as sb:
        env = environment(sb)
        paper_once(cfg, env)
        sb.advance()  # the buys fill at the open
        paper_once(cfg, env)  # stops armed for what is held; the rebalance's orders queue for the open
        client = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)
        before = client.get_orders()
        stops = {o.id for o in before if o.type.value == "stop"}
        assert stops
        code, out = trade(["halt", "--config", str(cfg)], env, capsys)
        assert code == 0, out
        after = {o.id: o for o in client.get_orders()}
    assert stops <= set(after)  # every stop still rests at the broker
    assert not [o for o in after.values() if o.side.value == "buy"]  # buys (new risk) canceled
