"""Alerts reach a loopback receiver, as JSON or in Slack's shape; failures are retried with
backoff; a dead sink never blocks or stops the caller; the URL is never logged."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import UTC, datetime

import pytest

from framework.alerts import Alert, AlertDispatcher, Alerting, AlertKind, LogFileSink, Severity, WebhookSink
from framework.alerts.sinks import SinkError
from framework.config.ops import AlertsConfig
from framework.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, initial=0.05, maximum=0.2, deadline=60.0)
SECRET_PATH = "/services/T0001/B0002/secretpart0123456789"


def alert(kind: AlertKind = AlertKind.HALT, summary: str = "intraday_loss (session)") -> Alert:
    return Alert(kind, Severity.CRITICAL, summary, datetime(2019, 6, 4, 15, 5, tzinfo=UTC), "paper",
                 {"reason": "intraday_loss"})


def test_json_and_slack_payloads_reach_the_receiver(alert_receiver) -> None:
    dispatcher = AlertDispatcher([WebhookSink(alert_receiver.url + "/json", "json"),
                                  WebhookSink(alert_receiver.url + "/slack", "slack")], retry=FAST)
    dispatcher.emit(alert())
    got = alert_receiver.wait_for(lambda r: len(r) == 2)
    dispatcher.close(10)
    by_path = dict(zip(alert_receiver.paths, got, strict=True))
    plain, slack = by_path["/json"], by_path["/slack"]
    assert plain["kind"] == "halt" and plain["severity"] == "critical" and plain["account"] == "paper"
    assert plain["time_venue"] == "2019-06-04 11:05 EDT" and plain["details"] == {"reason": "intraday_loss"}
    assert plain["runbook"] == "docs/operations.md#halt"
    assert slack["text"] == "[trade paper] halt: intraday_loss (session)"
    assert "reason: intraday_loss" in slack["blocks"][0]["text"]["text"]


def test_a_failing_webhook_is_retried_with_backoff_until_it_answers(alert_receiver, caplog) -> None:
    alert_receiver.fail_first = 2
    url = alert_receiver.url + SECRET_PATH
    dispatcher = AlertDispatcher([WebhookSink(url)], retry=FAST)
    with caplog.at_level(logging.INFO, logger="trade.alerts"):
        dispatcher.emit(alert())
        alert_receiver.wait_for(lambda r: len(r) == 1)
        dispatcher.close(10)
    stats = dispatcher.stats()[f"webhook {alert_receiver.url}/***"]
    assert (stats.sent, stats.retries, stats.failed, alert_receiver.attempts) == (1, 2, 0, 3)
    assert "HTTP 500" in caplog.text
    assert SECRET_PATH not in caplog.text and "secretpart" not in caplog.text


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_a_dead_sink_never_blocks_the_caller_and_drops_the_oldest(caplog) -> None:
    url = f"http://127.0.0.1:{_dead_port()}{SECRET_PATH}"
    slow = RetryPolicy(attempts=20, initial=30.0, maximum=30.0, deadline=3600.0)  # would hold a sender for minutes
    dispatcher = AlertDispatcher([WebhookSink(url, timeout=1.0)], queue_size=3, retry=slow)
    with caplog.at_level(logging.INFO, logger="trade.alerts"):
        done = threading.Event()

        def emit_many() -> None:
            for i in range(50):
                dispatcher.emit(alert(summary=f"n{i}"))
            done.set()

        threading.Thread(target=emit_many, daemon=True).start()
        assert done.wait(30), "emit blocked on a dead sink"
        started = time.monotonic()
        dispatcher.close(flush_seconds=0.5)
        closed_in = time.monotonic() - started
    stats = next(iter(dispatcher.stats().values()))
    assert stats.sent == 0 and stats.dropped >= 46  # the queue holds 3; at most one is being tried
    assert closed_in < 30, "close() waited for the retries instead of the flush deadline"
    assert "secretpart" not in caplog.text and "ConnectionRefusedError" in caplog.text


def test_log_file_sink_appends_json_lines(tmp_path) -> None:
    sink = LogFileSink(tmp_path / "alerts" / "alerts.jsonl")
    sink.send(alert())
    sink.send(alert(AlertKind.RESUME, "resumed (by dashboard 127.0.0.1)"))
    lines = [json.loads(x) for x in (tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["halt", "resume"]


def test_an_unwritable_log_file_is_a_sink_error(tmp_path) -> None:
    (tmp_path / "blocked").write_text("a file where a folder should be")
    with pytest.raises(SinkError):
        LogFileSink(tmp_path / "blocked" / "alerts.jsonl").send(alert())


def test_url_env_webhooks_and_a_missing_variable(alert_receiver, monkeypatch, caplog) -> None:
    monkeypatch.setenv("TRADE_TEST_HOOK", alert_receiver.url + "/env")
    cfg = AlertsConfig.model_validate({"webhooks": [{"url_env": "TRADE_TEST_HOOK"}, {"url_env": "TRADE_TEST_UNSET"}]})
    with caplog.at_level(logging.WARNING, logger="trade.alerts"):
        alerting = Alerting(cfg, "paper")
    assert alerting.dispatcher.sinks == [f"webhook {alert_receiver.url}/***"]
    assert "TRADE_TEST_UNSET is not set" in caplog.text
    alerting.emit(alert())
    alert_receiver.wait_for(lambda r: len(r) == 1)
    alerting.close()
    assert alert_receiver.paths == ["/env"]
