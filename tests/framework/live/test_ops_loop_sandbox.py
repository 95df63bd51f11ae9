"""The long-running `trade paper` through its loop, against the sandbox: started mid-session it
waits for the next session's cycle; the cycle runs when its time comes and is journaled; the
after-close step journals the day's fills and equity."""

from __future__ import annotations

import sqlite3

import pytest
from alpaca_sandbox_helpers import environment, paper_once
from market_once import embedded_sandbox
from ops_helpers import env_of, load, running, settings_file, until

from brokers.alpaca.connect import connect
from framework.journal import Journal
from framework.journal import connection as journal_connection
from framework.live.operations import Operations
from framework.live.runner import PaperRunner
from framework.live.service import fresh_runner

START = "2019-03-01"


def journal_of(cfg) -> Journal:
    return Journal(load(cfg).paper.journal)


def cycle_events(cfg) -> list[tuple[str, str]]:
    journal = journal_of(cfg)
    try:
        events = journal.table("order_events")
    finally:
        journal.close()
    rows = events[(events["client_order_id"] == "*") & (events["event"] == "cycle")]
    return list(zip(rows["status"], rows["detail"], strict=True))


def test_started_mid_session_it_waits_then_trades_the_next_session(tmp_path) -> None:
    cfg = settings_file(tmp_path, "risk:\n  watch_interval_seconds: 1\n")
    settings = load(cfg)
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start=START) as sb:
        sb.advance("open")  # the market is open: mid-session
        said: list[str] = []
        with running(settings, sb, cycles=True, said=said) as ops:
            assert until(lambda: ops.steps >= 5 and any("next cycle for session" in s for s in said))
            assert not sb.exchange.orders, "traded mid-session"
            assert "next cycle for session 2019-03-04" in " ".join(said)  # 2019-03-01 is a Friday
            assert until(lambda: len(ops.watch.readings) >= 2)  # the loss watch runs while open
            sb.advance("close")  # the clock moves to 09:00 before the next open: the cycle is due
            assert until(lambda: cycle_events(cfg), 180), said
        assert sb.exchange.orders, "the due cycle did not trade"
    outcome, detail = cycle_events(cfg)[-1]
    assert outcome == "ok" and detail.startswith("session 2019-03-04:") and "order(s) sent" in detail
    assert len(cycle_events(cfg)) == 1  # once per session


def test_after_close_journals_the_days_fills_and_equity_that_evening(tmp_path) -> None:
    cfg = settings_file(tmp_path)
    settings = load(cfg)
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start=START) as sb:
        paper_once(cfg, environment(sb))  # the cron cycle: orders for the open of 2019-03-01
        sb.advance()  # they fill at the open; the session closes
        fills_at_venue = sum(1 for o in sb.exchange.orders.values() if o.filled_qty > 0)
        journal = journal_of(cfg)
        assert journal.fills() == []  # nobody has told the journal yet
        journal.close()
        conn = connect(settings, env_of(sb), stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars)
        try:
            env = env_of(sb)
            ops = Operations(runner, None, cycles=False, fresh=lambda: fresh_runner(settings, env),
                             say=lambda _s: None)
            ops.step()
            equity = float(conn.broker.get_account().equity)
        finally:
            runner.close()
            conn.close()
    journal = journal_of(cfg)
    try:
        assert fills_at_venue and len(journal.fills()) == fills_at_venue
        marks = journal.marks(source="close")
        assert len(marks) == 1 and marks["equity"].iloc[0] == pytest.approx(equity)
        assert str(marks["session"].iloc[0].tz_convert("America/New_York").date()) == START
        events = journal.table("order_events")
        after = events[events["event"] == "after_close"]
        assert len(after) == 1 and f"{fills_at_venue} fill(s) journaled" in after["detail"].iloc[0]
    finally:
        journal.close()


def test_a_failing_cycle_is_retried_after_a_pause_not_in_a_busy_loop(tmp_path) -> None:
    cfg = settings_file(tmp_path, "orders:\n  max_retries: 0\n")
    settings = load(cfg)
    failed = lambda: [c for c in cycle_events(cfg) if c[0] == "failed"]  # noqa: E731
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start=START) as sb:
        sb.set_faults([{"kind": "server_error", "route": "GET /v2/positions", "count": 10_000, "status": 503}])
        with running(settings, sb, cycles=True, recheck=0.2) as ops:  # the cycle is due at once (09:00)
            assert until(lambda: len(failed()) >= 3)
            steps = ops.steps
        attempts = len(failed())
    assert all("cannot reconcile with the broker" in detail for _, detail in failed())
    assert steps <= 3 * attempts + 3, f"{steps} steps for {attempts} attempts: the loop spun while waiting to retry"



def test_a_cycle_that_finds_the_journal_locked_is_retried_and_completes_once(tmp_path, monkeypatch) -> None:
    # issue 26 defect 4: another process holds the journal's write lock (a real second SQLite
    # connection); the cycle fails with "database is locked", the loop says so and retries it
    # after the pause; the test releases the lock, and the session's cycle completes exactly once
    monkeypatch.setattr(journal_connection, "BUSY_TIMEOUT", 0.2)  # the lock is seen in 0.2 s, not 30
    cfg = settings_file(tmp_path)
    settings = load(cfg)
    said: list[str] = []
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start=START) as sb:
        conn = connect(settings, env_of(sb), stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars)
        other = sqlite3.connect(settings.paper.journal, isolation_level=None)
        try:
            ops = Operations(runner, None, cycles=True, say=said.append, recheck=0.2)
            other.execute("BEGIN IMMEDIATE")  # the other process's write transaction
            ops.step()  # the cycle is due at once (09:00): its first write meets the lock
            assert not ops.cycles_done and not sb.exchange.orders
            assert any("failed, retrying in a minute" in s and "database is locked" in s for s in said), said
            other.execute("ROLLBACK")  # the other process is done
            assert until(lambda: ops.step() is not None and ops.cycles_done)
            sent = {o.client_order_id for o in sb.exchange.orders.values()}
            assert sent and len(sent) == len(sb.exchange.orders)  # each order once
        finally:
            other.close()
            runner.close()
            conn.close()
    statuses = [status for status, _ in cycle_events(cfg)]
    assert statuses.count("ok") == 1 and statuses[-1] == "ok", statuses
