"""The sandbox venue's order book: every order it accepted, by id and by client order id, in the
order they arrived; which of them still work; and Alpaca's client-id rule (at most 48
characters, unique over the account's orders: a second order with a known id is refused, which
is what makes a client's retry safe).

A read-only mapping of id → :class:`~brokers.sandbox.order.SandboxOrder`; orders enter by
:meth:`OrderBook.add` only. The exchange decides what happens to them; the book only keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.request import OrderQuery
from brokers.sandbox.wire import invalid, iso, not_found

MAX_CLIENT_ID = 48


class OrderBook(Mapping[str, SandboxOrder]):
    def __init__(self, orders: Iterable[SandboxOrder] = ()) -> None:
        self._orders: dict[str, SandboxOrder] = {}
        self._by_client: dict[str, str] = {}
        for order in orders:
            self.add(order)

    def __getitem__(self, order_id: str) -> SandboxOrder:
        return self._orders[order_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._orders)

    def __len__(self) -> int:
        return len(self._orders)

    def check_client_id(self, client_order_id: str) -> None:
        """Refused as Alpaca refuses it: too long, or an id this account already used."""
        if len(client_order_id) > MAX_CLIENT_ID:
            raise invalid(f"client_order_id must be no more than {MAX_CLIENT_ID} characters")
        if client_order_id in self._by_client:
            raise invalid("client_order_id must be unique")

    def knows(self, client_order_id: str) -> bool:
        return client_order_id in self._by_client

    def add(self, order: SandboxOrder) -> None:
        if order.id in self._orders or order.client_order_id in self._by_client:
            raise ValueError(f"order {order.id} ({order.client_order_id}) is already in the book")
        self._orders[order.id] = order
        self._by_client[order.client_order_id] = order.id

    def get_order(self, order_id: str) -> SandboxOrder:
        """The order, or Alpaca's 404."""
        if order_id not in self._orders:
            raise not_found("order")
        return self._orders[order_id]

    def by_client(self, client_order_id: str) -> SandboxOrder:
        """The order with this client id, or Alpaca's 404."""
        if client_order_id not in self._by_client:
            raise not_found("order")
        return self._orders[self._by_client[client_order_id]]

    def relabel(self, client_order_id: str, to: str) -> None:
        """Give an order another client id (what a person at the venue could not do: tests of a
        judge use it to stage a double submission)."""
        order = self.by_client(client_order_id)
        self.check_client_id(to)
        del self._by_client[client_order_id]
        order.client_order_id = to
        self._by_client[to] = order.id

    def working(self) -> list[SandboxOrder]:
        """The orders not yet filled, canceled, expired, replaced or rejected, oldest first."""
        return [o for o in self._orders.values() if o.working]

    def listed(self, query: OrderQuery) -> list[SandboxOrder]:
        """``GET /v2/orders`` (:class:`~brokers.sandbox.request.OrderQuery`): the orders it selects,
        newest first unless ascending, at most ``limit`` of them."""
        q = query
        chosen = [
            o
            for o in self._orders.values()
            if (q.status == "all" or (q.status == "open") == o.working)
            and (not q.symbols or o.symbol in q.symbols)
            and (not q.side or o.side == q.side)
            and (not q.after or (iso(o.submitted_at) or "") > q.after)
            and (not q.until or (iso(o.submitted_at) or "") < q.until)
        ]
        chosen.sort(key=lambda o: iso(o.submitted_at) or "", reverse=q.direction != "asc")
        return chosen[: q.limit]


__all__ = ["MAX_CLIENT_ID", "OrderBook"]
