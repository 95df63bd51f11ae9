"""The Broker protocol on backtrader's BackBroker, trading by the venue model.

Orders are created through the host strategy (backtrader's API for it); ``notify_order``
callbacks come back here and leave as :class:`OrderUpdate` values with :class:`Fill` records.
Every order is first judged by the venue against a :class:`VenueBook` of backtrader's cash and
positions and our open orders, and refused with the very error the Alpaca adapter raises for
the sandbox's (or Alpaca's) answer. Cancels are confirmed at once (backtrader cancels at once).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import backtrader as bt

from brokers.backtrader.parsing import EXEC_TYPES, STATUS
from framework.broker import BrokerCapabilities, OrderQuery, OrderUpdate, OrderUpdateHandler
from framework.data.sessions import NEW_YORK
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import DuplicateClientOrderId, NotCancelable, OrderNotFound, OrderRejected
from framework.fills import Fill
from framework.orders import Order, is_delisting
from framework.positions import Account, Position
from framework.styles import is_twap_child
from framework.venue import ActionKind, BookOrder, BookPosition, CorporateAction, Venue, VenueBook

CorporateActionHandler = Callable[[CorporateAction], None]

#: Shares below this are float dust, not a trade: backtrader sums float sizes, so a position
#: built and unwound in fractions may be left at ±1e-15 instead of 0, and an order crossing it
#: executes that dust as a separate "closing" bit. Real quantities have 6 decimals at most.
DUST_SHARES = 1e-9

#: On-open and on-close orders: which price of the next bar is their auction's.
AUCTIONS = {TimeInForce.OPG: "open", TimeInForce.CLS: "close"}


#: The conversions kept: a 500-symbol window's held closes, sizes and prices over five years
#: (~4,200 distinct closes a 44-symbol momentum point; the points of a sweep share them), so a
#: second point converts nothing. A miss costs ~2.8 µs, a hit ~0.15 µs; an entry ~250 bytes.
CONVERSIONS_KEPT = 1 << 16

#: ±0.0 as ``Decimal(repr(round(x, 10)))`` gives them (the sign is a digit a journal row shows).
_ZERO, _NEGATIVE_ZERO = Decimal("0.0"), Decimal("-0.0")


def _d(x: float) -> Decimal:
    x = float(x)
    if x:
        return _decimal(x)
    return _NEGATIVE_ZERO if math.copysign(1.0, x) < 0 else _ZERO  # ±0.0 are equal keys: not cached


@lru_cache(maxsize=CONVERSIONS_KEPT)
def _decimal(x: float) -> Decimal:
    """Sizes, average prices and closes recur bar after bar: each converted once."""
    return Decimal(repr(round(x, 10)))


def latest_trade(price: float) -> Decimal | None:
    """A bar's close as the venue's latest trade (exact: the float's shortest repr); None when
    there is none (NaN, not positive)."""
    return _exact(price) if math.isfinite(price) and price > 0 else None


@lru_cache(maxsize=CONVERSIONS_KEPT)
def _exact(x: float) -> Decimal:
    """Closes recur bar after bar on every position's valuation: each converted once."""
    return Decimal(repr(x))


def _open_after(times: bt.LineBuffer, opens: bt.LineBuffer, day: int) -> float:
    """The open of a feed's first bar on a later day than ``day`` (a date's proleptic ordinal:
    a bar's date number less its time of day), among its bars up to the current one (the current
    bar's when none is). Bar times rise: a bisection of the line's buffer, not a walk back over
    the bars converting each to a date."""
    now = times._idx
    first = now - (len(times) - 1)  # the feed's first bar, as ``times[-(len - 1)]``
    at = bisect_left(times.array, day + 1, first, now + 1)  # the first from the next midnight on
    return opens.array[min(at, now)]


def _prices(order: Order) -> dict[str, float]:
    """A priced order's prices as backtrader takes them (its limit, stop, trail)."""
    if order.type is OrderType.LIMIT:
        return {"price": float(order.limit_price)}  # type: ignore[arg-type]
    if order.type in (OrderType.STOP, OrderType.STOP_LIMIT):
        prices = {"price": float(order.stop_price)}  # type: ignore[arg-type]
        if order.limit_price is not None:
            prices["plimit"] = float(order.limit_price)
        return prices
    if order.type is OrderType.TRAILING_STOP:
        if order.trail_price is not None:
            return {"trailamount": float(order.trail_price)}
        return {"trailpercent": float(order.trail_percent) / 100}  # type: ignore[arg-type]
    return {}


#: Stops and trailing stops at the venue, fractions, shorts; TWAP children held until their minute;
#: every order judged by the venue model at submission.
CAPABILITIES = BrokerCapabilities(native_stop=True, native_trailing_stop=True, fractional=True, short_selling=True,
                                  timed_orders=True, judges_orders=True)


class BacktraderBroker:
    """Implements :class:`framework.broker.Broker` for one Cerebro run."""

    def __init__(
        self, host: bt.Strategy, feeds: dict[str, bt.feed.DataBase], now: Callable[[], datetime], venue: Venue
    ) -> None:
        self.host, self.feeds, self._now, self.venue = host, feeds, now, venue
        self._action_handlers: list[CorporateActionHandler] = []
        self._orders: dict[str, Order] = {}  # client id -> our latest view
        self._bt: dict[str, bt.Order] = {}  # client id -> backtrader order
        self._by_ref: dict[int, str] = {}  # bt ref -> client id
        self._handlers: list[OrderUpdateHandler] = []
        self._exec_seq = 0
        self._open: set[str] = set()
        self._ref_seq = 0
        self._changes = 0  # executions and corporate actions so far: the account's version
        self._held: tuple[int, list[tuple[str, bt.LineBuffer, Decimal, bt.Position]]] | None = None
        self._book_orders: dict[str, BookOrder] = {}  # open orders as the venue sees them, kept as they change
        self._open_book: tuple[tuple[BookOrder, ...], frozenset[str]] | None = None  # of _book_orders, until it changes
        self._bar: tuple[tuple[float, int], VenueBook, dict[str, Decimal], set[str]] | None = None
        self._by_id: dict[str, str] = {}  # our broker id -> client id
        self._sent: tuple[datetime, int] | None = None  # the last order time's New York date number

    @property
    def capabilities(self) -> BrokerCapabilities:
        return CAPABILITIES

    # -- orders ---------------------------------------------------------------------------

    def submit_order(self, order: Order) -> Order:
        if order.client_order_id in self._orders:
            raise DuplicateClientOrderId(f"client_order_id {order.client_order_id} already used")
        data = self.feeds.get(order.symbol)
        if data is None:
            raise OrderRejected(f"order {order.client_order_id}: no data for symbol {order.symbol}")
        delisting = is_delisting(order)
        rejection = None if delisting else self.venue.check(order, self.book(order.symbol))
        if rejection is not None:
            raise rejection.error(f"submit {order.client_order_id}")
        create = self.host.buy if order.side is OrderSide.BUY else self.host.sell
        # the venue's close-out (``coc``) fills at this bar's close
        kwargs: dict[str, object] = {"data": data, "size": float(order.qty or 0), "exectype": EXEC_TYPES[order.type],
                                     "coc": delisting}
        minutes = self.host.broker.__dict__.get("minute_fills")
        if minutes is not None and is_twap_child(order.client_order_id):
            kwargs["twap"] = (minutes.add(order), order.client_order_id)  # VenueBroker fills it on its minutes
        elif not delisting and order.time_in_force in AUCTIONS:
            kwargs["auction"] = AUCTIONS[order.time_in_force]  # VenueBroker fills it in its auction
        if order.type is not OrderType.MARKET:
            kwargs.update(_prices(order))
        bt_order = create(**kwargs)
        self._ref_seq += 1  # our own ids: backtrader's refs are global across runs
        acked = order.transition(OrderStatus.NEW, broker_order_id=str(self._ref_seq), updated_at=self._now())
        self._orders[order.client_order_id] = acked
        self._bt[order.client_order_id] = bt_order
        self._by_ref[bt_order.ref] = order.client_order_id
        self._by_id[acked.broker_order_id] = order.client_order_id  # type: ignore[index]
        self._open.add(order.client_order_id)
        self._book_orders[order.client_order_id] = BookOrder.of(acked)
        self._open_book = None
        return acked

    def cancel_order(self, broker_order_id: str) -> None:
        cid = self._by_id.get(broker_order_id)
        if cid is None:
            raise OrderNotFound(f"order {broker_order_id} not found", status_code=404)
        if not self._bt[cid].alive() or not self._orders[cid].is_open:
            raise NotCancelable(f"order {broker_order_id} is not cancelable", status_code=422)
        self.host.cancel(self._bt[cid])
        if self._bt[cid].status == bt.Order.Canceled and self._orders[cid].is_open:
            # BackBroker cancels at once: report it now, as a venue confirming the cancel would, so
            # a sale waiting on this order's shares can go in the same decision.
            self._emit(cid, OrderEvent.CANCELED, OrderStatus.CANCELED, None)

    def replace_order(
        self,
        broker_order_id: str,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        trail: Decimal | None = None,
        time_in_force: TimeInForce | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """Cancel and resubmit (backtrader has no native replace)."""
        cid = self._by_id.get(broker_order_id)
        if cid is None:
            raise OrderNotFound(f"order {broker_order_id} not found", status_code=404)
        old = self._orders[cid]
        self.cancel_order(broker_order_id)
        changes = {
            k: v
            for k, v in {
                "qty": qty,
                "limit_price": limit_price,
                "stop_price": stop_price,
                "time_in_force": time_in_force,
            }.items()
            if v is not None
        }
        if trail is not None:
            changes["trail_price" if old.trail_price is not None else "trail_percent"] = trail
        new = Order.from_dict(
            {**old.to_dict(), "status": "created", "broker_order_id": None, "filled_qty": "0", "filled_avg_price": None}
        )
        new = new.evolve(client_order_id=client_order_id or f"{cid[:40]}-r", **changes)
        return self.submit_order(new)

    def get_order(self, broker_order_id: str) -> Order:
        cid = self._by_id.get(broker_order_id)
        if cid is None:
            raise OrderNotFound(f"order {broker_order_id} not found", status_code=404)
        return self._orders[cid]

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def get_orders(self, status: OrderQuery = "open") -> list[Order]:
        orders = list(self._orders.values())
        if status == "open":
            return [o for o in orders if o.is_open]
        if status == "closed":
            return [o for o in orders if not o.is_open]
        return orders

    def get_positions(self) -> list[Position]:
        out = []
        for symbol, data in sorted(self.feeds.items()):
            pos = self.host.broker.getposition(data)
            if abs(pos.size) >= DUST_SHARES:
                out.append(Position(symbol, _d(pos.size), _d(pos.price), _d(data.close[0])))
        return out

    def get_account(self) -> Account:
        b = self.host.broker
        book = self.book()
        granted = self.venue.buying_power(book)
        return Account(cash=_d(b.getcash()), equity=_d(b.getvalue()), buying_power=granted, timestamp=self._now())

    # -- the venue's view -------------------------------------------------------------------

    def _last(self, data: bt.feed.DataBase) -> Decimal | None:
        """The bar's close: the latest trade (read off the line's buffer, as ``close[0]`` does)."""
        line = data.lines.close
        return latest_trade(line.array[line._idx])

    def _account_now(self) -> tuple[VenueBook, dict[str, Decimal], set[str]]:
        """This bar's book without open orders, its latest-trade cache and the symbols without
        one: computed once per bar and account version (within a bar's decision only our open
        orders change; fills and corporate actions happen at the open)."""
        clock = self.host.datas[0].lines.datetime
        key = (clock.array[clock._idx], self._changes)  # the bar (``datetime[0]``) and the account's version
        if self._bar is None or self._bar[0] != key:
            positions: dict[str, BookPosition] = {}
            for name, close, qty, pos in self._holdings():
                last = latest_trade(close.array[close._idx])  # as :meth:`_last` reads it
                positions[name] = BookPosition(qty, last if last is not None else _d(pos.price))
            prices: dict[str, Decimal] = {}
            base = VenueBook(cash=_d(self.host.broker.cash), positions=positions, prices=prices)
            base.equity  # noqa: B018 - values the positions once; every book of this bar shares it
            base.order_values  # noqa: B018 - and one memo of the open orders' values
            base.gross_values  # noqa: B018 - and of the gross buying power
            self._bar = (key, base, prices, set())
        return self._bar[1], self._bar[2], self._bar[3]

    def _holdings(self) -> list[tuple[str, bt.LineBuffer, Decimal, bt.Position]]:
        """The positions the venue sees (not float dust), in backtrader's order (the book's sums
        are Decimal: their order is part of the result): symbol, close line, size, position.
        Walked again only when the account's version moves (an execution, a corporate action)."""
        if self._held is None or self._held[0] != self._changes:
            positions = self.host.broker.positions.items()
            held = [(data._name, data.lines.close, _d(pos.size), pos) for data, pos in positions
                    if pos.size >= DUST_SHARES or pos.size <= -DUST_SHARES]
            self._held = (self._changes, held)
        return self._held[1]

    def _open_orders(self) -> tuple[tuple[BookOrder, ...], frozenset[str]]:
        """The open orders as the venue sees them and their symbols, rebuilt only when they change."""
        if self._open_book is None:
            orders = tuple(self._book_orders.values())
            self._open_book = (orders, frozenset(o.symbol for o in orders))
        return self._open_book

    def book(self, symbol: str | None = None) -> VenueBook:
        """The account as the venue sees it at this bar's close (the market is closed: orders
        go out for the next open, so a market order is valued at the latest trade)."""
        base, prices, unknown = self._account_now()
        orders, symbols = self._open_orders()
        for wanted in symbols if symbol is None or symbol in symbols else symbols | {symbol}:
            if wanted in prices or wanted in unknown or wanted in base.positions:
                continue
            data = self.feeds.get(wanted)
            price = None if data is None else self._last(data)
            if price is None:
                unknown.add(wanted)
            else:
                prices[wanted] = price
        return base.with_orders(orders)

    # -- corporate actions --------------------------------------------------------------------

    def subscribe_corporate_actions(self, handler: CorporateActionHandler) -> None:
        self._action_handlers.append(handler)

    def apply_corporate_action(self, action: CorporateAction) -> None:
        """At the open of the ex-date, before any fill. A split rescales the position (cost basis
        unchanged) and cancels the symbol's open orders; a dividend moves cash when the venue
        pays dividends (a short pays it). Subscribers hear of what changed a position's books."""
        data = self.feeds.get(action.symbol)
        if data is None:
            return
        self._changes += 1
        position = self.host.broker.getposition(data)
        held = abs(position.size) >= DUST_SHARES
        if action.kind is ActionKind.SPLIT:
            for cid in sorted(c for c in self._open if self._orders[c].symbol == action.symbol):
                self.cancel_order(self._orders[cid].broker_order_id)  # type: ignore[arg-type]
            if held:
                position.size *= float(action.value)
                position.price /= float(action.value)
                self._changes += 1  # the sizes changed (the cancels above may have read the book)
        elif held and self.venue.pays_dividends:
            self.host.broker.cash += float(_d(position.size) * action.value)
        else:
            return
        if held:
            for handler in self._action_handlers:
                handler(action)

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        self._handlers.append(handler)

    # -- session housekeeping ---------------------------------------------------------------

    def expire_day_orders(self, before: datetime) -> None:
        """DAY orders still open after the session they were meant for expire."""
        for cid in sorted(self._open):
            order = self._orders[cid]
            if order.time_in_force is TimeInForce.DAY and order.created_at < before:
                self.host.cancel(self._bt[cid])
                # Report it now, before the next decision: backtrader's own notice comes later.
                self._emit(cid, OrderEvent.EXPIRED, OrderStatus.EXPIRED, None)

    # -- backtrader → core ------------------------------------------------------------------

    def notify(self, bt_order: bt.Order) -> None:
        bits = list(bt_order.executed.iterpending())  # the executions since its last notice
        if bits:
            self._changes += 1  # every execution, dust too, moves the account on
        cid = self._by_ref.get(bt_order.ref)
        mapped = STATUS.get(bt_order.status)
        if cid is None or mapped is None:
            return
        event, status = mapped
        order = self._orders[cid]
        if not order.is_open:
            return  # already reported (expired by us)
        now = self._now()
        minutes = bt_order.__dict__.get("minute_times")  # a TWAP child: each execution's minute
        fills = [self._fill(cid, bit, minutes.popleft() if minutes else now) for bit in bits
                 if abs(bit.size) >= DUST_SHARES]
        if minutes and not fills:
            now = minutes.popleft()  # the child's turn ended: what it left is canceled then
        if not fills and status in (order.status, OrderStatus.PARTIALLY_FILLED):
            return  # nothing new: the "accepted" after our acknowledgement, or only dust executed
        if status is OrderStatus.REJECTED and (fills or order.filled_qty):
            # backtrader refuses the rest for lack of cash after part of it executed: a partial
            # fill whose remainder will never fill is, in the core's terms, canceled.
            event, status = OrderEvent.CANCELED, OrderStatus.CANCELED
        fill_ends_it = status in (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)
        for i, fill in enumerate(fills):
            if fill_ends_it and i == len(fills) - 1:
                self._emit(cid, event, status, fill, fill.timestamp)
            else:
                self._emit(cid, OrderEvent.PARTIAL_FILL, OrderStatus.PARTIALLY_FILLED, fill, fill.timestamp)
        if not fills or not fill_ends_it:
            self._emit(cid, event, status, None, now)

    def _fill(self, cid: str, bit: object, now: datetime) -> Fill:
        self._exec_seq += 1
        order = self._orders[cid]
        return Fill(
            execution_id=f"bt-{order.broker_order_id}-{self._exec_seq}",
            client_order_id=cid,
            symbol=order.symbol,
            side=order.side,
            qty=_d(abs(bit.size)),
            price=_d(bit.price),  # type: ignore[attr-defined]
            timestamp=now,
            commission=_d(bit.comm),
            broker_order_id=order.broker_order_id,  # type: ignore[attr-defined]
        )

    def _emit(
        self, cid: str, event: OrderEvent, status: OrderStatus, fill: Fill | None, now: datetime | None = None
    ) -> None:
        now = now or self._now()
        order = self._orders[cid]
        changes: dict[str, object] = {}
        if fill is not None:
            total = order.filled_qty + fill.qty
            avg = ((order.filled_avg_price or 0) * order.filled_qty + fill.price * fill.qty) / total
            changes = {
                "filled_qty": total,
                "filled_avg_price": avg,
                "arrival_price": order.arrival_price or self._arrival(order),
            }
        if status is not order.status:
            order = order.transition(status, updated_at=now, **changes)
        elif changes:
            order = order.evolve(**changes)
        self._orders[cid] = order
        if not order.is_open:
            self._open.discard(cid)
            if self._book_orders.pop(cid, None) is not None:
                self._open_book = None
        elif fill is not None:
            self._book_orders[cid] = BookOrder.of(order)
            self._open_book = None
        update = OrderUpdate(event=event, order=order, timestamp=now, fill=fill)
        for handler in self._handlers:
            handler(update)

    def _arrival(self, order: Order) -> Decimal:
        """The price when the order reached the market: the open of the first session after it
        was sent (the bar it fills on for a market order; earlier for a stop that rested), as
        the paper runner records it; a TWAP child's: the open of the minute it was due."""
        minute = self._bt[order.client_order_id].__dict__.get("minute_arrival")
        if minute is not None and math.isfinite(minute):
            return _d(minute)
        data = self.feeds[order.symbol]
        return _d(_open_after(data.lines.datetime, data.lines.open, self._sent_day(order.created_at)))

    def _sent_day(self, created_at: datetime) -> int:
        """The New York date number of ``created_at``: the orders of one decision share their
        time, so the last answer is kept (a zone conversion an order otherwise)."""
        if self._sent is None or self._sent[0] != created_at:
            self._sent = (created_at, created_at.astimezone(NEW_YORK).date().toordinal())
        return self._sent[1]
