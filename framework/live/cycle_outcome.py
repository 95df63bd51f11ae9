"""A cycle's outcome: journaled (event ``cycle`` on ``*``: ok, skipped, deferred or failed, with a summary,
so the dashboard and a person reading the journal see when the last one ran and how) and alerted
(orders not acknowledged in time, a failed cycle, stale data), each alert once per session."""

from __future__ import annotations

from datetime import date, datetime

from framework.alerts import Alert, Alerting, AlertKind, Severity
from framework.deadline import DeadlineExceeded
from framework.live.runner import CycleResult, PaperRunner, StaleData
from framework.venue_time import venue_or_local


def venue_now(runner: PaperRunner) -> datetime:
    """The venue's clock; the local one only when the venue cannot be read (a failure to report)."""
    return venue_or_local(runner.clock.now)


def record_cycle(runner: PaperRunner, outcome: str, detail: str) -> None:
    """The cycle's outcome in the journal (a dry run's journal is a private copy: nothing lands)."""
    runner.journal.record_event("*", "cycle", outcome, venue_now(runner), detail)


def summary(result: CycleResult) -> str:
    if result.skipped:
        return result.skipped
    text = f"session {result.session}: {len(result.orders)} order(s) sent in {result.seconds:.1f} s"
    if result.unacked:
        text += f", {len(result.unacked)} not acknowledged"
    if result.halted:
        text += f", halted ({result.halted})"
    return text


class CycleAlerts:
    """The alerts a cycle's outcome calls for, each at most once per (kind, session)."""

    def __init__(self, alerting: Alerting | None, account: str) -> None:
        self.alerting, self.account = alerting, account
        self._sent: set[tuple[AlertKind, date | None]] = set()

    def emit(self, kind: AlertKind, severity: Severity, summary: str, when: datetime, session: date | None,
             **details: object) -> None:
        if self.alerting is None or (kind, session) in self._sent:
            return
        self._sent.add((kind, session))
        self.alerting.emit(Alert(kind, severity, summary, when, self.account,
                                 {"session": str(session), **{k: v for k, v in details.items()}}))

    def result(self, result: CycleResult, when: datetime) -> None:
        if result.unacked:
            self.emit(AlertKind.UNACKNOWLEDGED, Severity.WARNING,
                      f"{len(result.unacked)} order(s) not acknowledged within the deadline for {result.session}",
                      when, result.session, client_order_ids=result.unacked)

    def failure(self, error: BaseException, session: date | None, when: datetime) -> None:
        if isinstance(error, StaleData):
            self.emit(AlertKind.STALE_DATA, Severity.CRITICAL, f"session {session} not traded yet: {error}", when,
                      session, error=str(error))
        else:
            self.emit(AlertKind.CYCLE_FAILURE, Severity.CRITICAL, f"cycle for {session} failed: {error}", when,
                      session, error=f"{type(error).__name__}: {error}")


def run_once(runner: PaperRunner, alerts: CycleAlerts, session: date | None = None) -> CycleResult:
    """One cycle, its outcome journaled and alerted (``trade paper --once``, and each loop cycle).

    A wait the venue asked for that the cycle has no time left for (:class:`DeadlineExceeded`,
    refused before the request went) is journaled ``deferred``, not ``failed``: the session is
    not traded yet, and the next run completes its decisions exactly once."""
    try:
        result = runner.cycle(session)
    except DeadlineExceeded as e:
        when = venue_now(runner)
        record_cycle(runner, "deferred", f"session {session or 'next'}: not traded yet: {e}")
        alerts.failure(e, session, when)
        raise
    except Exception as e:
        when = venue_now(runner)
        record_cycle(runner, "failed", f"session {session or 'next'}: {type(e).__name__}: {e}")
        alerts.failure(e, session, when)
        raise
    record_cycle(runner, "skipped" if result.skipped else "ok", summary(result))
    alerts.result(result, runner.clock.now())
    return result


__all__ = ["CycleAlerts", "record_cycle", "run_once", "summary", "venue_now"]
