"""The operator's actions on an account — halt, resume, flatten — each journaled with its origin
(``"dashboard 127.0.0.1"``, ``"loss watch"``): the one implementation behind the dashboard's
buttons and the loss watch's flatten. Times are the venue's clock when it answers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from brokers.alpaca.broker import AlpacaBroker
from framework.errors import TransientBrokerError
from framework.journal import Journal
from framework.risk.halted import adds_risk

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: str
    origin: str
    time: datetime
    message: str
    canceled: int = 0
    closing: int = 0


def venue_now(broker: AlpacaBroker | None) -> datetime:
    """The broker's clock when it answers (one clock per venue); the action goes in regardless."""
    if broker is not None:
        try:
            return broker.get_clock().timestamp
        except TransientBrokerError as e:
            log.warning("broker clock unavailable, action stamped with local time: %s", e)
    return datetime.now(UTC)


def cancel_risk_adding(broker: AlpacaBroker) -> int:
    """Cancel the open orders that would grow a position; protective stops and sales stay."""
    held = {p.symbol: p.qty for p in broker.get_positions()}
    canceled = 0
    for order in broker.get_orders("open"):
        remaining = order.remaining_qty or Decimal(0)
        if adds_risk(order.side.sign * remaining, held.get(order.symbol, Decimal(0))):
            broker.cancel_order(order.broker_order_id)  # type: ignore[arg-type]
            canceled += 1
    return canceled


def halt(journal: Journal, broker: AlpacaBroker | None, *, origin: str, reason: str = "manual halt") -> ActionResult:
    """Persisted first, then the risk-adding orders canceled (a failure there leaves it halted)."""
    when = venue_now(broker)
    journal.set_halt(True, f"{reason} (by {origin})", when)
    canceled = cancel_risk_adding(broker) if broker is not None else 0
    return ActionResult("halt", origin, when, f"halted; canceled {canceled} open order(s) that add risk", canceled)


def resume(journal: Journal, broker: AlpacaBroker | None, *, origin: str) -> ActionResult:
    when = venue_now(broker)
    was = journal.halt_state()
    if not was.halted:
        return ActionResult("resume", origin, when, "was not halted; nothing to resume")
    journal.set_halt(False, f"resumed (by {origin})", when)
    return ActionResult("resume", origin, when, "resumed: the next cycle may open risk again")


def flatten(journal: Journal, broker: AlpacaBroker, *, origin: str, then_halt: bool = True) -> ActionResult:
    """Cancel every open order, close every position; halted first so no cycle buys back in."""
    when = venue_now(broker)
    if then_halt and not journal.halt_state().halted:
        journal.set_halt(True, f"flatten (by {origin})", when)
    canceled = broker.cancel_all_orders()
    closing = broker.close_all_positions()
    journal.record_event("*", "flatten", "requested", when,
                         f"by {origin}: canceled {canceled} orders, closing {closing} positions")
    return ActionResult("flatten", origin, when,
                        f"canceled {canceled} open orders; closing orders sent for {closing} positions",
                        canceled, closing)


__all__ = ["ActionResult", "cancel_risk_adding", "flatten", "halt", "resume", "venue_now"]
