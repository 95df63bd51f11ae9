"""The operator's actions on an account — halt, resume, flatten — defined once, for every caller:
the CLI (`trade halt/resume/flatten`), the dashboard's buttons, the loss watch (`trade watch` and
`trade paper`) and the engine's own guards. Each is journaled with its origin (``"cli"``,
``"dashboard 127.0.0.1"``, ``"loss watch"``) and stamped with the venue's clock.

The order is the safety: the halt is journaled first (so it holds whatever fails after it), then
the orders that would add risk are canceled (protective stops and sales of what is held stay),
then — for a flatten — the positions are closed. A flatten whose closing fails is still halted.
Foreign orders (no journaled intent, :mod:`framework.foreign`) are never canceled by a halt: only a
flatten, which closes the whole account, takes them down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from framework.broker import LiveBroker
from framework.config.execution import OrdersConfig
from framework.enums import OrderStatus
from framework.errors import BrokerError
from framework.foreign import describe
from framework.journal import Journal
from framework.order_manager import OrderManager
from framework.orders import Order
from framework.risk.halted import order_adds_risk
from framework.venue_time import venue_or_local

log = logging.getLogger(__name__)
FLATTEN_TAG = "flatten"  # the closing orders a flatten sends: ours (journaled), not foreign


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: str
    origin: str
    time: datetime
    message: str
    canceled: int = 0
    closing: int = 0


def venue_now(broker: LiveBroker | None) -> datetime:
    """The venue's clock (one clock for every record). Only when the venue cannot be read is the
    local clock used — in UTC, the same text format — so the action still goes in."""
    if broker is None:
        return datetime.now(UTC)
    return venue_or_local(lambda: broker.get_clock().timestamp, BrokerError)


def cancel_risk_adding(broker: LiveBroker, journal: Journal) -> int:
    """Cancel our open orders that would grow a position; protective stops, sales of what is held
    and foreign orders stay."""
    held = {p.symbol: p.qty for p in broker.get_positions()}
    ours = {o.client_order_id for o in journal.orders()}
    canceled = 0
    for order in broker.get_orders("open"):
        if order.client_order_id not in ours or order.broker_order_id is None:
            continue
        if order_adds_risk(order, held.get(order.symbol, Decimal(0))):
            broker.cancel_order(order.broker_order_id)
            canceled += 1
    return canceled


def _by(reason: str, origin: str) -> str:
    return f"{reason} (by {origin})" if origin else reason


def halt(journal: Journal, broker: LiveBroker | None, *, origin: str, reason: str = "manual halt",
         scope: str = "persistent", session: datetime | None = None, when: datetime | None = None,
         cancel: Callable[[], int] | None = None) -> ActionResult:
    """Journaled first, then the risk-adding orders canceled (a failure there leaves it halted).
    ``cancel``: how (default: at the broker, :func:`cancel_risk_adding`; the engine passes its
    order manager's); no broker and no ``cancel``: the halt only."""
    when = when or venue_now(broker)
    journal.set_halt(True, _by(reason, origin), when, scope, session)
    if cancel is None and broker is not None:
        cancel = lambda: cancel_risk_adding(broker, journal)  # noqa: E731
    canceled = cancel() if cancel is not None else 0
    return ActionResult("halt", origin, when, f"halted; canceled {canceled} open order(s) that add risk", canceled)


def resume(journal: Journal, broker: LiveBroker | None, *, origin: str,
           when: datetime | None = None) -> ActionResult:
    """The halt lifted, and the drawdown measured afresh from the latest equity (a journaled peak):
    a resumed max-drawdown halt does not fire again at the next decision on the same loss."""
    when = when or venue_now(broker)
    if not journal.halt_state().halted:
        return ActionResult("resume", origin, when, "was not halted; nothing to resume")
    journal.set_halt(False, _by("resumed", origin), when)
    journal.reset_peaks(when)
    return ActionResult("resume", origin, when, "resumed: the next cycle may open risk again")


def flatten(journal: Journal, broker: LiveBroker, *, origin: str, then_halt: bool = True) -> ActionResult:
    """Halted first (unless ``then_halt`` is False: `--no-halt`, or a caller that just halted),
    then our risk-adding orders canceled, then every position closed (the venue cancels every
    remaining order, stops included, as it closes). The closing orders are journaled as ours and
    looked up once: what has filled already (a close while the market is open) is journaled with
    its fills at once, so the dashboard shows the sells; the rest reach the books at the next sync.
    A failure to close is journaled and raised; the account stays halted."""
    when = venue_now(broker)
    if then_halt and not journal.halt_state().halted:
        journal.set_halt(True, _by("flatten", origin), when)
    canceled = cancel_risk_adding(broker, journal)
    try:
        closing = broker.close_all_positions()
    except BrokerError as e:
        state = "halted" if journal.halt_state().halted else "not halted"
        journal.record_event("*", "flatten", "failed", when,
                             f"by {origin}: canceled {canceled} risk-adding orders; closing failed: {e}; {state}")
        raise
    _settle_foreign(journal, broker, closing, when)
    _journal_closing(journal, closing)
    filled = _adopt_closing(journal, broker, closing, when)
    journal.record_event("*", "flatten", "requested", when,
                         f"by {origin}: canceled {canceled} risk-adding orders, closing {len(closing)} positions")
    return ActionResult("flatten", origin, when,
                        f"canceled {canceled} open order(s) that add risk; closing orders sent for {len(closing)} "
                        "positions (every other open order canceled with them)"
                        + (f"; {filled} filled already" if filled else ""), canceled, len(closing))


def _settle_foreign(journal: Journal, broker: LiveBroker, closing: list[Order], when: datetime) -> None:
    """The venue closes each symbol whole, a person's shares with ours: the foreign orders whose
    fills are in those positions are settled (journaled first if no cycle has seen them yet), so
    what they moved stops being taken out of the venue's positions. The closing orders are ours;
    the next reconciliation adopts the part of them that sold the person's shares, and our books
    never go short shares nobody holds."""
    symbols = {o.symbol for o in closing}
    ours = {o.client_order_id for o in journal.orders()}
    known = {o.client_order_id: o for o in journal.foreign_orders()}
    try:
        listed = broker.get_orders("all")
    except BrokerError as e:  # the ledger's view is the best there is
        log.warning("flatten: cannot list the venue's orders to settle foreign ones: %s", e)
        listed = []
    closing_ids = {o.client_order_id for o in closing}
    for order in listed:
        cid = order.client_order_id
        if cid in ours or cid in closing_ids or order.symbol not in symbols or not order.filled_qty:
            continue
        if journal.record_foreign(order, when):
            journal.record_event(cid, "foreign_order", order.status.value, when,
                                 f"foreign order at the venue, not ours, closed by a flatten: {describe(order)}")
        known[cid] = order
    settled = sorted(c for c, o in known.items() if o.symbol in symbols and o.filled_qty)
    journal.settle_foreign(settled, when, "closed whole by a flatten")


def _journal_closing(journal: Journal, closing: list[Order]) -> None:
    run = journal.run()
    run_id = run.run_id if run is not None else "operator"
    orders = [replace(o, tag=FLATTEN_TAG) for o in closing]
    journal.record_intents(run_id, orders)
    for order in orders:
        journal.record_event(order.client_order_id, "flatten_close", order.status.value, order.created_at,
                             f"{order.side.value} {order.qty} {order.symbol}")


def _adopt_closing(journal: Journal, broker: LiveBroker, closing: list[Order], when: datetime) -> int:
    """Each closing order looked up once (one read per order, no waiting) and its state and fills
    journaled through the order manager's adoption path — the one a cycle's sync uses — so the
    dashboard shows the closing sells at once (a close fills at once while the market is open).
    A read that fails is left to the next sync: the closing orders are already journaled as ours.
    Returns how many are filled."""
    run = journal.run()
    manager = OrderManager(broker, journal, OrdersConfig(), run.run_id if run is not None else "operator")
    filled = 0
    for order in closing:
        try:
            found = broker.get_order_by_client_id(order.client_order_id)
        except BrokerError as e:
            log.warning("flatten: cannot look up closing order %s yet (the next sync will): %s",
                        order.client_order_id, e)
            continue
        if found is None:
            continue
        update = broker.adopt(found, found.updated_at or when)
        if update is not None:
            manager.on_update(update)
        filled += found.status is OrderStatus.FILLED
    return filled


__all__ = ["FLATTEN_TAG", "ActionResult", "LiveBroker", "cancel_risk_adding", "flatten", "halt", "resume",
           "venue_now"]
