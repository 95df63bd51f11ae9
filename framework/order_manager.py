"""Order manager: owns order state, talks to the broker, and never sends an order twice.

The rule that makes retries safe: an order's client id is deterministic, its intent is
journaled before the first attempt, and after any *ambiguous* failure (timeout, 5xx, 429,
lost answer) the order is looked up by client id before anything is resent.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from framework import deadline
from framework.broker import Broker, OrderUpdate
from framework.config.execution import OrdersConfig
from framework.deadline import DeadlineExceeded
from framework.enums import OrderEvent, OrderStatus
from framework.errors import (
    BrokerError,
    DuplicateClientOrderId,
    IllegalTransition,
    NotCancelable,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    TransientBrokerError,
)
from framework.journal import Journal
from framework.orders import TRANSITIONS, Order, is_delisting, is_protective
from framework.serialization import WIRE
from framework.styles import is_twap_child
from framework.venue import BookOrder, Rejection, Venue, VenueBook

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    order: Order
    attempts: int
    looked_up: bool = False


class OrderManager:
    def __init__(
        self,
        broker: Broker,
        journal: Journal,
        config: OrdersConfig,
        run_id: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        seed: int = 0,
    ) -> None:
        self.broker, self.journal, self.config, self.run_id = broker, journal, config, run_id
        self._sleep, self._clock = sleep, clock
        self._rng = random.Random(seed)
        self.orders: dict[str, Order] = {o.client_order_id: o for o in journal.orders()}
        self._open: dict[str, Order] = {k: o for k, o in self.orders.items() if o.is_open}
        self.submissions = 0  # calls to broker.submit_order (observability, tests)
        self.before_call: Callable[[], None] = lambda: None  # e.g. a cycle deadline check
        # The venue model and the account as it stands (set by the engine): every order is judged
        # by the venue's rules before it goes, exactly as the venue will judge it.
        self.venue: Venue | None = None
        self.venue_book: Callable[[], VenueBook] | None = None
        # Whether an order adds risk (set by the engine): before each send the journal's halt is
        # read again, so a halt landing while a decision's orders go out stops the rest of them.
        self.adds_risk: Callable[[Order], bool] | None = None

    # -- submission -----------------------------------------------------------------------

    def _backoff(self, attempt: int, error: BrokerError) -> float:
        if isinstance(error, RateLimited) and error.retry_after:
            return min(error.retry_after, self.config.backoff_max_seconds)
        base = self.config.backoff_initial_seconds * (2**attempt)
        return min(base, self.config.backoff_max_seconds) * (0.5 + self._rng.random() / 2)

    def _pause(self, seconds: float, why: BrokerError | None = None) -> None:
        """Wait before trying again — never past the deadline the caller works under (a paper
        cycle's, :mod:`framework.deadline`): a rate limit's wait that cannot fit is refused at
        once (:class:`DeadlineExceeded`), naming the deadline."""
        bound = deadline.current()
        # a rate limit holds every sender until the venue's reset (the adapter's budget): that is
        # the wait to fit, not the capped backoff slept here before the budget's own wait
        need = max(seconds, why.retry_after or 0.0) if isinstance(why, RateLimited) else seconds
        refused = bound.refuse(need, f"before trying again ({type(why).__name__}: {why})" if why else
                               "before looking again") if bound is not None else None
        if refused is not None:
            raise refused
        self._sleep(seconds)

    def _call(self, fn: Callable[[], object]) -> object:
        """Every broker call goes through here. Pacing is the adapter's (one budget per venue API
        shared by every client and thread: brokers/alpaca/session.py); the order manager only
        checks the cycle's deadline before spending time on the broker."""
        self.before_call()
        return fn()

    def lookup(self, client_order_id: str) -> Order | None:
        """The broker's view of an order by client id, retrying transient failures."""
        for attempt in range(self.config.max_retries + 1):
            try:
                return self._call(lambda: self.broker.get_order_by_client_id(client_order_id))  # type: ignore[return-value]
            except TransientBrokerError as e:
                if attempt == self.config.max_retries or isinstance(e, DeadlineExceeded):
                    raise
                self._pause(self._backoff(attempt, e), e)
        return None

    def submit(self, order: Order, session: datetime | None = None) -> SubmitResult:
        """Journal the intent, then send; on ambiguity look up before resending."""
        return self.submit_many([order], session)[0]

    def submit_many(self, orders: Sequence[Order], session: datetime | None = None) -> list[SubmitResult]:
        """Journal every new intent in one durable commit, then send each in the given order.

        Only orders still ``created`` and due (:meth:`due`) are sent: a client id already known
        (the same decision run again after a failed cycle) returns its journaled state, so an order
        the venue refused, or one withdrawn while halted, is never sent again; one not yet due (a
        TWAP child before its minute) stays journaled as ``created`` until it is. A crash part-way
        leaves the unsent ones journaled as ``created``: a restart looks each up by client id and
        sends only what the broker does not have (:meth:`resolve_pending`).
        """
        fresh = [o for o in orders if o.client_order_id not in self.orders]
        self.journal.record_intents(self.run_id, fresh, session)
        for order in fresh:
            self.orders[order.client_order_id] = order
            self._open[order.client_order_id] = order
        judge = self.venue is not None and self.venue_book is not None and not self.broker.capabilities.judges_orders
        book = self.venue_book() if judge and fresh else None  # type: ignore[misc]
        results = []
        for o in orders:
            order = self.orders[o.client_order_id]
            if order.status is not OrderStatus.CREATED or not self.due(order):  # as journaled; or not yet due
                results.append(SubmitResult(order, 0))
                continue
            if self.adds_risk is not None and self.adds_risk(order) and self.journal.halt_state().halted:
                results.append(SubmitResult(self.withdraw(order, "halted while the decision was sent: an order "
                                                                 "that adds risk is not sent"), 0))
                continue
            rejection = self._venue_refusal(order, book)
            if rejection is not None:
                results.append(SubmitResult(self._refused_by_rule(order, rejection.message), 0))
                continue
            result = self._send(order)
            if book is not None and result.order.is_open:
                book = book.with_orders((*book.open_orders, BookOrder.of(result.order)))
            results.append(result)
        return results

    def due(self, order: Order) -> bool:
        """Whether ``order`` may go now. Only a TWAP child is stamped ahead of time (with its
        minute): it waits until the clock reaches it, unless the venue holds an order until its
        ``created_at`` itself (``capabilities.timed_orders``: the backtest's minute fills). Any
        other order is due at once: its stamp is the clock's reading when it was decided, which a
        restart's fresh reading of a venue clock standing still (the sandbox's before the open)
        may not have reached."""
        if not is_twap_child(order.client_order_id):
            return True
        return order.created_at <= self._clock() or self.broker.capabilities.timed_orders

    def _venue_refusal(self, order: Order, book: VenueBook | None) -> Rejection | None:
        """The venue model's verdict, before the venue's own: an order the venue would refuse is
        never sent (a venue's own close-out of a delisting is not an order the rules judge)."""
        if book is None or self.venue is None or is_delisting(order):
            return None
        return self.venue.check(order, book)

    def _refused_by_rule(self, order: Order, message: str) -> Order:
        """An order the venue model refuses: judged here, or by a venue that judges in process
        (``capabilities.judges_orders``), it is journaled alike."""
        refused = order.transition(OrderStatus.REJECTED, updated_at=self._clock())
        return self._store(refused, "venue_rule", f"not sent: the venue would refuse it: {message}")

    def _send(self, order: Order) -> SubmitResult:
        for attempt in range(self.config.max_retries + 1):
            try:
                self.submissions += 1
                acked = self._call(lambda: self.broker.submit_order(order))
                return SubmitResult(self._adopt(acked), attempt + 1)  # type: ignore[arg-type]
            except DuplicateClientOrderId:
                found = self.lookup(order.client_order_id)
                if found is not None:
                    return SubmitResult(self._adopt(found), attempt + 1, looked_up=True)
                raise
            except OrderRejected as e:
                if e.rule is not None and self.broker.capabilities.judges_orders:
                    return SubmitResult(self._refused_by_rule(order, e.reason), attempt + 1)
                rejected = order.transition(OrderStatus.REJECTED, updated_at=self._clock())
                self._store(rejected, OrderEvent.REJECTED.value, str(e))
                return SubmitResult(rejected, attempt + 1)
            except DeadlineExceeded:
                # refused before it went (a wait the cycle has no time left for): the intent stays
                # created, and the next run sends it (resolve_pending) — no retry, no look-up
                raise
            except TransientBrokerError as e:
                self.journal.record_event(
                    order.client_order_id,
                    "submit_failed",
                    order.status.value,
                    self._clock(),
                    f"{type(e).__name__}: {e}",
                )
                if attempt == self.config.max_retries:
                    raise
                self._pause(self._backoff(attempt, e), e)
                found = self.lookup(order.client_order_id)
                if found is not None:
                    return SubmitResult(self._adopt(found), attempt + 1, looked_up=True)
        raise AssertionError("unreachable")

    def resolve_pending(
        self,
        *,
        session: datetime | None = None,
        halted: bool = False,
        adds_risk: Callable[[Order], bool] = lambda _o: True,
    ) -> list[Order]:
        """After a restart: every journaled intent the broker may or may not have received.

        Each is looked up by client id first; one the broker has is adopted. One it never got is
        sent only if it still belongs: an intent decided for an earlier session than ``session``
        is stale and withdrawn, and while ``halted`` an intent that adds risk is withdrawn
        (journaled as such); a risk-reducing one goes.
        """
        resolved = []
        decided = self.journal.intent_sessions()
        for order in list(self.orders.values()):
            if order.status is not OrderStatus.CREATED or not self.due(order):  # not yet due: never sent yet
                continue
            found = self.lookup(order.client_order_id)
            if found is not None:
                resolved.append(self._adopt(found))
            elif session is not None and decided.get(order.client_order_id, session) < session:
                resolved.append(self.withdraw(order, "stale intent never sent: decided for an earlier session"))
            elif halted and adds_risk(order):
                resolved.append(self.withdraw(order, "halted: an intent that adds risk is not sent"))
            else:
                resolved.append(self._send(order).order)
        return resolved

    def withdraw(self, order: Order, why: str) -> Order:
        """An intent the broker never received, dropped: canceled locally, journaled with why."""
        withdrawn = order.transition(OrderStatus.CANCELED, updated_at=self._clock())
        return self._store(withdrawn, "withdrawn", why)

    # -- state ----------------------------------------------------------------------------

    def _store(self, order: Order, event: str, detail: str = "") -> Order:
        cid = order.client_order_id
        self.orders[cid] = order
        if order.is_open:
            self._open[cid] = order
        else:
            self._open.pop(cid, None)
        self.journal.record_order(self.run_id, order)
        self.journal.record_event(cid, event, WIRE[order.status], order.updated_at or self._clock(), detail)
        return order

    def _adopt(self, broker_view: Order, event: str = "ack", when: datetime | None = None) -> Order:
        """The broker's view of an order merged into ours (:meth:`Order.apply`), then journaled.

        The event is always journaled; the order row only when something in it changed.
        """
        ours = self.orders.get(broker_view.client_order_id)
        if ours is None:
            return self._store(broker_view, "adopted" if event == "ack" else event)
        if broker_view.status is not ours.status and broker_view.status not in TRANSITIONS[ours.status]:  # stale
            log.warning("ignoring stale status %s -> %s for %s", ours.status, broker_view.status, ours.client_order_id)
        merged = ours.apply(broker_view, self._clock)
        if merged is ours:
            self.journal.record_event(ours.client_order_id, event, WIRE[ours.status], when or self._clock())
            return ours
        return self._store(merged, event)

    def on_update(self, update: OrderUpdate) -> Order:
        """Apply one broker update; stale or out-of-order updates never move state back."""
        if update.fill is not None:
            self.journal.record_fill(update.fill)
        try:
            return self._adopt(update.order, WIRE[update.event], update.timestamp)
        except IllegalTransition:  # pragma: no cover - _adopt checks first
            return self.orders[update.order.client_order_id]

    def record_arrival(self, order: Order, price: Decimal) -> Order:
        """The price when the order reached the market, learned after the fact (the open it was
        queued for)."""
        current = self.orders.get(order.client_order_id, order)
        if current.arrival_price is not None:
            return current
        updated = current.evolve(arrival_price=price)
        self.orders[updated.client_order_id] = updated
        if updated.is_open:
            self._open[updated.client_order_id] = updated
        self.journal.record_order(self.run_id, updated)
        return updated

    def open_orders(self) -> list[Order]:
        return list(self._open.values())

    # -- cancel / replace -----------------------------------------------------------------

    def cancel(self, order: Order) -> Order:
        """Ask the broker to cancel; returns our latest view. An order with no broker id yet is
        looked up by client id first (a halt must be able to cancel an unacknowledged order); one
        the broker never received is withdrawn."""
        order = self.orders.get(order.client_order_id, order)
        if order.broker_order_id is None:
            found = self.lookup(order.client_order_id)
            if found is None:
                return self.withdraw(order, "canceled before it reached the broker")
            order = self._adopt(found)
            if not order.is_open:
                return order
        try:
            self._call(lambda: self.broker.cancel_order(order.broker_order_id))  # type: ignore[arg-type]
        except (NotCancelable, OrderNotFound) as e:
            self.journal.record_event(
                order.client_order_id, "cancel_refused", order.status.value, self._clock(), str(e)
            )
        return self.orders[order.client_order_id]

    def cancel_and_confirm(self, order: Order) -> Order:
        """Cancel, then read the order back until the venue says it is final (canceled, or filled
        meanwhile) or the attempts run out. Returns the last view (still open: not confirmed)."""
        view = self.cancel(order)
        for attempt in range(self.config.max_retries + 1):
            if not view.is_open or view.broker_order_id is None:
                return view
            try:
                found = self._call(partial(self.broker.get_order, view.broker_order_id))
            except TransientBrokerError as e:
                self._pause(self._backoff(attempt, e), e)
                continue
            view = self._adopt(found, "confirm")  # type: ignore[arg-type]
            if view.is_open:
                self._pause(self._backoff(attempt, TransientBrokerError("not final yet")))
        return view

    def cancel_all(self) -> int:
        opened = self.open_orders()
        for order in opened:
            self.cancel(order)
        return len(opened)

    def cancel_where(self, predicate: Callable[[Order], bool]) -> list[Order]:
        """Cancel every open order ``predicate`` picks (a halt: the ones that add risk)."""
        picked = [o for o in self.open_orders() if predicate(o)]
        return [self.cancel(o) for o in picked]

    def replace(self, order: Order, **changes: object) -> Order:
        new = self._call(lambda: self.broker.replace_order(order.broker_order_id, **changes))  # type: ignore[arg-type]
        return self._adopt(new)  # type: ignore[arg-type]

    def reprice(self, order: Order, limit_price: Decimal, client_order_id: str) -> Order:
        """Cancel/replace a resting limit at ``limit_price`` (a marketable limit's re-pricing,
        :mod:`framework.repricing`). The replacement is journaled as an intent under its
        derived id before the venue hears of it; one already journaled (a restart) is looked up
        instead of replaced again; a replace the venue refuses (the order filled or ended
        meanwhile) or whose outcome cannot be found withdraws the intent, never resends it."""
        if client_order_id in self.orders:
            return self.orders[client_order_id]
        remaining = order.remaining_qty
        intent = Order.from_dict({
            **order.to_dict(), "client_order_id": client_order_id, "status": OrderStatus.CREATED.value,
            "broker_order_id": None, "filled_qty": "0", "filled_avg_price": None, "arrival_price": None,
            "limit_price": str(limit_price), "qty": str(remaining), "created_at": self._clock().isoformat(),
            "updated_at": None,
        })
        self.journal.record_intents(self.run_id, [intent])
        self.orders[client_order_id] = self._open[client_order_id] = intent
        partial_qty = remaining if order.filled_qty else None
        detail = f"re-priced to {limit_price} as {client_order_id}"
        try:
            new = self._call(lambda: self.broker.replace_order(
                order.broker_order_id, qty=partial_qty, limit_price=limit_price,  # type: ignore[arg-type]
                client_order_id=client_order_id))
        except (NotCancelable, OrderNotFound) as e:
            return self.withdraw(intent, f"not re-priced: {e}")
        except TransientBrokerError:
            found = self.lookup(client_order_id)
            if found is None:
                return self.withdraw(intent, "not re-priced: the venue's answer was lost and it has no replacement")
            new = found
        self.journal.record_event(order.client_order_id, "repriced", order.status.value, self._clock(), detail)
        return self._adopt(new)  # type: ignore[arg-type]

    def cancel_stale(self, now: datetime) -> int:
        """Cancel unfilled orders older than ``orders.cancel_stale_after_minutes`` on the venue's
        clock. Protective stops are exempt: they rest for as long as they protect."""
        minutes = self.config.cancel_stale_after_minutes
        if minutes is None:
            return 0
        limit = timedelta(minutes=minutes)
        stale = [o for o in self.open_orders() if not is_protective(o) and now - o.created_at > limit]
        for order in stale:
            self.cancel(order)
        return len(stale)
