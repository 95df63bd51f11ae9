"""The Broker protocol over arrays of bars, with our own fill step (:mod:`brokers.lean.fill`).

The same venue (one check per order, at submission, against the same :class:`VenueBook` the
backtrader adapter builds), the same order states, the same fills: an order is a value moved
along its transitions (``Order.transition``), never a backtrader object copied per notice.
Market orders (DAY, GTC, the venue's close-out of a delisting at its close) and the volume cap's partial fills;
:func:`brokers.lean.runner.supports` keeps every other configuration on the backtrader path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import numpy as np

from brokers.backtrader.broker import DUST_SHARES, _d, latest_trade
from brokers.lean.fill import Account, Execution, capped, execute
from framework.broker import BrokerCapabilities, OrderQuery, OrderUpdate, OrderUpdateHandler
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import DuplicateClientOrderId, NotCancelable, OrderNotFound, OrderRejected
from framework.fills import Fill
from framework.orders import Order, is_delisting
from framework.positions import Account as AccountView
from framework.positions import Position
from framework.venue import ActionKind, BookOrder, BookPosition, CorporateAction, Venue, VenueBook, matching

CorporateActionHandler = Callable[[CorporateAction], None]


class Bars:
    """The traded window's bars as arrays (row: session, column: symbol), and for each row and
    symbol the row of its latest traded bar (what a backtrader feed shows when it has no bar)."""

    def __init__(self, symbols: list[str], dates: np.ndarray, fields: dict[str, np.ndarray]) -> None:
        self.symbols, self.dates = symbols, dates
        self.column = {s: j for j, s in enumerate(symbols)}
        self.open, self.high, self.low, self.close, self.volume = (
            fields[f] for f in ("open", "high", "low", "close", "volume"))
        traded = ~np.isnan(self.close)
        self.traded = traded
        rows = np.where(traded, np.arange(len(dates))[:, None], -1)
        self.latest = np.maximum.accumulate(rows, axis=0)  # -1: not listed yet
        held_close = self.close[np.maximum(self.latest, 0), np.arange(len(symbols))]
        self._latest_close = np.where(self.latest >= 0, held_close, np.nan)  # one pass for the whole window
        self._last_row, self._last_closes = -1, []

    def latest_closes(self, row: int) -> list[float]:
        """Each symbol's latest traded close as of ``row`` (NaN: not listed yet), as Python floats
        once a row: the venue's book reads them for every position and order of the bar."""
        if row != self._last_row:
            self._last_closes = self._latest_close[row].tolist()
            self._last_row = row
        return self._last_closes


class Working:
    """An open order as the fill step needs it, kept with the order (one record, not parallel
    dicts): its symbol's column, the row of the symbol's latest bar when it was sent, the signed
    shares still to fill (floats, as backtrader keeps them) and whether it is the venue's
    close-out of a delisting (filled at the close it was sent at)."""

    __slots__ = ("column", "delisting", "remaining", "sent")

    def __init__(self, column: int, sent: int, remaining: float, delisting: bool) -> None:
        self.column, self.sent, self.remaining, self.delisting = column, sent, remaining, delisting


#: As the backtrader adapter declares, but its orders go at once (the lean path has no TWAP).
CAPABILITIES = BrokerCapabilities(native_stop=True, native_trailing_stop=True, fractional=True, short_selling=True,
                                  judges_orders=True)


class LeanBroker:
    """Implements :class:`framework.broker.Broker` for one lean run."""

    def __init__(self, bars: Bars, cash: float, venue: Venue, now: Callable[[], datetime],
                 volume_cap: float | None = None) -> None:
        self.bars, self.venue, self._now, self.volume_cap = bars, venue, now, volume_cap
        self.account = Account(cash)
        self.row = 0  # the session being processed
        self._orders: dict[str, Order] = {}
        self._working: dict[str, Working] = {}  # open client ids, in submission order (the fill order)
        self._by_id: dict[str, str] = {}
        self._handlers: list[OrderUpdateHandler] = []
        self._action_handlers: list[CorporateActionHandler] = []
        self._book_orders: dict[str, BookOrder] = {}
        self._open_book: tuple[BookOrder, ...] | None = None  # of _book_orders, until it changes
        self._held: dict[str, Decimal] = {}  # held symbol -> its size as the venue sees it, in the account's order
        self._seq = self._exec_seq = self._changes = 0
        self._bar: tuple[tuple[int, int], VenueBook, dict[str, Decimal], set[str]] | None = None

    @property
    def capabilities(self) -> BrokerCapabilities:
        return CAPABILITIES

    # -- orders ---------------------------------------------------------------------------

    def submit_order(self, order: Order) -> Order:
        if order.client_order_id in self._orders:
            raise DuplicateClientOrderId(f"client_order_id {order.client_order_id} already used")
        column = self.bars.column.get(order.symbol)
        latest = -1 if column is None else int(self.bars.latest[self.row, column])
        if latest < 0:
            raise OrderRejected(f"order {order.client_order_id}: no data for symbol {order.symbol}")
        if order.type is not OrderType.MARKET:
            raise OrderRejected(f"order {order.client_order_id}: the lean path fills market orders only")
        book = self.book(order.symbol)  # a close-out's too: its symbol is priced for the later books
        delisting = is_delisting(order)
        rejection = None if delisting else self.venue.check(order, book)
        if rejection is not None:
            raise rejection.error(f"submit {order.client_order_id}")
        self._seq += 1
        broker_id = str(self._seq)
        acked = order.transition(OrderStatus.NEW, broker_order_id=broker_id, updated_at=self._now())
        cid = order.client_order_id
        self._orders[cid] = acked
        remaining = float(order.qty or 0) * (1.0 if order.side is OrderSide.BUY else -1.0)
        self._working[cid] = Working(column, latest, remaining, delisting)  # type: ignore[arg-type]
        self._by_id[broker_id] = cid
        self._book_orders[cid] = BookOrder.of(acked)
        self._open_book = None
        return acked

    def cancel_order(self, broker_order_id: str) -> None:
        cid = self._by_id.get(broker_order_id)
        if cid is None:
            raise OrderNotFound(f"order {broker_order_id} not found", status_code=404)
        if cid not in self._working or not self._orders[cid].is_open:
            raise NotCancelable(f"order {broker_order_id} is not cancelable", status_code=422)
        del self._working[cid]
        self._emit(cid, OrderEvent.CANCELED, OrderStatus.CANCELED, None)

    def replace_order(self, broker_order_id: str, **changes: object) -> Order:
        raise OrderRejected("the lean path does not replace orders")

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

    def _close(self, symbol: str) -> float:
        j = self.bars.column[symbol]
        return float(self.bars.close[self.bars.latest[self.row, j], j])

    def get_positions(self) -> list[Position]:
        out = []
        for symbol in sorted(self.account.positions):
            pos = self.account.positions[symbol]
            if abs(pos.size) >= DUST_SHARES:
                out.append(Position(symbol, _d(pos.size), _d(pos.price), _d(self._close(symbol))))
        return out

    def get_account(self) -> AccountView:
        book = self.book()
        equity = float(book.equity)
        return AccountView(cash=_d(self.account.cash), equity=_d(equity), buying_power=self.venue.buying_power(book),
                           timestamp=self._now())

    # -- the venue's view (as the backtrader adapter builds it) -----------------------------

    def _changed(self, symbol: str) -> None:
        """Keep the held sizes (Decimal, converted once a change) true after ``symbol``'s position
        changed, in the account's order (backtrader's valuation order: the sums are Decimal)."""
        size = self.account.positions[symbol].size
        if abs(size) < DUST_SHARES:
            self._held.pop(symbol, None)
        elif symbol in self._held:
            self._held[symbol] = _d(size)
        else:  # a new holding: its place is its place in the account
            held = self._held
            self._held = {s: held[s] if s in held else _d(p.size) for s, p in self.account.positions.items()
                          if s in held or s == symbol}

    def _account_now(self) -> tuple[VenueBook, dict[str, Decimal], set[str]]:
        """This session's book without open orders, its latest trades of symbols not held and the
        symbols without one: built once per session and account version (fills and corporate
        actions happen at the open; within the decision only the open orders change), from the
        held sizes kept as state, each marked at its latest trade (the average price without one)."""
        key = (self.row, self._changes)
        bar = self._bar
        if bar is None or bar[0] != key:
            bars, account = self.bars, self.account.positions
            closes, column = bars.latest_closes(self.row), bars.column
            positions: dict[str, BookPosition] = {}
            for symbol, qty in self._held.items():
                mark = latest_trade(closes[column[symbol]])
                if mark is None:  # no trade yet: its cost
                    mark = _d(account[symbol].price)
                positions[symbol] = BookPosition(qty, mark)
            base = VenueBook(cash=_d(self.account.cash), positions=positions, prices={})
            base.equity  # noqa: B018 - valued once a bar, as the backtrader adapter does
            base.order_values  # noqa: B018 - one memo of the orders' values for every book of this version
            base.gross_values  # noqa: B018 - and of the gross buying power
            bar = self._bar = (key, base, base.prices, set())  # type: ignore[assignment]
            for order in self._book_orders.values():  # what the open orders are valued at
                self._price(order.symbol)
        return bar[1], bar[2], bar[3]  # type: ignore[index]

    def _price(self, symbol: str) -> None:
        """Put ``symbol``'s latest trade in this version's book (once; a position has its mark)."""
        base, prices, unknown = self._bar[1], self._bar[2], self._bar[3]  # type: ignore[index]
        if symbol in prices or symbol in unknown or symbol in base.positions:
            return
        j = self.bars.column.get(symbol)
        price = None if j is None else latest_trade(self.bars.latest_closes(self.row)[j])
        if price is None:
            unknown.add(symbol)
        else:
            prices[symbol] = price

    def _open_orders(self) -> tuple[BookOrder, ...]:
        """The open orders as the venue sees them, rebuilt only when they change."""
        if self._open_book is None:
            self._open_book = tuple(self._book_orders.values())
        return self._open_book

    def book(self, symbol: str | None = None) -> VenueBook:
        """The venue's view now: this version's account, the open orders, the latest trade of
        every symbol on order and of ``symbol`` (the one being ordered)."""
        base = self._account_now()[0]
        if symbol is not None:
            self._price(symbol)
        orders = self._open_orders()
        return base.with_orders(orders) if orders else base

    # -- corporate actions ------------------------------------------------------------------

    def subscribe_corporate_actions(self, handler: CorporateActionHandler) -> None:
        self._action_handlers.append(handler)

    def apply_corporate_action(self, action: CorporateAction) -> None:
        """As the backtrader adapter applies it, at the open before any fill."""
        if action.symbol not in self.bars.column:
            return
        self._changes += 1
        position = self.account.position(action.symbol)
        held = abs(position.size) >= DUST_SHARES
        if action.kind is ActionKind.SPLIT:
            for cid in sorted(c for c in self._working if self._orders[c].symbol == action.symbol):
                self.cancel_order(self._orders[cid].broker_order_id)  # type: ignore[arg-type]
            if held:
                position.size *= float(action.value)
                position.price /= float(action.value)
                self._changed(action.symbol)
        elif held and self.venue.pays_dividends:
            self.account.cash += float(_d(position.size) * action.value)
        else:
            return
        if held:
            for handler in self._action_handlers:
                handler(action)

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        self._handlers.append(handler)

    # -- the session ------------------------------------------------------------------------

    def expire_day_orders(self, before: datetime) -> None:
        for cid in sorted(self._working):
            order = self._orders[cid]
            if order.time_in_force is TimeInForce.DAY and order.created_at < before:
                del self._working[cid]
                self._emit(cid, OrderEvent.EXPIRED, OrderStatus.EXPIRED, None)

    def fill_step(self, row: int) -> None:
        """The open of session ``row``: every open order that can execute does, in submission
        order; then the fills are reported, in that order (as backtrader notifies after its bar).
        Only the working orders' symbols are read, straight from the arrays."""
        self.row = row
        if not self._working:
            return
        bars, venue, done = self.bars, self.venue, []
        latest = bars.latest[row]
        for cid, work in list(self._working.items()):
            j, sent = work.column, work.sent
            at = int(latest[j])
            if work.delisting:
                reference = float(bars.close[sent, j])  # the venue's close-out: the close it was sent at
            elif at > sent:
                reference = float(bars.open[at, j])
            else:
                continue  # no new bar for this symbol yet
            order = self._orders[cid]
            # the market-order fill rule every simulator prices by, as VenueBroker's market orders get
            # it: the reference slipped (inside the bar only if the venue caps at the bar's range)
            bar = matching.Bar(reference, float(bars.high[at, j]), float(bars.low[at, j]), math.nan)
            price = matching.market_price(venue, order.side, bar)
            remaining = work.remaining
            size = capped(remaining, float(bars.volume[at, j]), self.volume_cap)
            execution = execute(self.account, venue, order.symbol, size, price, remaining)
            if not execution.size:
                continue  # nothing executed (a zero-volume bar under the cap): it waits
            work.remaining = remaining = remaining - execution.size
            if not remaining:
                del self._working[cid]
            self._changes += 1
            self._changed(order.symbol)
            done.append((cid, work, execution, bool(remaining)))
        if done:
            now = self._now()
            for cid, work, execution, partial in done:
                fill = self._fill(cid, execution, now) if abs(execution.size) >= DUST_SHARES else None
                if partial:
                    if fill is not None:
                        self._emit(cid, OrderEvent.PARTIAL_FILL, OrderStatus.PARTIALLY_FILLED, fill, now, work)
                else:
                    self._emit(cid, OrderEvent.FILL, OrderStatus.FILLED, fill, now, work)

    # -- reporting --------------------------------------------------------------------------

    def _fill(self, cid: str, execution: Execution, now: datetime) -> Fill:
        self._exec_seq += 1
        order = self._orders[cid]
        return Fill(
            execution_id=f"ln-{order.broker_order_id}-{self._exec_seq}",
            client_order_id=cid,
            symbol=order.symbol,
            side=order.side,
            qty=_d(abs(execution.size)),
            price=_d(execution.price),
            timestamp=now,
            commission=_d(execution.commission),
            broker_order_id=order.broker_order_id,
        )

    def _emit(self, cid: str, event: OrderEvent, status: OrderStatus, fill: Fill | None,
              now: datetime | None = None, work: Working | None = None) -> None:
        """Move the order along its transition and tell the handlers; ``work``: the filled
        order's record (its arrival price, on its first fill)."""
        now = now or self._now()
        order = self._orders[cid]
        changes: dict[str, object] = {}
        if fill is not None:
            total = order.filled_qty + fill.qty
            avg = ((order.filled_avg_price or 0) * order.filled_qty + fill.price * fill.qty) / total
            changes = {"filled_qty": total, "filled_avg_price": avg,
                       "arrival_price": order.arrival_price or self._arrival(work)}  # type: ignore[arg-type]
        if status is not order.status:
            order = order.transition(status, updated_at=now, **changes)
        elif changes:
            order = order.evolve(**changes)
        self._orders[cid] = order
        if not order.status.is_open:
            if self._book_orders.pop(cid, None) is not None:
                self._open_book = None
        elif fill is not None:
            self._book_orders[cid] = BookOrder.of(order)
            self._open_book = None
        update = OrderUpdate(event=event, order=order, timestamp=now, fill=fill)
        for handler in self._handlers:
            handler(update)

    def _arrival(self, work: Working) -> Decimal:
        """The open of the symbol's first bar after the session it was sent in (up to now)."""
        bars, j, sent = self.bars, work.column, work.sent
        at = int(bars.latest[self.row, j])
        if sent < at and bars.traded[sent + 1, j]:  # the usual case: the symbol traded the next session
            return _d(bars.open[sent + 1, j])
        rows = np.flatnonzero(bars.traded[sent + 1: at + 1, j])
        return _d(bars.open[sent + 1 + rows[0] if len(rows) else at, j])
