"""Issue 26's defects in the execution core and its pure policies, one regression test each, named
after the defect; each failed on the code before its fix. The end-to-end ones (the sandbox through
real alpaca-py) are in tests/framework/live/test_live_path_defects_sandbox.py."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
from inmemory_broker import NOW, InMemoryBroker
from snapshots import snapshot

from framework.alerts import Alert, AlertKind, Severity
from framework.config import Settings
from framework.data import session_time
from framework.enums import OrderSide, OrderStatus
from framework.errors import OrderRejected
from framework.live import actions
from framework.logs import JsonLinesFormatter
from framework.orders import Order
from framework.redaction import MASK, SecretFilter
from framework.retry import RetryPolicy

SECRET = "s3cr3t-webhook-token-0123"


def test_defect08_secrets_in_structured_log_fields_and_alert_details_are_masked() -> None:
    f = SecretFilter()
    f.add(SECRET)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "posting", None, None)
    record.url = f"https://hooks.example.com/{SECRET}"  # an ``extra=`` field
    record.detail = {"nested": [f"key {SECRET}"]}
    assert f.filter(record)
    line = JsonLinesFormatter().format(record)
    assert SECRET not in line and MASK in line
    alert = Alert(AlertKind.CYCLE_FAILURE, Severity.CRITICAL, f"failed: {SECRET}", datetime(2026, 1, 2, tzinfo=UTC),
                  "acct", {"error": f"401 for key {SECRET}", "more": {"list": [SECRET]}})
    sent = json.dumps(alert.to_json(secrets=f))
    assert SECRET not in sent and MASK in sent


# -- the engine on the in-memory broker ------------------------------------------------------


PRICES = {"AAA": 100.0, "BBB": 50.0}
LONG = pd.Series({"AAA": 1.0, "BBB": 1.0})


def _settings(**sections) -> Settings:
    return Settings.model_validate({"signals": {"rebalance_every": 1}, **sections})


class RefusingBroker(InMemoryBroker):
    """Refuses (403) every order for ``refused`` symbols; counts every attempt to submit."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused, self.attempts = refused, []

    def submit_order(self, order: Order) -> Order:
        self.attempts.append(order.client_order_id)
        if order.symbol in self.refused:
            raise OrderRejected("insufficient buying power", status_code=403)
        return super().submit_order(order)


def test_defect02_a_rerun_never_resends_a_refused_or_withdrawn_order(make_engine) -> None:
    broker = RefusingBroker({"AAA"})
    engine = make_engine(broker)
    session = session_time(pd.Timestamp("2020-01-02"))
    refused = Order(client_order_id="test-20200102-AAA-rebalance-x", symbol="AAA", side=OrderSide.BUY,
                    qty=Decimal(10), created_at=NOW)
    withdrawn = Order(client_order_id="test-20200102-BBB-rebalance-x", symbol="BBB", side=OrderSide.BUY,
                      qty=Decimal(10), created_at=NOW)
    assert engine.orders.submit_many([refused], session)[0].order.status is OrderStatus.REJECTED
    engine.journal.record_intents("run1", [withdrawn], session)
    engine.orders.orders[withdrawn.client_order_id] = withdrawn
    engine.orders.withdraw(withdrawn, "halted: an intent that adds risk is not sent")
    again = engine.orders.submit_many([refused, withdrawn], session)  # the same decision, run again
    assert broker.attempts == [refused.client_order_id]  # not sent a second time
    assert [r.order.status for r in again] == [OrderStatus.REJECTED, OrderStatus.CANCELED]  # the journaled state
    assert [r.attempts for r in again] == [0, 0]


def test_defect06_a_max_drawdown_halt_can_be_resumed(make_engine, tmp_path) -> None:
    settings = _settings(risk={"max_drawdown": 0.1, "daily_loss_limit": 0.5, "max_position_weight": 0.5,
                               "max_sector_exposure": 1.0})
    broker = InMemoryBroker()
    path = tmp_path / "dd.sqlite"
    engine = make_engine(broker, settings, path=path)
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    crashed = {"AAA": 80.0, "BBB": 40.0}
    report = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", crashed), LONG)
    assert report.halt_reason == "max_drawdown"
    actions.resume(engine.journal, None, origin="test")  # the operator's resume (another process)
    report = engine.on_bar(pd.Timestamp("2020-01-07"), snapshot("2020-01-07", crashed), LONG)
    assert not report.halted and report.halt_reason == ""  # the resume holds in this process
    engine.journal.close()
    restarted = make_engine(broker, settings, path=path)
    restarted.rebuild_books()
    restarted.restore_guards()
    report = restarted.on_bar(pd.Timestamp("2020-01-08"), snapshot("2020-01-08", crashed), LONG)
    assert not report.halted  # and across a restart: the peak is the one the resume journaled
    worse = {"AAA": 70.0, "BBB": 35.0}  # a new 12.5% drawdown from the resumed peak halts again
    report = restarted.on_bar(pd.Timestamp("2020-01-09"), snapshot("2020-01-09", worse), LONG)
    assert report.halt_reason == "max_drawdown"


def test_defect12_the_wait_a_rate_limit_asks_for_is_honoured_past_the_read_deadline() -> None:
    policy = RetryPolicy(attempts=6, initial=0.1, maximum=1.0, deadline=0.5)
    assert policy.delay(1, 0.0, 0.5, floor=1.0) == 1.0  # the venue's 429 reset: waited out
    assert policy.delay(6, 0.0, 0.5, floor=1.0) is None  # the attempts still bound it
    assert policy.delay(3, 0.45, 0.99) is None  # a failure's backoff still stops at the deadline
