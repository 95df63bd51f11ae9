"""The dashboard's live source: the venue's account (Alpaca's, or the sandbox's) read in the background, and
the operator's actions carried out on it (``framework.live.actions``, journaled with the origin).

Reads go through the adapter's paced clients, so they spend the account's one trading budget:
a refresh (clock, account, positions, open orders: four requests) is skipped while less than
``dashboard.budget_reserve`` of the venue's budget is left — trading comes first. Every call to
the broker holds one lock: the refresher and an action never share the HTTP session at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from framework.adapters import Connection
from framework.config.settings import Settings
from framework.errors import BrokerError
from framework.journal import Journal
from framework.live import actions
from framework.live.schedule import session_of
from framework.live.snapshot import ActionOutcome, Headroom, LiveOrder, LivePosition, LiveSnapshot, VenueInfo
from framework.redaction import redact_url

log = logging.getLogger("trade.dashboard")


def venue_info(settings: Settings, conn: Connection) -> VenueInfo:
    name, trading_url = conn.venue()
    venue = getattr(settings, "venue", None)
    profile = str(getattr(venue, "profile", "") or "")
    return VenueInfo(name, redact_url(trading_url), profile)


class LiveAccount:
    def __init__(self, settings: Settings, conn: Connection, journal: Path) -> None:
        self.settings, self.conn, self.journal_path = settings, conn, journal
        self.venue = venue_info(settings, conn)
        self._snapshot: LiveSnapshot | None = None
        self._lock = threading.Lock()
        self.refreshes = self.skipped = 0  # observability, tests

    def snapshot(self) -> LiveSnapshot | None:
        return self._snapshot

    def headroom(self) -> tuple[Headroom, ...]:
        return tuple(Headroom(api, view.limit, view.remaining, view.sent_in_window)
                     for api, view in self.conn.budgets())

    def _reserve_left(self) -> bool:
        trading = self.headroom()[0]
        reserve = self.settings.dashboard.budget_reserve
        return trading.remaining is None or trading.remaining >= reserve * trading.limit

    def refresh(self) -> LiveSnapshot | None:
        """Read the venue now (unless the budget's reserve is reached); keeps the last good
        snapshot, marked with the error, when the broker cannot be read."""
        with self._lock:
            if not self._reserve_left():
                self.skipped += 1
                log.info("dashboard: broker refresh skipped, the rate limit's reserve is reached")
                return self._snapshot
            try:
                self._snapshot = self._read()
                self.refreshes += 1
            except BrokerError as e:
                log.warning("dashboard: cannot read the broker: %s", e)
                if self._snapshot is not None:
                    self._snapshot = replace(self._snapshot, error=str(e))
            return self._snapshot

    def _read(self) -> LiveSnapshot:
        broker = self.conn.broker
        clock = broker.get_clock()
        account = broker.get_account()
        positions = broker.get_positions()
        orders = broker.get_orders("open")
        session = session_of(clock.next_close if clock.is_open else clock.next_open)
        return LiveSnapshot(
            time=clock.timestamp, session=session, is_open=bool(clock.is_open), cash=float(account.cash),
            equity=float(account.equity), buying_power=float(account.buying_power),
            last_equity=float(account.last_equity) if account.last_equity is not None else None,
            trading_blocked=account.trading_blocked,
            positions=tuple(LivePosition(p.symbol, float(p.qty), float(p.avg_entry_price),
                                         float(p.market_price) if p.market_price is not None else None)
                            for p in positions),
            orders=tuple(LiveOrder(o.client_order_id, o.symbol, o.side.value, o.type.value,
                                   float(o.qty) if o.qty is not None else None, float(o.filled_qty),
                                   float(o.limit_price) if o.limit_price is not None else None,
                                   float(o.stop_price) if o.stop_price is not None else None,
                                   o.status.value, o.created_at) for o in orders),
            headroom=self.headroom(),
        )

    # -- actions ----------------------------------------------------------------------------

    def halt(self, origin: str, reason: str) -> ActionOutcome:
        return self._run(lambda j: actions.halt(j, self.conn.broker, origin=origin, reason=reason))

    def resume(self, origin: str) -> ActionOutcome:
        return self._run(lambda j: actions.resume(j, self.conn.broker, origin=origin))

    def flatten(self, origin: str) -> ActionOutcome:
        return self._run(lambda j: actions.flatten(j, self.conn.broker, origin=origin))

    def _run(self, action: Callable[[Journal], actions.ActionResult]) -> ActionOutcome:
        with self._lock:
            journal = Journal(self.journal_path)
            try:
                result = action(journal)
            except BrokerError as e:
                state = journal.halt_state()
                now = f"halted ({state.reason})" if state.halted else "not halted"
                return ActionOutcome(False, f"the broker refused or did not answer: {e}; the account is {now}")
            finally:
                journal.close()
        return ActionOutcome(True, result.message)


__all__ = ["LiveAccount", "venue_info"]
