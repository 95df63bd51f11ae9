"""Alerts a cycle raises, delivered to a loopback receiver: a failed cycle, stale data, orders the
venue did not acknowledge in time. Each is also journaled as the cycle's outcome."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from alpaca_sandbox_helpers import environment, paper_once
from market_once import embedded_sandbox
from ops_helpers import CRASH_DAY, crash_market, load, settings_file

from brokers.sandbox import SandboxServer
from framework.alerts import Alerting
from framework.data import load_market_data
from framework.journal import Journal
from framework.live.cycle_outcome import CycleAlerts
from framework.live.runner import CycleResult


def hook(receiver) -> str:
    return f"alerts:\n  webhooks:\n    - url: {receiver.url}/hook\n  backoff_initial_seconds: 0.1\n"


def cycle_outcomes(settings) -> list[tuple[str, str]]:
    journal = Journal(settings.paper.journal)
    try:
        e = journal.table("order_events")
    finally:
        journal.close()
    rows = e[(e["client_order_id"] == "*") & (e["event"] == "cycle")]
    return list(zip(rows["status"], rows["detail"], strict=True))


def once(cfg, env) -> int:
    try:
        paper_once(cfg, env)
        return 0
    except AssertionError as e:
        return int(str(e).rsplit(" ", 1)[1])


def test_a_cycle_that_cannot_read_the_broker_is_alerted_and_journaled(tmp_path, alert_receiver) -> None:
    cfg = settings_file(tmp_path, hook(alert_receiver) + "orders:\n  max_retries: 0\n")
    settings = load(cfg)
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start="2019-03-01") as sb:
        sb.set_faults([{"kind": "server_error", "route": "GET /v2/clock", "count": 100, "status": 503}])
        code = once(cfg, environment(sb))
    assert code == 1
    alerts = alert_receiver.wait_for(lambda r: any(a["kind"] == "cycle_failure" for a in r))
    failure = next(a for a in alerts if a["kind"] == "cycle_failure")
    assert "cannot read the broker's clock" in failure["summary"] and failure["severity"] == "critical"
    [(outcome, detail)] = cycle_outcomes(settings)
    assert outcome == "failed" and "ReconciliationError" in detail


def test_stale_data_is_alerted(tmp_path, alert_receiver) -> None:
    crash_market(tmp_path)
    prices = pd.read_csv(tmp_path / "crash.csv")
    day_before = "2019-06-03"
    prices = prices[~((prices["symbol"] == "AAA") & (prices["date"] == day_before))]  # AAA's last bar is missing
    prices.to_csv(tmp_path / "crash.csv", index=False)
    market = load_market_data(tmp_path / "crash.csv", tmp_path / "sectors.csv")
    cfg = settings_file(tmp_path, hook(alert_receiver), market=tmp_path)
    cfg.write_text(cfg.read_text().replace("data:\n", "data:\n  symbols: [AAA]\n"))
    settings = load(cfg)
    with SandboxServer(settings, market, state=tmp_path / "sb.sqlite", port=0, start=CRASH_DAY) as sb:
        code = once(cfg, environment(sb))
    assert code == 2  # a data problem: one line, exit 2
    alerts = alert_receiver.wait_for(lambda r: any(a["kind"] == "stale_data" for a in r))
    stale = next(a for a in alerts if a["kind"] == "stale_data")
    assert f"expected {day_before}: data is stale" in stale["summary"]
    assert cycle_outcomes(settings)[0][0] == "failed"


def test_unacknowledged_orders_are_alerted_once_per_session(alert_receiver) -> None:
    from framework.config.ops import AlertsConfig

    alerting = Alerting(AlertsConfig.model_validate({"webhooks": [{"url": alert_receiver.url}]}), "paper")
    alerts = CycleAlerts(alerting, "paper")
    result = CycleResult(session=date(2019, 3, 4), signal_date=date(2019, 3, 1),
                         unacked=["momentum-20190301-AAPL-rebalanc-1", "momentum-20190301-MSFT-rebalanc-2"])
    when = datetime(2019, 3, 4, 14, 0, tzinfo=UTC)
    alerts.result(result, when)
    alerts.result(result, when)  # the loop's retry of the same session: not alerted again
    alerts.result(CycleResult(session=date(2019, 3, 5), signal_date=date(2019, 3, 4)), when)  # all acknowledged
    got = alert_receiver.wait_for(lambda r: len(r) >= 1)
    alerting.close()
    assert len(alert_receiver.received) == 1
    assert got[0]["kind"] == "unacknowledged" and "2 order(s) not acknowledged" in got[0]["summary"]
    assert got[0]["details"]["client_order_ids"] == result.unacked


def test_a_paper_cycle_with_a_dead_webhook_still_trades(tmp_path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    cfg = settings_file(tmp_path, f"alerts:\n  webhooks:\n    - url: http://127.0.0.1:{dead}/hook\n"
                                  "  flush_seconds: 1\n")
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start="2019-03-01") as sb:
        sb.set_faults([{"kind": "reject", "route": "POST /v2/orders", "count": 1}])  # one rejection to alert
        paper_once(cfg, environment(sb))
        placed = len(sb.exchange.orders)
    assert placed > 0
    assert cycle_outcomes(load(cfg))[0][0] == "ok"
