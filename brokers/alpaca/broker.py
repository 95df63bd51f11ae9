"""The :class:`~framework.broker.Broker` protocol on alpaca-py's TradingClient.

Every request goes through a :class:`~brokers.alpaca.session.PacedSession`: paced by the
account's one trading budget (shared with the poll thread and any other client of the
process), reads retried on transient failures, writes never resent, a timeout on every call.
alpaca-py's own retry is off (it would resend ``POST /v2/orders`` on 429/504 without looking
first), so the order manager's policy — deterministic client id, look-up after any ambiguous
failure — is the only one for orders.

Listing pages on the venue's submission timestamps, inclusively, so orders that share a
timestamp at a page boundary are all returned; polling asks for the open orders once and looks
up individually only the tracked orders that left that list.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from alpaca.common.enums import Sort
from alpaca.trading import models as am
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus
from alpaca.trading.requests import GetCalendarRequest, GetOrdersRequest

from brokers.alpaca import parsing
from brokers.alpaca.config import Credentials, Endpoints
from brokers.alpaca.errors import call
from brokers.alpaca.session import Api, RequestPolicy, install
from brokers.alpaca.stream import UpdateFeed, make_stream
from brokers.alpaca.tracking import FillTracker
from framework.broker import BrokerCapabilities, OrderQuery, OrderUpdate, OrderUpdateHandler
from framework.enums import TimeInForce
from framework.errors import OrderNotFound, OrderRejected, PermanentBrokerError
from framework.fills import Fill
from framework.orders import Order
from framework.positions import Account, Position

PAGE = 500  # Alpaca's largest page of orders
CLOSED_PER_GONE = 4  # a poll lists this many newest closed orders per tracked order that left the open list
TICK = dt.timedelta(microseconds=1)  # the finest step of the venue's timestamps as parsed
log = logging.getLogger(__name__)


def _parse_or_skip(raw: Any) -> Order | None:
    """One odd order (a multi-leg option, say) must not hide all the others."""
    try:
        return parsing.order_from_alpaca(raw)
    except ValueError as e:  # InvalidOrder is a ValueError too
        log.warning("skipping an order the project cannot represent: %s", e)
        return None


def make_trading_client(creds: Credentials, ends: Endpoints, policy: RequestPolicy) -> TradingClient:
    client = TradingClient(creds.key_id, creds.secret_key, paper=ends.paper,
                           url_override=ends.trading_url)
    return install(client, Api.TRADING, ends.trading_url, creds.key_id, policy)


class OrderPager:
    """Every order of a query, paging newest first on the venue's ``submitted_at``.

    Alpaca's ``until`` is exclusive, so the next page asks up to one tick past the oldest
    timestamp seen: the orders at that instant come again (de-duplicated by id) instead of
    being skipped. If a whole page is one instant, that instant is listed per side; more than
    a page of one side at one instant cannot be listed and is an error, never a silent gap.
    """

    def __init__(self, client: TradingClient) -> None:
        self.client = client
        self.requests = 0  # observability, tests

    def all(self, status: OrderQuery, after: dt.datetime | None = None) -> list[Any]:
        found: dict[str, Any] = {}
        until: dt.datetime | None = None
        while True:
            page = self._page(status, after, until)
            found.update((str(o.id), o) for o in page)
            if len(page) < PAGE:
                return list(found.values())
            oldest = min(o.submitted_at for o in page)
            if all(o.submitted_at == oldest for o in page):
                found.update((str(o.id), o) for o in self._instant(status, oldest))
                until = oldest
            else:
                until = oldest + TICK

    def latest(self, status: OrderQuery, limit: int) -> list[Any]:
        """The newest ``limit`` orders of a query (one request; at most :data:`PAGE`)."""
        request = GetOrdersRequest(status=QueryOrderStatus(status), limit=min(limit, PAGE), direction=Sort.DESC)
        self.requests += 1
        return call(f"list {status} orders",  # type: ignore[return-value]
                    lambda: self.client.get_orders(request))

    def _instant(self, status: OrderQuery, when: dt.datetime) -> Iterator[Any]:
        for side in (OrderSide.BUY, OrderSide.SELL):
            page = self._page(status, when - TICK, when + TICK, side)
            if len(page) >= PAGE:
                raise PermanentBrokerError(
                    f"cannot list {status} orders: {PAGE} or more {side.value} orders were"
                    f" submitted at the same instant {when.isoformat()}")
            yield from page

    def _page(self, status: OrderQuery, after: dt.datetime | None, until: dt.datetime | None,
              side: OrderSide | None = None) -> list[Any]:
        request = GetOrdersRequest(status=QueryOrderStatus(status), limit=PAGE, after=after,
                                   until=until, direction=Sort.DESC, side=side)
        self.requests += 1
        return call(f"list {status} orders",  # type: ignore[return-value]
                    lambda: self.client.get_orders(request))


class AlpacaBroker:
    """One Alpaca account. Call :meth:`start` to receive order updates, :meth:`close` to stop."""

    capabilities = BrokerCapabilities(native_stop=True, native_trailing_stop=True,
                                      fractional=True, short_selling=True)

    def __init__(self, creds: Credentials, ends: Endpoints, *, policy: RequestPolicy | None = None,
                 timeout: float | None = None, poll_interval: float = 2.0,
                 stream: bool = True) -> None:
        policy = policy or RequestPolicy()
        if timeout is not None:
            policy = replace(policy, timeout=timeout)
        self.policy = policy
        self.client = make_trading_client(creds, ends, policy)
        # the poll thread's own client (a requests session is not shared across threads); the
        # budget behind both sessions is the same one
        self._poller = make_trading_client(creds, ends, policy)
        self.pager, self._poll_pager = OrderPager(self.client), OrderPager(self._poller)
        self.tracker = FillTracker()
        ws = None
        if stream:
            ws = make_stream(creds.key_id, creds.secret_key, ends.stream_url, ends.paper)
        self.feed = UpdateFeed(self.tracker, self._poll_orders, poll_interval=poll_interval,
                               stream=ws)

    # -- lifecycle ------------------------------------------------------------------------

    def seed(self, orders: Iterable[Order], fills: Iterable[Fill]) -> None:
        """What the journal already knows, so no fill is delivered twice after a restart."""
        self.tracker.seed(orders, fills)

    def start(self) -> None:
        self.feed.start()

    def close(self) -> None:
        self.feed.close(interrupt=self._poller._session.close)  # wakes a poll waiting for budget
        self.client._session.close()

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        self.feed.subscribe(handler)

    def dispatch(self, timeout: float = 0.0) -> int:
        return self.feed.dispatch(timeout)

    def poll(self) -> int:
        """Ask for every open tracked order now (start-up sync, end of an ack wait)."""
        return self.feed.poll_now()

    def adopt(self, order: Order, when: dt.datetime) -> OrderUpdate | None:
        """Track an order we never placed (a crashed run's, `trade flatten`'s) from now on; the
        update that brings it into the books, if its state carries one."""
        self.tracker.track(order.client_order_id)
        return self.tracker.observe(order, when)

    @property
    def stream_connected(self) -> bool:
        """Whether order updates arrive pushed (else the poll carries them)."""
        return self.feed.stream_connected

    # -- orders ---------------------------------------------------------------------------

    def submit_order(self, order: Order) -> Order:
        self.tracker.track(order.client_order_id)
        request = parsing.order_request(order)
        try:
            raw = call(f"submit {order.client_order_id}", lambda: self.client.submit_order(request))
        except OrderRejected:
            self.tracker.forget(order.client_order_id)  # never at the broker: nothing to poll
            raise
        return parsing.order_from_alpaca(raw)  # type: ignore[arg-type]

    def cancel_order(self, broker_order_id: str) -> None:
        call(f"cancel {broker_order_id}", lambda: self.client.cancel_order_by_id(broker_order_id), on_cancel=True)

    def replace_order(self, broker_order_id: str, *, qty: Decimal | None = None,
                      limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                      trail: Decimal | None = None, time_in_force: TimeInForce | None = None,
                      client_order_id: str | None = None) -> Order:
        request = parsing.replace_request(qty=qty, limit_price=limit_price, stop_price=stop_price,
                                          trail=trail, time_in_force=time_in_force,
                                          client_order_id=client_order_id)
        if client_order_id:
            self.tracker.track(client_order_id)
        raw = call(f"replace {broker_order_id}",
                   lambda: self.client.replace_order_by_id(broker_order_id, request))
        new = parsing.order_from_alpaca(raw)  # type: ignore[arg-type]
        self.tracker.track(new.client_order_id)
        return new

    def get_order(self, broker_order_id: str) -> Order:
        raw = call(f"get order {broker_order_id}",
                   lambda: self.client.get_order_by_id(broker_order_id))
        return parsing.order_from_alpaca(raw)  # type: ignore[arg-type]

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        return self._lookup(self.client, client_order_id)

    @staticmethod
    def _lookup(client: TradingClient, client_order_id: str) -> Order | None:
        try:
            raw = call(f"look up {client_order_id}",
                       lambda: client.get_order_by_client_id(client_order_id))
        except OrderNotFound:
            return None
        return parsing.order_from_alpaca(raw)  # type: ignore[arg-type]

    def get_orders(self, status: OrderQuery = "open", *,
                   after: dt.datetime | None = None) -> list[Order]:
        """Every order in the query (submitted after ``after``, a venue timestamp, if given)."""
        raw = self.pager.all(status, after)
        return [o for o in map(_parse_or_skip, raw) if o is not None]

    def _poll_orders(self, client_ids: set[str]) -> list[Order]:
        """The broker's view of these tracked orders, on the poller's own client: the open
        orders in one listing; those no longer among them (filled, expired or canceled since
        the last poll, or never arrived) looked up one by one, or, when there are more than
        two (a session's fills: 40 look-ups at 500 symbols), read from one listing of the
        newest closed orders (a few times as many: those that just left were sent last) and
        only the ones it does not hold looked up."""
        listed = (_parse_or_skip(o) for o in self._poll_pager.all("open"))
        still_open = {o.client_order_id: o for o in listed if o is not None}
        found = [still_open[c] for c in sorted(client_ids) if c in still_open]
        gone = sorted(client_ids - still_open.keys())
        closed: dict[str, Order] = {}
        if len(gone) > 2:
            missing = set(gone)
            recent = (_parse_or_skip(o) for o in self._poll_pager.latest("closed", CLOSED_PER_GONE * len(gone)))
            closed = {o.client_order_id: o for o in recent if o is not None and o.client_order_id in missing}
        looked_up = (closed[c] if c in closed else self._lookup(self._poller, c) for c in gone)
        return found + [o for o in looked_up if o is not None]

    # -- account --------------------------------------------------------------------------

    def get_positions(self) -> list[Position]:
        raw = call("list positions", self.client.get_all_positions)
        return [parsing.position_from_alpaca(p) for p in raw]  # type: ignore[union-attr]

    def get_account(self) -> Account:
        raw = call("get account", self.client.get_account)
        return parsing.account_from_alpaca(raw, dt.datetime.now(dt.UTC))  # type: ignore[arg-type]

    def get_clock(self) -> Any:
        return call("get clock", self.client.get_clock)

    def get_calendar(self, start: dt.date, end: dt.date) -> list[Any]:
        request = GetCalendarRequest(start=start, end=end)
        return call("get calendar", lambda: self.client.get_calendar(request))  # type: ignore[return-value]

    def cancel_all_orders(self) -> int:
        return len(call("cancel all orders", self.client.cancel_orders))  # type: ignore[arg-type]

    def close_all_positions(self) -> list[Order]:
        """Every open order canceled, every position closed: the closing orders the venue accepted
        (a position it refused to close is left out, and logged)."""
        result = call("close all positions",
                      lambda: self.client.close_all_positions(cancel_orders=True))
        closing = []
        for answer in result:  # type: ignore[union-attr]
            body = getattr(answer, "body", None)
            if isinstance(body, am.Order):
                closing.append(parsing.order_from_alpaca(body))
            else:
                log.warning("closing %s refused: %s", getattr(answer, "symbol", "?"), body)
        return closing
