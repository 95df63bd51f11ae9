"""Paper trading as a service: cycles, the intraday loss watch, the after-close step, alerts.

One thread does everything that touches the books (the engine and the journal stay
single-threaded): it reads the venue's clock, asks :func:`framework.live.schedule.plan` what is
due, does it, delivers queued order updates, raises the alerts the journal calls for, and waits.
`trade paper` runs it with cycles; `trade watch` without (for cycles run from cron).

Every cycle's outcome is journaled and alerted (:mod:`framework.live.cycle_outcome`). A failed
cycle is retried (a minute later for broker trouble, five for stale data) until its session
opens; a bug or a user error is alerted and ends the process (exit 1 or 2).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta

import pandas as pd

from framework.alerts import Alerting, AlertKind, Severity
from framework.data import session_time
from framework.errors import BrokerError, ReconciliationError, TransientBrokerError
from framework.live import actions
from framework.live.cycle_outcome import CycleAlerts, run_once
from framework.live.runner import CycleResult, PaperRunner, StaleData
from framework.live.schedule import Plan, Step, VenueTimes, plan
from framework.live.watch import LossWatch
from framework.risk.decisions import HaltReason
from framework.venue_time import VENUE_ZONE, human

log = logging.getLogger("trade.paper")
Say = Callable[[str], None]
BROKER_RETRY, STALE_RETRY = 60.0, 300.0
WATCH_FAILURES_ALERTED = 3  # consecutive failed polls before the watch's trouble is alerted


class Operations:
    """The loop. ``stop`` ends it (Ctrl-C, a test); ``recheck`` caps every wait so a venue
    clock that jumps (the sandbox's) is seen within that many seconds."""

    def __init__(self, runner: PaperRunner, alerting: Alerting | None, *, cycles: bool = True,
                 fresh: Callable[[], AbstractContextManager[PaperRunner]] | None = None,
                 report: Callable[[CycleResult], None] = lambda _r: None, say: Say = log.info,
                 stop: threading.Event | None = None, recheck: float = 60.0, venue: str = "") -> None:
        """``cycles``: trade (`trade paper`), or only watch (`trade watch`: the loss watch halts
        through the journal and the broker, the after-close step syncs on a ``fresh`` runner,
        since the cycles run in other processes and this one's books would be stale).
        ``venue``: the venue and host (the connection's announcement), named in every failure to
        reach it, as `trade paper --once` does."""
        self.runner, self.alerting, self.cycles, self.venue = runner, alerting, cycles, venue
        self.fresh = fresh or (lambda: _same(runner))
        self.report, self.say, self.recheck = report, say, recheck
        self.stop = stop or threading.Event()
        self.settings = runner.settings
        self.alerts = CycleAlerts(alerting, self.settings.paper.account)
        self.watch = LossWatch(self.settings, runner.live_broker, runner.journal, runner.run_id,
                               halt=self._engine_halt if cycles else self._account_halt, now=runner.clock.now,
                               alert=alerting.emit if alerting else lambda _a: None)
        self.cycles_done: set[date] = set()
        self.closes_done: set[date] = set()
        self._retry_at = 0.0  # monotonic: no cycle before this (after a failure)
        self._next_watch = 0.0  # monotonic: the next loss-watch tick
        self._watch_failures = 0
        self._announced: date | None = None
        self._calendar: dict[date, datetime | None] = {}
        self.steps = 0  # observability, tests

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        if self.cycles:
            try:
                self.runner.ensure_engine()  # books rebuilt, subscribed to order updates
            except BrokerError as e:  # the first cycle builds it then
                log.warning("cannot read the broker yet: %s", e)
        self._check_journal()
        while not self.stop.is_set():
            wait = self.step()
            self.stop.wait(wait)

    def step(self) -> float:
        """Do what is due now; returns how long to wait before the next step."""
        self.steps += 1
        try:
            times = self._times()
        except BrokerError as e:
            log.warning("cannot read the venue's clock: %s; trying again", self._where(e))
            return min(self.recheck, BROKER_RETRY)
        p = plan(times, minutes_before_open=self.settings.paper.minutes_before_open,
                 after_close_minutes=self.settings.paper.after_close_minutes, cycles=self.cycles,
                 cycles_done=frozenset(self.cycles_done), closes_done=frozenset(self.closes_done))
        if p.step is Step.CYCLE and time.monotonic() >= self._retry_at:
            self._cycle(p.session)  # type: ignore[arg-type]
        elif p.step is Step.AFTER_CLOSE and time.monotonic() >= self._retry_at:
            self._after_close(p.session)  # type: ignore[arg-type]
        elif p.step is Step.WAIT:
            self._announce(p)
        if times.is_open and time.monotonic() >= self._next_watch:
            self._watch(times)
            if self.cycles:
                self._reprice()
        child_in = self._work_children() if self.cycles and times.is_open else None
        if self.cycles:
            self.runner.live_broker.dispatch()
        self._check_journal()
        wait = self._wait(p, times)
        return wait if child_in is None else max(min(wait, child_in), 0.01)

    def _wait(self, p: Plan, times: VenueTimes) -> float:
        """Until the next step: a due step just ran (plan again at once) or waits for its retry."""
        due = p.wait if p.step is Step.WAIT else max(self._retry_at - time.monotonic(), 0.0)
        waits = [due, self.recheck]
        if times.is_open:
            waits.append(max(self._next_watch - time.monotonic(), 0.0))
        return max(min(waits), 0.01)

    def _announce(self, p: Plan) -> None:
        if self.cycles and p.next_cycle != self._announced and p.next_cycle not in self.cycles_done:
            self._announced = p.next_cycle
            self.say(f"next cycle for session {p.next_cycle} in {p.cycle_in / 60:.1f} min "
                     f"({self.settings.paper.minutes_before_open:g} min before its open)")

    def _times(self) -> VenueTimes:
        clock = self.runner.live_broker.get_clock()
        self.runner.clock.anchor(clock.timestamp)
        last_close = None if clock.is_open else self._last_close(clock.next_open, clock.timestamp)
        return VenueTimes(clock.timestamp, clock.is_open, clock.next_open, clock.next_close, last_close)

    def _last_close(self, next_open: datetime, now: datetime) -> datetime | None:
        """The close of the latest session before the next open (the venue's calendar, read
        once per next open)."""
        key = next_open.astimezone(VENUE_ZONE).date()
        if key not in self._calendar:
            days = self.runner.live_broker.get_calendar(key - timedelta(days=10), key - timedelta(days=1))
            closes = [d.close.replace(tzinfo=VENUE_ZONE) if d.close.tzinfo is None else d.close for d in days]
            self._calendar[key] = max((c for c in closes if c <= now), default=None)
        return self._calendar[key]

    # -- steps ----------------------------------------------------------------------------

    def _cycle(self, session: date) -> None:
        try:
            result = run_once(self.runner, self.alerts, session)
        except StaleData as e:
            self.say(f"cycle for {session}: {e}; trying again in {STALE_RETRY / 60:.0f} min")
            self._retry_at = time.monotonic() + min(STALE_RETRY, self.recheck * 5)
            return
        except (TransientBrokerError, ReconciliationError, sqlite3.OperationalError) as e:  # busy journal too
            self.say(f"cycle for {session} failed, retrying in a minute: {self._where(e)}")
            self._retry_at = time.monotonic() + min(BROKER_RETRY, self.recheck)
            return
        self.report(result)
        self.cycles_done.add(session)

    def _after_close(self, session: date) -> None:
        """The day's fills and the account's closing equity into the journal, the same evening."""
        try:
            with self.fresh() as runner:
                self._close_books(runner, session)
        except (BrokerError, sqlite3.OperationalError) as e:  # a busy journal: next time
            self.say(f"after-close step for {session} failed, retrying in a minute: {self._where(e)}")
            self._retry_at = time.monotonic() + min(BROKER_RETRY, self.recheck)
            return
        self.closes_done.add(session)

    def _close_books(self, runner: PaperRunner, session: date) -> None:
        adopted = runner.sync_orders(runner.ensure_engine())
        account = runner.live_broker.get_account()
        now = self.runner.clock.now()
        runner.journal.record_mark(runner.run_id, now, "close", session_time(pd.Timestamp(session)),
                                   equity=account.equity, cash=account.cash, baseline=account.last_equity)
        fills = [f for f in runner.journal.fills() if f.timestamp.astimezone(VENUE_ZONE).date() == session]
        detail = (f"session {session}: {len(fills)} fill(s) journaled, equity {account.equity:,.2f}, "
                  f"cash {account.cash:,.2f}" + (f", {adopted} order(s) adopted from the broker" if adopted else ""))
        runner.journal.record_event("*", "after_close", "ok", now, detail)
        self.say(f"after close: {detail}")

    def _engine_halt(self, session: date) -> None:
        """`trade paper`: through the process's engine (its order manager cancels what adds risk)."""
        self.runner.ensure_engine().halt(HaltReason.LOSS_WATCH.value, scope="session",
                                         session=session_time(pd.Timestamp(session)))

    def _account_halt(self, session: date) -> None:
        """`trade watch`: the operator's halt (:func:`framework.live.actions.halt`: the journal's
        halt first, then the broker's risk-adding orders canceled), for the session."""
        actions.halt(self.runner.journal, self.runner.live_broker, origin="", reason=HaltReason.LOSS_WATCH.value,
                     scope="session", session=session_time(pd.Timestamp(session)), when=self.runner.clock.now())

    def _reprice(self) -> None:
        """Marketable limits past their re-pricing delay (at the watch's pace; a no-op unless
        ``orders.reprice_after_minutes`` is set)."""
        try:
            for order in self.runner.reprice():
                self.say(f"re-priced or canceled {order.client_order_id} ({order.symbol}): {order.status.value}")
        except BrokerError as e:
            log.warning("re-pricing marketable limits failed: %s; trying again at the next watch", e)

    def _work_children(self) -> float | None:
        """TWAP children on the venue's clock, at every step while open: each sent at its minute,
        each canceled when its turn ends. Returns the seconds until the next one is due (None:
        none waiting)."""
        try:
            touched, next_at = self.runner.work_children()
        except BrokerError as e:
            log.warning("TWAP children: %s; trying again at the next step", self._where(e))
            return None
        for order in touched:
            self.say(f"TWAP child {order.client_order_id} ({order.symbol}): {order.status.value}")
        if next_at is None:
            return None
        return max((next_at - self.runner.clock.now()).total_seconds(), 0.0)

    def _watch(self, times: VenueTimes) -> None:
        self._next_watch = time.monotonic() + self.settings.risk.watch_interval_seconds
        session = times.next_close.astimezone(VENUE_ZONE).date()
        try:
            if self.cycles and not self.runner.live_broker.stream_connected:
                self.runner.live_broker.poll()  # today's fills, without the stream
            reading = self.watch.tick(session)
        except (BrokerError, sqlite3.OperationalError) as e:  # a busy journal: next time
            self._watch_failures += 1
            log.warning("loss watch: cannot read the account (%d in a row): %s", self._watch_failures,
                        self._where(e))
            if self._watch_failures == WATCH_FAILURES_ALERTED:
                self.alerts.emit(AlertKind.WATCH_FAILURE, Severity.CRITICAL,
                                 f"the loss watch could not read the account {self._watch_failures} times in a row",
                                 self.runner.clock.now(), session, error=str(e))
            return
        self._watch_failures = 0
        if reading.halted:
            self.say(f"halted at {human(reading.time)}: intraday loss {reading.loss.pnl_fraction:+.2%} "
                     f"reached the daily loss limit {self.settings.risk.daily_loss_limit:.2%}")

    def _where(self, error: Exception) -> str:
        """A failure with the venue it came from: the journal's own (busy) needs no host."""
        if not self.venue or isinstance(error, sqlite3.OperationalError):
            return str(error)
        return f"{error} [{self.venue}]"

    def _check_journal(self) -> None:
        if self.alerting is not None and not self.runner.dry_run:
            self.alerting.check_journal(self.runner.journal)


@contextmanager
def _same(runner: PaperRunner) -> Iterator[PaperRunner]:
    yield runner


__all__ = ["Operations"]
