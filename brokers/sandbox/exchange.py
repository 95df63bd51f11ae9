"""The simulated market and account: a replayed dataset on a simulated clock.

Session i has two phases (:mod:`brokers.sandbox.clock`). ``pre_open``: bars of sessions before
i are visible and the market is closed; orders queue. ``open``: queued market orders filled at
session i's open. Advancing past the close checks resting limit/stop orders against session i's
range, expires DAY orders, marks the account at the close and moves to ``pre_open`` of session
i + 1.

Every order is judged by the venue model (:mod:`framework.venue`) against a book of this
account, and refused with Alpaca's status, code and body; fills are priced by the rule the
backtest fills by (:mod:`framework.venue.matching`) and cost what the venue charges (the same
slippage, commission and fees as the backtest); the account's cash and holdings are a
:class:`~brokers.sandbox.ledger.Ledger`; its orders are typed records
(:class:`~brokers.sandbox.order.SandboxOrder`) in an :class:`~brokers.sandbox.book.OrderBook`,
written as Alpaca's JSON only by :mod:`brokers.sandbox.wire`; at a session's open, before its
fills, corporate actions (:mod:`brokers.sandbox.corporate`) rescale positions on a split (and
cancel the symbol's open orders) and, where the venue pays them, credit dividends. The state
document is :mod:`brokers.sandbox.state`'s.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from brokers.sandbox import minute_orders
from brokers.sandbox.book import OrderBook
from brokers.sandbox.clock import CLOSE, OPEN, Phase, SessionClock, at, calendar_json, clock_json
from brokers.sandbox.corporate import apply_action
from brokers.sandbox.faults import FaultBook, FaultKind
from brokers.sandbox.intraday import IntradayPath
from brokers.sandbox.ledger import Holding, Ledger, exact_sum
from brokers.sandbox.minutes import session_minutes
from brokers.sandbox.order import AUCTIONS, SandboxOrder
from brokers.sandbox.state import restored, state_doc
from brokers.sandbox.wire import (
    SandboxError,
    invalid,
    money,
    not_found,
    order_from_request,
    order_json,
    position_json,
)
from framework.data import MarketData
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import InvalidOrder
from framework.orders import Order
from framework.venue import (
    ActionKind,
    AssetFlags,
    BookOrder,
    BookPosition,
    CorporateAction,
    Venue,
    VenueBook,
    actions_on,
    matching,
)
from framework.venue.auctions import cancel_closed
from framework.venue.increments import to_decimal

TYPES = {t.value for t in OrderType}
TIFS = {t.value for t in TimeInForce}
EXPIRE_AT_CLOSE = {TimeInForce.DAY, TimeInForce.OPG, TimeInForce.CLS, TimeInForce.IOC, TimeInForce.FOK}


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else to_decimal(float(value) if isinstance(value, int | float) else value)


def _given(price: float | None) -> float:
    """A price the order's type requires (validated at submission)."""
    if price is None:
        raise ValueError("an order of this type carries this price")
    return price


class Exchange:
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
        self.sessions = SessionClock(market.dates, start)
        self.ledger = Ledger(float(cash), float(cash))
        self.orders = OrderBook()
        self.faults = faults or FaultBook()
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._exec = itertools.count(1)
        self._open = market.open.to_numpy()
        self._last_close = market.close.ffill().to_numpy()  # row i: each symbol's last close up to i
        self._index = {s: j for j, s in enumerate(market.symbols)}
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
    def now(self) -> datetime:
        if self.is_open and self.intraday is not None and self.intraday.active:
            return self.intraday.now(at(self.day, OPEN))
        return self.sessions.scheduled()

    def mark(self, symbol: str) -> float:
        """What a position is valued at: the last close, or its intraday price (``intraday``)."""
        if self.is_open and self.intraday is not None and self.intraday.active:
            return self.intraday.price(self, symbol)
        return self.last_close(symbol)

    @property
    def is_open(self) -> bool:
        return self.sessions.is_open

    def clock(self) -> dict[str, Any]:
        self.catch_up()  # the minutes gone by on the intraday clock
        return clock_json(self.now, self.is_open, self.sessions.next_open_day(), self.day)

    def calendar(self, start: str | None, end: str | None) -> list[dict[str, str]]:
        return calendar_json(self.dates, start, end)

    def visible(self) -> pd.DatetimeIndex:
        """Sessions whose bar has closed."""
        return self.sessions.visible()

    def last_close(self, symbol: str) -> float:
        """The symbol's last close before this session (NaN: none yet)."""
        if self.session == 0 or symbol not in self._index:
            return float("nan")
        return float(self._last_close[min(self.session, len(self.dates)) - 1, self._index[symbol]])

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
                self._auction(order, self._bar(order.symbol, self.session).open)
            elif order.type is OrderType.MARKET and order.time_in_force is not TimeInForce.CLS:
                self._fill_at_open(order)

    def _close_session(self) -> None:
        i = self.session
        if self._on_intraday_clock:
            for order in self.orders.working():  # the day's minutes left, through the close
                self._work_minutes(order, at(self.day, CLOSE), arrival=False)
        for order in self.orders.working():
            if order.time_in_force not in AUCTIONS:
                self._check_resting(order, i)
        for order in self.orders.working():
            if order.time_in_force is TimeInForce.CLS:
                self._auction(order, self._bar(order.symbol, i).close)
        for order in self.orders.working():
            if order.time_in_force in EXPIRE_AT_CLOSE:
                self._finish(order, OrderStatus.EXPIRED)
        self.sessions.closed()
        self.ledger.last_equity = self.equity()

    # -- account ---------------------------------------------------------------------------

    def equity(self) -> float:
        return self.ledger.equity(self.mark)

    def account(self) -> dict[str, Any]:
        long = sum(h.qty * self.mark(s) for s, h in self.positions.items() if h.qty > 0)
        short = sum(h.qty * self.mark(s) for s, h in self.positions.items() if h.qty < 0)
        equity = self.equity()
        margin = self.venue.margin(self.book())
        return {
            "id": "9c8f7c6e-5a4b-4c3d-8e2f-1a0b9c8d7e6f",
            "account_number": "SANDBOX001",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": money(self.ledger.cash),
            "buying_power": money(float(margin.buying_power)),
            "regt_buying_power": money(float(margin.regt_buying_power)),
            "non_marginable_buying_power": money(float(margin.non_marginable_buying_power)),
            "equity": money(equity),
            "last_equity": money(self.ledger.last_equity),
            "portfolio_value": money(equity),
            "long_market_value": money(long),
            "short_market_value": money(short),
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "shorting_enabled": margin.multiplier > 1,
            "multiplier": str(margin.multiplier),
            "initial_margin": money(float(margin.initial_margin)),
            "maintenance_margin": money(float(margin.maintenance_margin)),
            "created_at": "2015-01-01T00:00:00Z",
        }

    # -- the venue's view -------------------------------------------------------------------

    def latest_trade(self, symbol: str) -> float:
        """Today's open once the session has opened, else the last close."""
        if self.is_open and symbol in self._index:
            today = float(self._open[self.session, self._index[symbol]])
            if math.isfinite(today):
                return today
        return self.last_close(symbol)

    def asset_flags(self, symbol: str) -> AssetFlags:
        return self.venue.asset(VenueBook(cash=Decimal(0)), symbol)

    def _book_position(self, symbol: str, held: Holding) -> BookPosition:
        price = self.latest_trade(symbol)
        last = price if math.isfinite(price) else held.cost / held.qty
        return BookPosition(to_decimal(float(held.qty)), to_decimal(last))

    @staticmethod
    def _book_order(o: SandboxOrder) -> BookOrder:
        return BookOrder(o.id, o.symbol, o.side, o.type, to_decimal(o.remaining), _dec(o.limit_price),
                         _dec(o.stop_price))

    def book(self, symbol: str | None = None, *, excluding: str | None = None) -> VenueBook:
        """This account as the venue judges an order for ``symbol`` (without order ``excluding``,
        the one a replacement replaces)."""
        positions = {s: self._book_position(s, h) for s, h in self.positions.items() if h.qty}
        orders = tuple(self._book_order(o) for o in self.orders.working() if o.id != excluding)
        wanted = ({o.symbol for o in orders} | ({symbol} if symbol else set())) - set(positions)
        prices = {s: to_decimal(p) for s in wanted if math.isfinite(p := self.latest_trade(s)) and p > 0}
        cash = to_decimal(self.ledger.cash)
        return VenueBook(cash, positions, orders, prices, market_open=self.is_open, now=self.now)

    def position(self, symbol: str, book: VenueBook | None = None) -> dict[str, Any]:
        held = self.positions.get(symbol)
        if not held or not held.qty:
            raise not_found(f"position {symbol}")
        closes = self.market.close[symbol].iloc[: self.session].dropna()
        last = float(closes.iloc[-2]) if len(closes) > 1 else float(closes.iloc[-1])
        available = float(self.venue.qty_available(book or self.book(), symbol))
        return position_json(symbol, held.qty, held.cost, self.mark(symbol), last, available)

    def all_positions(self) -> list[dict[str, Any]]:
        book = self.book()
        return [self.position(s, book) for s in sorted(self.positions) if self.positions[s].qty]

    # -- orders ----------------------------------------------------------------------------

    def _validate(self, body: dict[str, Any]) -> None:
        for key in ("symbol", "side", "type", "time_in_force"):
            if not body.get(key):
                raise invalid(f"{key} is required")
        if body["symbol"] not in self._index:  # Alpaca: 422, the order is invalid (404 is "no such order")
            raise invalid(f"asset {body['symbol']} not found")
        if body["type"] not in TYPES or body["time_in_force"] not in TIFS or body["side"] not in ("buy", "sell"):
            raise invalid("invalid type, side or time_in_force")
        if (body.get("qty") in (None, "")) == (body.get("notional") in (None, "")):
            raise invalid("qty or notional is required")
        if body["type"] in ("limit", "stop_limit") and body.get("limit_price") in (None, ""):
            raise invalid("limit_price is required")
        if body["type"] in ("stop", "stop_limit") and body.get("stop_price") in (None, ""):
            raise invalid("stop_price is required")
        self.orders.check_client_id(body.get("client_order_id") or "")

    def _as_order(self, body: dict[str, Any]) -> Order:
        """The request as the project's Order, for the venue to judge."""
        try:
            return Order(
                client_order_id=body["client_order_id"],
                symbol=body["symbol"],
                side=body["side"],
                type=body["type"],
                qty=_dec(body.get("qty")),
                notional=_dec(body.get("notional")),
                time_in_force=body["time_in_force"],
                limit_price=_dec(body.get("limit_price")),
                stop_price=_dec(body.get("stop_price")),
                trail_price=_dec(body.get("trail_price")),
                trail_percent=_dec(body.get("trail_percent")),
                extended_hours=bool(body.get("extended_hours")),
                created_at=self.now,
            )
        except (InvalidOrder, ValueError, ArithmeticError) as e:
            raise invalid(str(e)) from None

    def submit(self, body: dict[str, Any], *, replacing: str | None = None) -> SandboxOrder:
        self.catch_up()
        body = {**body, "client_order_id": body.get("client_order_id") or f"sandbox-{next(self._exec)}"}
        self._validate(body)
        if self.faults.take({FaultKind.REJECT}, "POST /v2/orders"):
            raise SandboxError(403, 40310000, "order rejected (sandbox fault)")
        rejection = self.venue.check(self._as_order(body), self.book(body["symbol"], excluding=replacing))
        if rejection is not None:
            raise SandboxError.refusal(rejection)
        if body.get("notional") not in (None, ""):
            price = self.last_close(body["symbol"])
            body = {**body, "qty": round(float(body["notional"]) / price, 9), "notional": body["notional"]}
        order = order_from_request(body, self.now)
        self.orders.add(order)
        self._emit(OrderEvent.NEW, order)
        if self.is_open and order.type is OrderType.MARKET and order.time_in_force not in AUCTIONS:
            if self._on_intraday_clock:
                self._work_minutes(order, self.now, arrival=True)  # from the minute it arrives in
            else:
                self._fill_at_open(order)
        return order

    def get(self, order_id: str) -> SandboxOrder:
        return self.orders.get_order(order_id)

    def by_client(self, client_order_id: str) -> SandboxOrder:
        return self.orders.by_client(client_order_id)

    def list(
        self,
        status: str,
        limit: int,
        symbols: set[str] | None,
        direction: str,
        after: str | None,
        until: str | None,
        side: str | None = None,
    ) -> list[SandboxOrder]:
        return self.orders.listed(status, limit, symbols, direction, after, until, side)

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

    def replace(self, order_id: str, body: dict[str, Any]) -> SandboxOrder:
        self.catch_up()
        old = self.get(order_id)
        if not old.working:
            raise SandboxError(422, 42210000, f"order is already {old.status.value}")
        self._auction_cancelable(old)
        wire = order_json(old)  # the fields as a request would carry them
        fields: dict[str, Any] = {
            k: wire[k]
            for k in (
                "symbol",
                "side",
                "type",
                "time_in_force",
                "qty",
                "limit_price",
                "stop_price",
                "trail_price",
                "trail_percent",
            )
        }
        fields.update({k: v for k, v in body.items() if v is not None and k in fields})
        if "trail" in body and body["trail"] is not None:
            fields["trail_percent" if old.trail_percent is not None else "trail_price"] = body["trail"]
        fields["client_order_id"] = body.get("client_order_id") or f"{old.client_order_id[:40]}-r{next(self._exec)}"
        new = self.submit(fields, replacing=old.id)
        new.replaces = old.id
        old.replaced(new.id, self.now)
        self._emit(OrderEvent.REPLACED, old)
        return new

    def close_position(self, symbol: str, qty: float | None = None, percentage: float | None = None) -> SandboxOrder:
        held = self.positions.get(symbol)
        if not held or not held.qty:
            raise not_found(f"position {symbol}")
        size = (
            abs(held.qty)
            if qty is None and percentage is None
            else (qty if qty is not None else abs(held.qty) * percentage / 100)
        )
        side = "sell" if held.qty > 0 else "buy"
        return self.submit({"symbol": symbol, "qty": size, "side": side, "type": "market", "time_in_force": "day"})

    # -- fills ------------------------------------------------------------------------------

    def _bar(self, symbol: str, i: int) -> matching.Bar:
        m = self.market
        return matching.Bar(
            float(m.open[symbol].iloc[i]),
            float(m.high[symbol].iloc[i]),
            float(m.low[symbol].iloc[i]),
            float(m.close[symbol].iloc[i]),
            float(m.volume[symbol].iloc[i]),
        )

    def _fill_at_open(self, order: SandboxOrder) -> None:
        bar = self._bar(order.symbol, self.session)
        if not math.isfinite(bar.open):
            return  # no trading in this symbol today: stays queued
        self._fill(order, matching.market_price(self.venue, order.side, bar), bar.volume)

    @property
    def _on_intraday_clock(self) -> bool:
        return self.is_open and self.intraday is not None and self.intraday.active

    def catch_up(self) -> None:
        """On the intraday clock: market orders that arrived while open worked on the minutes
        started before now (:mod:`brokers.sandbox.minute_orders`)."""
        if self._on_intraday_clock:
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
            bar = self._bar(symbol, self.session)
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
            self._fill(order, filled, self._bar(order.symbol, self.session).volume, when)
        if order.working:
            self._finish(order, OrderStatus.CANCELED)

    def _check_resting(self, order: SandboxOrder, i: int) -> None:
        """A resting order against session ``i``'s bar, priced by :mod:`framework.venue.matching`
        (a trailing stop first moves its stop with the bar's extreme, then fills as a stop)."""
        bar = self._bar(order.symbol, i)
        if not math.isfinite(bar.open) or order.type is OrderType.MARKET:
            return
        side = order.side
        if order.type is OrderType.TRAILING_STOP:
            price = matching.stop_price(side, self._trail(order, bar), bar)
        elif order.type is OrderType.STOP:
            price = matching.stop_price(side, _given(order.stop_price), bar)
        elif order.type is OrderType.STOP_LIMIT:
            price = matching.stop_limit_fill(side, _given(order.stop_price), _given(order.limit_price), bar).price
        else:
            price = matching.limit_price(side, _given(order.limit_price), bar)
        if price is not None:
            self._fill(order, price, bar.volume)

    @staticmethod
    def _trail(order: SandboxOrder, bar: matching.Bar) -> float:
        """A trailing stop's level after ``bar``: its high-water mark (a sell's highest high, a
        buy's lowest low) less / plus the trail."""
        hwm = order.hwm if order.hwm is not None else bar.open
        hwm = max(hwm, bar.high) if order.side is OrderSide.SELL else min(hwm, bar.low)
        order.hwm = hwm
        trail = order.trail_price if order.trail_price is not None else hwm * _given(order.trail_percent) / 100
        return hwm - trail if order.side is OrderSide.SELL else hwm + trail

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


__all__ = ["Exchange", "exact_sum", "start_index", "timedelta"]
