"""The :class:`~framework.broker.Broker` protocol on alpaca-py's TradingClient.

alpaca-py's own retry is turned off (it would resend ``POST /v2/orders`` on 429/504 without
looking first) and every request gets a timeout, so the order manager's policy — deterministic
client id, look-up after any ambiguous failure — is the only one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import requests
from alpaca.common.enums import Sort
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetCalendarRequest, GetOrdersRequest

from brokers.alpaca import parsing
from brokers.alpaca.config import Credentials, Endpoints
from brokers.alpaca.errors import call
from brokers.alpaca.stream import UpdateFeed, make_stream
from brokers.alpaca.tracking import FillTracker
from framework.broker import BrokerCapabilities, OrderQuery, OrderUpdateHandler
from framework.enums import TimeInForce
from framework.errors import OrderNotFound
from framework.fills import Fill
from framework.orders import Order
from framework.positions import Account, Position

PAGE = 500
log = logging.getLogger(__name__)


def _parse_or_skip(raw: Any) -> Order | None:
    """One odd order (a multi-leg option, say) must not hide all the others."""
    try:
        return parsing.order_from_alpaca(raw)
    except ValueError as e:  # InvalidOrder is a ValueError too
        log.warning("skipping an order the project cannot represent: %s", e)
        return None


class TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout (alpaca-py sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def make_trading_client(creds: Credentials, ends: Endpoints, timeout: float) -> TradingClient:
    client = TradingClient(creds.key_id, creds.secret_key, paper=ends.paper,
                           url_override=ends.trading_url)
    client._retry = 0  # never let alpaca-py resend an order on its own
    client._session = TimeoutSession(timeout)
    return client


class AlpacaBroker:
    """One Alpaca account. Call :meth:`start` to receive order updates, :meth:`close` to stop."""

    capabilities = BrokerCapabilities(native_stop=True, native_trailing_stop=True,
                                      fractional=True, short_selling=True)

    def __init__(self, creds: Credentials, ends: Endpoints, *, timeout: float = 10.0,
                 poll_interval: float = 2.0, stream: bool = True) -> None:
        self.client = make_trading_client(creds, ends, timeout)
        self._poller = make_trading_client(creds, ends, timeout)  # own session for the poll thread
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
        self.feed.close()
        self.client._session.close()
        self._poller._session.close()

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        self.feed.subscribe(handler)

    def dispatch(self, timeout: float = 0.0) -> int:
        return self.feed.dispatch(timeout)

    def poll(self) -> int:
        """Ask for every open tracked order now (start-up sync, end of an ack wait)."""
        return self.feed.poll_now()

    # -- orders ---------------------------------------------------------------------------

    def submit_order(self, order: Order) -> Order:
        self.tracker.track(order.client_order_id)
        request = parsing.order_request(order)
        raw = call(f"submit {order.client_order_id}", lambda: self.client.submit_order(request))
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
        """Every order in the query, newest first, paging past Alpaca's 500 per request."""
        return self._list(self.client, status, after)

    @staticmethod
    def _list(client: TradingClient, status: OrderQuery, after: dt.datetime | None) -> list[Order]:
        found: dict[str, Order] = {}
        until: dt.datetime | None = None
        while True:
            request = GetOrdersRequest(status=QueryOrderStatus(status), limit=PAGE, after=after,
                                       until=until, direction=Sort.DESC)
            page = call(f"list {status} orders", lambda r=request: client.get_orders(r))
            fresh = [o for o in map(_parse_or_skip, page) if o is not None]  # type: ignore[arg-type]
            new = [o for o in fresh if o.broker_order_id not in found]
            found.update((o.broker_order_id, o) for o in new)  # type: ignore[misc]
            if len(fresh) < PAGE or not new:
                return list(found.values())
            until = min(o.created_at for o in fresh)

    def _poll_orders(self, client_ids: set[str]) -> list[Order]:
        """Open tracked orders, on the poller's own client (requests sessions are not shared
        across threads): one look-up each when few, else one paged listing."""
        if len(client_ids) <= 5:
            found = (self._lookup(self._poller, c) for c in sorted(client_ids))
            return [o for o in found if o is not None]
        return [o for o in self._list(self._poller, "all", None) if o.client_order_id in client_ids]

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

    def close_all_positions(self) -> int:
        result = call("close all positions",
                      lambda: self.client.close_all_positions(cancel_orders=True))
        return len(result)  # type: ignore[arg-type]
