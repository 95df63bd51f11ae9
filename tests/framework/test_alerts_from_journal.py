"""Alerts raised from the journal: each event once, whichever process claims it first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from framework.alerts import AlertKind, Severity
from framework.alerts.from_journal import CURSOR, alerts_from_events
from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from framework.journal import Journal
from framework.orders import Order

T0 = datetime(2019, 6, 4, 15, 0, tzinfo=UTC)


def test_the_first_claim_starts_at_the_newest_event(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    journal.set_halt(True, "old halt", T0)  # history before anyone watched
    assert journal.claim_events(CURSOR) == []
    journal.set_halt(False, "resumed", T0 + timedelta(minutes=1))
    found = journal.claim_events(CURSOR)
    assert [(e.event, e.detail) for e in found] == [("resume", "resumed")]
    assert journal.claim_events(CURSOR) == []
    journal.close()


def test_two_processes_claim_each_event_once(tmp_path) -> None:
    path = tmp_path / "j.sqlite"
    a, b = Journal(path), Journal(path)
    a.claim_events(CURSOR)
    seen = []
    for i in range(20):
        writer, reader = (a, b) if i % 2 else (b, a)
        writer.record_event("*", "reconcile", "difference", T0, f"AAPL: qty ours={i} broker={i + 1}")
        seen += [e.detail for e in reader.claim_events(CURSOR)]
        if i % 3 == 0:
            seen += [e.detail for e in writer.claim_events(CURSOR)]
    seen += [e.detail for e in a.claim_events(CURSOR)] + [e.detail for e in b.claim_events(CURSOR)]
    assert seen == [f"AAPL: qty ours={i} broker={i + 1}" for i in range(20)]
    a.close()
    b.close()


def test_events_become_alerts(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    journal.claim_events(CURSOR)
    order = Order(client_order_id="momentum-20190603-AAPL-rebalanc-1", symbol="AAPL", side=OrderSide.BUY,
                  type=OrderType.MARKET, qty=Decimal(10), time_in_force=TimeInForce.DAY, created_at=T0,
                  tag="rebalance")
    journal.record_intent("run", order)
    journal.record_event(order.client_order_id, "rejected", OrderStatus.REJECTED.value, T0, "insufficient buying power")
    journal.record_event("*", "reconcile", "difference", T0, "*: cash ours=5107.63 broker=5103.63")
    journal.record_event("*", "loss_watch", "breach", T0, "equity 96,500.00 is 3.50% below ...")
    journal.set_halt(True, "intraday_loss", T0, "session", T0)
    journal.record_event("*", "flatten", "requested", T0, "by dashboard 127.0.0.1: canceled 2 orders, closing 3 positions")
    alerts = alerts_from_events(journal.claim_events(CURSOR), "paper", journal)
    kinds = [a.kind for a in alerts]
    assert kinds == [AlertKind.REJECTION, AlertKind.HALT, AlertKind.FLATTEN, AlertKind.RECONCILIATION]
    rejection, halt, _, reconcile = alerts
    assert rejection.summary == "the venue rejected buy 10 AAPL: insufficient buying power"
    assert rejection.details["tag"] == "rebalance"
    assert halt.severity is Severity.CRITICAL and halt.details["scope"] == "session"
    assert halt.details["measured"] == "equity 96,500.00 is 3.50% below ..."
    assert reconcile.severity is Severity.INFO  # a cash-only difference (fees): routine
    journal.close()
