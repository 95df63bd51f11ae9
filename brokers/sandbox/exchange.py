"""The simulated market and account: a replayed dataset on a simulated clock.

Session i has two phases (:mod:`brokers.sandbox.clock`). ``pre_open``: bars of sessions before
i are visible and the market is closed; orders queue. ``open``: queued market orders filled at
session i's open. Advancing past the close checks resting limit/stop orders against session i's
range, expires DAY orders, marks the account at the close and moves to ``pre_open`` of session
i + 1.

The exchange composes the sandbox's parts, each one concept, and decides what happens at an
open and a close (corporate actions, fills, expiries):

- requests arrive as typed records parsed at the route (:mod:`brokers.sandbox.request`); the
  exchange judges what needs the account (a known symbol, an unused client id) and the venue
  model (:mod:`framework.venue`) the rest, refusing with Alpaca's status, code and body;
- the clock (:mod:`brokers.sandbox.clock`), the market's prices on it
  (:mod:`brokers.sandbox.quotes`), the cash and holdings (:mod:`brokers.sandbox.ledger`), the
  orders (:mod:`brokers.sandbox.order` records in a :mod:`brokers.sandbox.book`), the account as
  the venue and Alpaca see it (:mod:`brokers.sandbox.account`), the state document
  (:mod:`brokers.sandbox.state`), corporate actions (:mod:`brokers.sandbox.corporate`);
- fills are priced by the rule the backtest fills by (:mod:`framework.venue.matching`, a resting
  order through :mod:`brokers.sandbox.resting`) and cost what the venue charges;
- everything leaves as Alpaca's JSON written by :mod:`brokers.sandbox.wire` only.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import pandas as pd

from brokers.sandbox import minute_orders
from brokers.sandbox.account import AccountView, Books, PositionView
from brokers.sandbox.book import OrderBook
from brokers.sandbox.clock import CLOSE, OPEN, Phase, SessionClock, at, calendar_json, clock_json
from brokers.sandbox.corporate import apply_action
from brokers.sandbox.faults import FaultBook, FaultKind
from brokers.sandbox.intraday import IntradayPath
from brokers.sandbox.ledger import Holding, Ledger, exact_sum
from brokers.sandbox.minutes import session_minutes
from brokers.sandbox.order import AUCTIONS, SandboxOrder
from brokers.sandbox.quotes import Quotes
from brokers.sandbox.request import CloseRequest, OrderQuery, OrderRequest, ReplaceRequest
from brokers.sandbox.resting import resting_price
from brokers.sandbox.state import restored, state_doc
from brokers.sandbox.wire import SandboxError, invalid, money, not_found, order_json
from framework.data import MarketData
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.venue import ActionKind, AssetFlags, CorporateAction, Venue, VenueBook, actions_on, matching
from framework.venue.auctions import cancel_closed
from framework.venue.increments import to_decimal

EXPIRE_AT_CLOSE = {TimeInForce.DAY, TimeInForce.OPG, TimeInForce.CLS, TimeInForce.IOC, TimeInForce.FOK}


class Exchange:
    """The composition: the clock, the ledger, the order book, the market's quotes and the venue
    model; it moves orders through a session and books their fills."""

    def __init__(
        self,
        market: MarketData,
        venue: Venue,
        *,
        start: int,
        cash: float,
        volume_cap: float | None = None,
        faults: FaultBook | None = None,
    ) -> None:
        self.market, self.venue, self.volume_cap = market, venue, volume_cap
        self.dates = market.dates
        self.quotes = Quotes(market)
        self.sessions = SessionClock(market.dates, start)
        self.ledger = Ledger(float(cash), float(cash))
        self.orders = OrderBook()
        self._books = Books()  # the account as the venue judges it, rebuilt only where it changed
        self.faults = faults or FaultBook()
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._exec = itertools.count(1)
        self.intraday: IntradayPath | None = None  # prices moving inside a session (wall-clock mode)
        self._minutes: dict[tuple[str, int], pd.DataFrame | None] = {}  # (symbol, session): its minute bars

    # -- state ---------------------------------------------------------------------------

    @property
    def positions(self) -> dict[str, Holding]:
        return self.ledger.positions

    def to_state(self) -> dict[str, Any]:
        return state_doc(self.sessions, self.ledger, self.orders, self.market.fingerprint)

    def load_state(self, state: dict[str, Any]) -> None:
        saved = restored(state, self.dates)
        self.sessions, self.ledger, self.orders = saved.sessions, saved.ledger, saved.orders

    # -- clock ---------------------------------------------------------------------------

    @property
    def session(self) -> int:
        return self.sessions.session

    @property
    def phase(self) -> Phase:
        return self.sessions.phase

    @property
    def day(self) -> pd.Timestamp:
        return self.sessions.day

    @property
    def is_open(self) -> bool:
        return self.sessions.is_open

    @property
    def _moving(self) -> bool:
        return self.is_open and self.intraday is not None and self.intraday.active

    @property
    def now(self) -> datetime:
        if self._moving and self.intraday is not None:
            return self.intraday.now(at(self.day, OPEN))
        return self.sessions.scheduled()

    def clock(self) -> dict[str, Any]:
        self.catch_up()  # the minutes gone by on the intraday clock
        return clock_json(self.now, self.is_open, self.sessions.next_open_day(), self.day)

    def calendar(self, start: str | None, end: str | None) -> list[dict[str, str]]:
        return calendar_json(self.dates, start, end)

    def visible(self) -> pd.DatetimeIndex:
        """Sessions whose bar has closed."""
        return self.sessions.visible()

    def advance(self, to: str = "next_session") -> dict[str, Any]:
        if self.sessions.exhausted:
            raise SandboxError(422, 42210000, "the dataset has no more sessions")
        if to not in {"open", "close", "next_session"}:
            raise invalid(f"advance to must be open, close or next_session, not {to!r}")
        if self.phase is Phase.PRE_OPEN:
            self._open_session()
            if to == "open":
                return self.clock()
        self._close_session()
        return self.clock()

    def _open_session(self) -> None:
        self.sessions.opened()
        for action in actions_on(self.market, self.day):
            self._apply(action)
        for order in self.orders.working():
            if order.time_in_force is TimeInForce.OPG:
                self._auction(order, self.quotes.bar(order.symbol, self.session).open)
            elif order.type is OrderType.MARKET and order.time_in_force is not TimeInForce.CLS:
                self._fill_at_open(order)

    def _close_session(self) -> None:
        i = self.session
        if self._moving:
            for order in self.orders.working():  # the day's minutes left, through the close
                self._work_minutes(order, at(self.day, CLOSE), arrival=False)
        for order in self.orders.working():
            if order.time_in_force not in AUCTIONS:
                self._check_resting(order, i)
        for order in self.orders.working():
            if order.time_in_force is TimeInForce.CLS:
                self._auction(order, self.quotes.bar(order.symbol, i).close)
        for order in self.orders.working():
            if order.time_in_force in EXPIRE_AT_CLOSE:
                self._finish(order, OrderStatus.EXPIRED)
        self.sessions.closed()
        self.ledger.last_equity = self.equity()

    # -- prices on the clock ----------------------------------------------------------------

    def last_close(self, symbol: str) -> float:
        """The symbol's last close before this session (NaN: none yet)."""
        return self.quotes.last_close(symbol, self.session)

    def latest_trade(self, symbol: str) -> float:
        """Today's open once the session has opened, else the last close."""
        if self.is_open and symbol in self.quotes:
            today = self.quotes.open(symbol, self.session)
            if math.isfinite(today):
                return today
        return self.last_close(symbol)

    def mark(self, symbol: str) -> float:
        """What a position is valued at: the last close, or its intraday price (``intraday``)."""
        if self._moving and self.intraday is not None:
            return self.intraday.price(self, symbol)
        return self.last_close(symbol)

    # -- the account ---------------------------------------------------------------------------

    def equity(self) -> float:
        return self.ledger.equity(self.mark)

    def book(self, symbol: str | None = None, *, excluding: str | None = None) -> VenueBook:
        """This account as the venue judges an order for ``symbol`` (without order ``excluding``,
        the one a replacement replaces)."""
        working = [o for o in self.orders.working() if o.id != excluding]
        return self._books.book(self.ledger, working, self, symbol)

    def account(self) -> AccountView:
        return AccountView.of(self.ledger, self.mark, self.venue.margin(self.book()))

    def asset_flags(self, symbol: str) -> AssetFlags:
        return self.venue.asset(VenueBook(cash=Decimal(0)), symbol)

    def _held(self, symbol: str) -> Holding:
        held = self.positions.get(symbol)
        if not held or not held.qty:
            raise not_found(f"position {symbol}")
        return held

    def position(self, symbol: str, book: VenueBook | None = None) -> PositionView:
        held = self._held(symbol)
        available = float(self.venue.qty_available(book or self.book(), symbol))
        last = self.quotes.lastday(symbol, self.session)
        return PositionView(symbol, held.qty, held.cost, self.mark(symbol), last, available)

    def all_positions(self) -> list[PositionView]:
        book = self.book()
        return [self.position(s, book) for s in sorted(self.positions) if self.positions[s].qty]

    # -- orders ----------------------------------------------------------------------------

    def submit(self, request: OrderRequest, *, replacing: str | None = None) -> SandboxOrder:
        """Judge ``request`` (a known symbol, an unused client id, the venue's rules) and book it."""
        self.catch_up()
        if request.client_order_id is None:
            request = request.named(f"sandbox-{next(self._exec)}")
        if request.symbol not in self.quotes:  # Alpaca: 422, the order is invalid (404 is "no such order")
            raise invalid(f"asset {request.symbol} not found")
        self.orders.check_client_id(request.client_order_id or "")
        if self.faults.take({FaultKind.REJECT}, "POST /v2/orders"):
            raise SandboxError(403, 40310000, "order rejected (sandbox fault)")
        rejection = self.venue.check(request.as_order(self.now), self.book(request.symbol, excluding=replacing))
        if rejection is not None:
            raise SandboxError.refusal(rejection)
        qty = request.shares(self.last_close(request.symbol))
        order = request.accepted(str(uuid.uuid4()), qty, self.now)
        if order.type is OrderType.TRAILING_STOP:
            order.hwm = self._first_mark(order.symbol)
        self.orders.add(order)
        self._emit(OrderEvent.NEW, order)
        if self.is_open and order.type is OrderType.MARKET and order.time_in_force not in AUCTIONS:
            if self._moving:
                self._work_minutes(order, self.now, arrival=True)  # from the minute it arrives in
            else:
                self._fill_at_open(order)
        return order

    def _first_mark(self, symbol: str) -> float | None:
        """A trailing stop's high-water mark when it is sent: the latest trade (the backtest's
        ``StopTrail`` starts from the close it was decided on; none yet: the first bar's open)."""
        price = self.latest_trade(symbol)
        return price if math.isfinite(price) else None

    def get(self, order_id: str) -> SandboxOrder:
        return self.orders.get_order(order_id)

    def by_client(self, client_order_id: str) -> SandboxOrder:
        return self.orders.by_client(client_order_id)

    def list(self, query: OrderQuery) -> list[SandboxOrder]:
        return self.orders.listed(query)

    def cancel(self, order_id: str) -> None:
        self.catch_up()
        order = self.get(order_id)
        if not order.working:
            raise SandboxError(422, 42210000, f"order is already {order.status.value}")
        self._auction_cancelable(order)
        self._finish(order, OrderStatus.CANCELED)

    def _auction_cancelable(self, order: SandboxOrder) -> None:
        tif = order.time_in_force
        if cancel_closed(tif, self.now, at(self.day, OPEN), at(self.day, CLOSE)):
            raise SandboxError(
                422, 42210000, f"{tif.value} orders cannot be canceled or replaced after the auction's cut-off"
            )

    def replace(self, order_id: str, change: ReplaceRequest) -> SandboxOrder:
        self.catch_up()
        old = self.get(order_id)
        if not old.working:
            raise SandboxError(422, 42210000, f"order is already {old.status.value}")
        self._auction_cancelable(old)
        named = change.client_order_id or f"{old.client_order_id[:40]}-r{next(self._exec)}"
        new = self.submit(change.applied_to(old, named), replacing=old.id)
        new.replaces = old.id
        old.replaced(new.id, self.now)
        self._emit(OrderEvent.REPLACED, old)
        return new

    def close_position(self, symbol: str, how: CloseRequest | None = None) -> SandboxOrder:
        held = self._held(symbol)
        size = (how or CloseRequest()).size(held.qty)
        side = OrderSide.SELL if held.qty > 0 else OrderSide.BUY
        return self.submit(OrderRequest(symbol, side, OrderType.MARKET, TimeInForce.DAY, qty=to_decimal(size)))

    # -- fills ------------------------------------------------------------------------------

    def _fill_at_open(self, order: SandboxOrder) -> None:
        bar = self.quotes.bar(order.symbol, self.session)
        if not math.isfinite(bar.open):
            return  # no trading in this symbol today: stays queued
        self._fill(order, matching.market_price(self.venue, order.side, bar), bar.volume)

    def catch_up(self) -> None:
        """On the intraday clock: market orders that arrived while open worked on the minutes
        started before now (:mod:`brokers.sandbox.minute_orders`)."""
        if self._moving:
            now = self.now
            for order in self.orders.working():
                self._work_minutes(order, now, arrival=False)

    def _work_minutes(self, order: SandboxOrder, until: datetime, *, arrival: bool) -> None:
        if not minute_orders.worked(order, at(self.day, OPEN)):
            return
        minutes = self._session_minutes(order.symbol)
        if minutes is None:
            return  # no trading in this symbol today: it waits, and expires at the close
        for when, open_, volume in minute_orders.due(minutes, order, until, arrival=arrival):
            if not order.working:
                break
            price = matching.market_price(self.venue, order.side, matching.Bar(open_, math.nan, math.nan, math.nan,
                                                                              volume))
            self._fill(order, price, volume, max(when.to_pydatetime(), order.submitted_at))

    def _session_minutes(self, symbol: str) -> pd.DataFrame | None:
        """Today's minute bars of ``symbol``: the ones the data API serves for the day."""
        key = (symbol, self.session)
        if key not in self._minutes:
            bar = self.quotes.bar(symbol, self.session)
            whole = all(math.isfinite(x) for x in (bar.open, bar.high, bar.low, bar.close, bar.volume))
            self._minutes[key] = (session_minutes(symbol, self.day, bar.open, bar.high, bar.low, bar.close,
                                                  bar.volume) if whole else None)
        return self._minutes[key]

    def _auction(self, order: SandboxOrder, price: float) -> None:
        """An on-open / on-close order in its auction (:func:`matching.auction_price`); whatever
        is left after the auction is canceled, as Alpaca cancels it."""
        filled = matching.auction_price(order.side, price, order.limit_price)
        if filled is not None:
            when = OPEN if order.time_in_force is TimeInForce.OPG else CLOSE
            self._fill(order, filled, self.quotes.bar(order.symbol, self.session).volume, when)
        if order.working:
            self._finish(order, OrderStatus.CANCELED)

    def _check_resting(self, order: SandboxOrder, i: int) -> None:
        """A resting order against session ``i``'s bar (:mod:`brokers.sandbox.resting`)."""
        bar = self.quotes.bar(order.symbol, i)
        if not math.isfinite(bar.open) or order.type is OrderType.MARKET:
            return
        price = resting_price(order, bar)
        if price is not None:
            self._fill(order, price, bar.volume)

    def _fill(self, order: SandboxOrder, price: float, volume: float, when: time | datetime | None = None) -> None:
        remaining = order.remaining
        qty = remaining
        if self.volume_cap is not None:
            qty = min(qty, math.floor(volume * self.volume_cap))
        if self.faults.take({FaultKind.PARTIAL}, "fill") and remaining > 1:
            qty = math.floor(remaining / 2)
        if qty <= 0:
            return
        fee = self.venue.charges(qty, price, order.side)
        sign = 1.0 if order.side is OrderSide.BUY else -1.0
        self.ledger.book(order.symbol, sign * qty, price, fee)
        filled = exact_sum(order.filled_qty, qty)
        avg = ((float(order.filled_avg_price or 0) * order.filled_qty) + price * qty) / filled
        stamp = when if isinstance(when, datetime) else at(self.day, when or (OPEN if self.is_open else CLOSE))
        order.filled(filled, avg, stamp)
        self._emit(
            OrderEvent.FILL if order.status is OrderStatus.FILLED else OrderEvent.PARTIAL_FILL, order, price=price,
            qty=qty, position_qty=self.ledger.qty(order.symbol), commission=fee,
        )

    def _apply(self, action: CorporateAction) -> None:
        """A corporate action at this session's open, before its fills."""
        if action.kind is ActionKind.SPLIT:
            for order in self.orders.working():
                if order.symbol == action.symbol:
                    self._finish(order, OrderStatus.CANCELED)
        apply_action(self.ledger, action, pays_dividends=self.venue.pays_dividends)

    def _finish(self, order: SandboxOrder, status: OrderStatus) -> None:
        order.finish(status, self.now)
        self._emit(OrderEvent(status.value), order)

    def _emit(self, event: OrderEvent, order: SandboxOrder, **extra: Any) -> None:
        """A trade update to every listener (the stream), the order as Alpaca's JSON at this moment."""
        wire = order_json(order)
        message = {
            "event": event.value,
            "order": wire,
            "timestamp": wire["updated_at"],
            "execution_id": str(uuid.uuid4()) if "price" in extra else None,
        }
        for key, value in extra.items():
            message[key] = money(value) if isinstance(value, float) else value
        for listener in self.listeners:
            listener(message)


def start_index(market: MarketData, start: str | None, default_offset: int = 400) -> int:
    """Where the simulated clock starts: a date, or far enough in for the shipped warm-ups."""
    if start is None:
        return min(default_offset, len(market.dates) - 2)
    later = market.dates[market.dates >= pd.Timestamp(start)]
    if len(later) == 0:
        from framework.errors import InputError

        raise InputError(f"sandbox start {start} is after the data's last session {market.dates[-1].date()}")
    return int(market.dates.get_loc(later[0]))


__all__ = ["Exchange", "start_index"]
