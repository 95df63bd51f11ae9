"""Alerts from what the journal recorded: a halt, a resume, a flatten, a venue rejection, a
reconciliation difference. Whatever wrote them (the engine's guards, the loss watch, `trade
halt`, the dashboard, another process), the journal is the one record, so reading it is the one
way these alerts are raised; :meth:`Journal.claim_events` makes each event alerted once."""

from __future__ import annotations

from collections.abc import Iterable

from framework.alerts.alert import Alert, AlertKind, Severity
from framework.journal import EventRow, Journal

CURSOR = "alerts"


def alerts_from_events(events: Iterable[EventRow], account: str, journal: Journal | None = None) -> list[Alert]:
    """The alerts a batch of events calls for (a cycle's reconciliation differences: one alert)."""
    out: list[Alert] = []
    differences: list[EventRow] = []
    measured = ""  # the loss watch's reading, journaled just before its halt
    for e in events:
        if e.event == "reconcile":
            differences.append(e)
        elif e.event == "loss_watch":
            measured = e.detail
        elif e.event == "halt":
            details = {"reason": e.detail, "scope": e.status} | ({"measured": measured} if measured else {})
            out.append(Alert(AlertKind.HALT, Severity.CRITICAL, f"{e.detail} ({e.status})", e.time, account, details))
            measured = ""
        elif e.event == "resume":
            out.append(Alert(AlertKind.RESUME, Severity.INFO, e.detail, e.time, account, {"reason": e.detail}))
        elif e.event == "flatten":
            out.append(Alert(AlertKind.FLATTEN, Severity.CRITICAL, e.detail, e.time, account, {"detail": e.detail}))
        elif e.event == "rejected":
            out.append(_rejection(e, account, journal))
    if differences:
        lines = [d.detail for d in differences]
        positions = any(not line.startswith("*:") for line in lines)  # "*: cash ..." is the cash line
        out.append(Alert(AlertKind.RECONCILIATION, Severity.WARNING if positions else Severity.INFO,
                         f"{len(lines)} difference(s) between the broker and the journal; the broker's adopted",
                         differences[-1].time, account, {"differences": lines}))
    return out


def _rejection(e: EventRow, account: str, journal: Journal | None) -> Alert:
    order = journal.order(e.client_order_id) if journal is not None else None
    what = f"{order.side.value} {order.qty} {order.symbol}" if order is not None else e.client_order_id
    details = {"client_order_id": e.client_order_id, "venue_message": e.detail}
    if order is not None:
        details |= {"symbol": order.symbol, "side": order.side.value, "qty": str(order.qty), "tag": order.tag}
    return Alert(AlertKind.REJECTION, Severity.WARNING, f"the venue rejected {what}: {e.detail or 'no reason given'}",
                 e.time, account, details)


__all__ = ["CURSOR", "alerts_from_events"]
