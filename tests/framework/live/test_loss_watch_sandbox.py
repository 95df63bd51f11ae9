"""The intraday loss watch against the sandbox's intraday clock: a position crashes inside the
session, the watch halts at the first poll that sees the daily loss limit breached (so within
one interval), the halt reaches the webhook receiver and the dashboard shows it.

The test moves the venue's clock itself (the intraday path pinned at the open, then at the
day's low), rather than letting the wall clock run a 16-second session: the watch polls on its
own interval either way, and nothing waits for the clock to get there."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from alpaca.trading.client import TradingClient
from ops_helpers import CRASH_DAY, KEY, SECRET, crash_market, env_of, load, running, settings_file, until

from analyzers.dashboard.app import Dashboard, DashboardSettings
from analyzers.dashboard.reader import JournalReader
from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from brokers.sandbox.request import OrderRequest
from framework.alerts import Alerting
from framework.journal import Journal
from framework.live.dashboard_source import LiveAccount
from framework.live.service import fresh_runner

# AAA's crash day runs open → high → low → close (a down day): the low at two thirds of the session
AT_THE_OPEN, AT_THE_LOW, LATER = 0.0, 2 / 3, 0.9


def pin(sb: SandboxServer, progress: float) -> None:
    """The venue's clock (and every price) to ``progress`` of today's session."""
    answer = requests.post(f"{sb.base_url}/_sandbox/clock/intraday", json={"progress": progress}, timeout=30)
    answer.raise_for_status()


def buy_half_the_account(sb: SandboxServer) -> float:
    """Before the sandbox starts ticking: a market buy of AAA worth half the cash, for the open."""
    ex = sb.exchange
    price = ex.last_close("AAA")
    qty = int(50_000 / price)
    ex.submit(OrderRequest.parse({"symbol": "AAA", "qty": qty, "side": "buy", "type": "market",
                                  "time_in_force": "day", "client_order_id": "setup-aaa"}))
    return qty


@pytest.mark.parametrize("mode", ["paper", "watch"])
def test_an_intraday_crash_halts_within_one_interval(tmp_path, alert_receiver, mode) -> None:
    market = crash_market(tmp_path)
    flatten = mode == "watch"
    extra = (f"risk:\n  watch_interval_seconds: 1\n  flatten_on_halt: {str(flatten).lower()}\n"
             f"alerts:\n  webhooks:\n    - url: {alert_receiver.url}/hooks/secret-part-xyz\n"
             "  backoff_initial_seconds: 0.1\n")
    # the cycle would be due at the open itself: none runs during this test
    cfg = settings_file(tmp_path, extra, market=tmp_path, paper="  minutes_before_open: 0\n")
    settings = load(cfg)
    sb = SandboxServer(settings, market, state=tmp_path / "sb.sqlite", port=0, start=CRASH_DAY)
    qty = buy_half_the_account(sb)
    with sb:
        pin(sb, AT_THE_OPEN)
        alerting = Alerting(settings.alerts, settings.paper.account)
        env = env_of(sb)
        with running(settings, sb, cycles=mode == "paper", alerting=alerting,
                     fresh=lambda: fresh_runner(settings, env)) as ops:
            sb.advance("open")  # the buy fills at the open (AAA opens at its last close)
            assert until(lambda: ops.watch.readings), "the watch never polled the open market"
            pin(sb, AT_THE_LOW)  # AAA at 60% of its last close
            journal = Journal(settings.paper.journal)
            try:
                assert until(lambda: any(r.halted for r in ops.watch.readings)), ops.watch.readings
                state = journal.halt_state()
            finally:
                journal.close()
            pin(sb, LATER)  # the day goes on (a flatten's market sells work the minutes passed)
            readings = list(ops.watch.readings)
            status = dashboard_status(settings, sb)
        alerting.close()
        positions = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url).get_all_positions()
    assert state.reason == "intraday_loss" and state.scope == "session"
    assert state.session.startswith("2019-06-04T04:00:00")  # covers the crash session (a later one lifts it)
    first_breach = next(i for i, r in enumerate(readings) if r.breached)
    assert readings[first_breach].halted, "the first poll that saw the breach did not halt"
    assert first_breach >= 1 and not any(r.breached for r in readings[:first_breach])
    assert all(r.session.isoformat() == CRASH_DAY for r in readings)
    assert readings[first_breach].loss.pnl_fraction <= -settings.risk.daily_loss_limit
    halts = [a for a in alert_receiver.wait_for(lambda r: any(a["kind"] == "halt" for a in r)) if a["kind"] == "halt"]
    assert halts[0]["details"]["reason"] == "intraday_loss" and "below the last close" in halts[0]["details"]["measured"]
    assert status["halt"]["halted"] and status["halt"]["reason"] == "intraday_loss"
    if flatten:
        assert positions == [] and status["positions"] == []  # flatten_on_halt: closed at once
        assert any(h["event"] == "flatten" and "loss watch" in h["detail"] for h in status["halt"]["history"])
    else:
        assert [(p.symbol, float(p.qty)) for p in positions] == [("AAA", qty)]  # halted, not flattened
        assert status["loss"]["breached"] and status["loss"]["headroom"] == 0.0


def dashboard_status(settings, sb) -> dict:
    conn = connect(settings, env_of(sb), stream=False)
    try:
        live = LiveAccount(settings, conn, settings.paper.journal)
        live.refresh()
        board = Dashboard(JournalReader(Path(settings.paper.journal)), settings=DashboardSettings.of(settings), sectors={},
                          venue=live.venue, live=live, token="t" * 24)
        try:
            return board.status()
        finally:
            board.reader.close()
    finally:
        conn.close()
