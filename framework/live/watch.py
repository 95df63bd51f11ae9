"""The intraday loss watch: the daily loss limit checked while the market is open.

Each :meth:`LossWatch.tick` reads the account and the positions (each at its latest trade) from
the venue through the runner's own paced client — the same request budget as the orders, never
a second unpaced client — journals the reading as a mark, and when the day's loss, unrealised
P&L included, reaches ``risk.daily_loss_limit`` it halts through the engine at once (the halt
covers the session, like the engine's own daily-loss halt; with ``risk.flatten_on_halt`` it also
closes every position). Ticks come every ``risk.watch_interval_seconds``: a breach is acted on at
the first tick that sees it, so within one interval. A breach is acted on once per session: a
person who resumes by hand is not overruled by the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from framework.alerts import Alert, AlertKind, Severity
from framework.broker import LiveBroker
from framework.config.settings import Settings
from framework.data import session_time
from framework.errors import BrokerError
from framework.journal import Journal
from framework.live import actions
from framework.risk.intraday import HeadroomAlarm, LossReading, marked_equity
from framework.venue_time import human

log = logging.getLogger("trade.watch")


@dataclass(frozen=True, slots=True)
class WatchReading:
    time: datetime  # the venue's
    session: date
    loss: LossReading
    breached: bool
    halted: bool  # this tick halted the account


class LossWatch:
    def __init__(self, settings: Settings, broker: LiveBroker, journal: Journal, run_id: str, *,
                 halt: Callable[[date], None], now: Callable[[], datetime],
                 alert: Callable[[Alert], None] = lambda _a: None) -> None:
        """``halt(session)``: stop opening risk for the session (the engine's halt in `trade paper`;
        the journal's halt and a cancel of risk-adding orders in `trade watch`)."""
        self.settings, self.broker, self.journal, self.run_id = settings, broker, journal, run_id
        self._halt, self._now, self._alert = halt, now, alert
        self.alarm = HeadroomAlarm(settings.alerts.headroom_below)
        self._acted: set[date] = set()
        self.readings: list[WatchReading] = []  # this process's ticks, newest last (bounded)

    def tick(self, session: date) -> WatchReading:
        """One poll of the venue for ``session`` (today's, the market being open)."""
        account = self.broker.get_account()
        positions = self.broker.get_positions()
        now = self._now()
        equity = marked_equity(account.cash, positions)
        equity = account.equity if equity is None else equity
        baseline = account.last_equity or self._journal_baseline() or equity
        loss = LossReading(float(equity), float(baseline), self.settings.risk.daily_loss_limit)
        self.journal.record_mark(self.run_id, now, "watch", session_time(pd.Timestamp(session)), equity=equity,
                                 cash=account.cash, baseline=Decimal(str(baseline)))
        breached = loss.breached(self.settings.risk)
        halted = breached and self._act(session, now, loss)
        if not breached and self.alarm.check(session, loss):
            self._alert(self._headroom_alert(now, loss))
        reading = WatchReading(now, session, loss, breached, halted)
        self.readings = [*self.readings[-999:], reading]
        log.info("watch %s: equity %.2f, P&L %+.2f (%+.2f%%) against the last close, headroom %.0f%%%s",
                 session, loss.equity, loss.pnl, loss.pnl_fraction * 100, loss.headroom * 100,
                 " — LIMIT BREACHED" if breached else "")
        return reading

    def _journal_baseline(self) -> float | None:
        curve = self.journal.equity_curve(self.run_id)
        return float(curve["equity"].iloc[-1]) if not curve.empty else None

    def _act(self, session: date, now: datetime, loss: LossReading) -> bool:
        """Halt (and flatten) once per session; False when already done or already halted."""
        if session in self._acted:
            return False
        self._acted.add(session)
        if self.journal.halt_state().halted:
            log.warning("daily loss limit breached intraday; already halted (%s)", self.journal.halt_state().reason)
            return False
        detail = (f"equity {loss.equity:,.2f} is {-loss.pnl_fraction:.2%} below the last close {loss.baseline:,.2f} "
                  f"(limit {self.settings.risk.daily_loss_limit:.2%}) at {human(now)}")
        self.journal.record_event("*", "loss_watch", "breach", now, detail)
        self._halt(session)
        log.error("halted: %s", detail)
        if self.settings.risk.flatten_on_halt:
            try:
                result = actions.flatten(self.journal, self.broker, origin="loss watch", then_halt=False)
            except BrokerError as e:  # journaled by the flatten; the halt above holds
                log.error("flatten (risk.flatten_on_halt) failed, the account stays halted: %s", e)
            else:
                log.error("flattened (risk.flatten_on_halt): %s", result.message)
        return True

    def _headroom_alert(self, now: datetime, loss: LossReading) -> Alert:
        return Alert(AlertKind.LOSS_HEADROOM, Severity.WARNING,
                     f"{loss.headroom:.0%} of the daily loss limit left "
                     f"(P&L {loss.pnl:+,.2f}, {loss.pnl_fraction:+.2%})",
                     now, self.settings.paper.account,
                     {"equity": round(loss.equity, 2), "baseline": round(loss.baseline, 2),
                      "pnl": round(loss.pnl, 2), "headroom": round(loss.headroom, 4),
                      "daily_loss_limit": self.settings.risk.daily_loss_limit})


__all__ = ["LossWatch", "WatchReading"]
