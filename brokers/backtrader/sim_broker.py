"""backtrader's BackBroker with the per-bar and per-notification work equities never need
(:class:`SimBroker`), and that broker trading by the venue model (:class:`VenueBroker`).

Fills, cash, commission, slippage and every rule stay BackBroker's own; three things change, each
giving the very same state (tests hold SimBroker and BackBroker equal bar by bar):

- **Notifications.** BackBroker queues ``order.clone()`` for every notification (three or more
  per order). The clone is a ``copy.copy``, whose reflective path is slow on backtrader orders:
  each ``hasattr`` probe misses, falls into ``Order.__getattr__`` and raises inside the params
  lookup. Copying the instance dict gives the same snapshot at a fraction of the cost.
- **Carrying costs.** Every bar BackBroker walks every position twice: to charge credit interest
  (a date conversion per held position) and to adjust cash for futures-like instruments. With
  stock-like commission schemes that charge no interest both passes add exactly zero, so they
  are skipped; any other scheme gets BackBroker's bar step untouched.
- **Valuation.** The end-of-bar portfolio value walks every feed ever traded; a flat position
  adds exactly zero, so only held positions are valued; with one stock-like commission scheme
  (every backtest's) by BackBroker's own arithmetic written inline, each close read once.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

import backtrader as bt

from framework.enums import OrderSide
from framework.venue import Venue, matching, trailing

if TYPE_CHECKING:
    from brokers.backtrader.minute_fills import ChildMinutes, MinuteFills


def snapshot(order: bt.Order) -> bt.Order:
    """What ``order.clone()`` returns: a shallow copy, with ``executed`` cloned and its pending
    bits marked (so the receiver sees exactly the executions since the last notification)."""
    executed = order.executed
    executed.markpending()
    done = object.__new__(type(executed))
    done.__dict__ = executed.__dict__.copy()
    copy = object.__new__(type(order))
    copy.__dict__ = order.__dict__.copy()
    copy.executed = done
    return copy


class SimBroker(bt.brokers.BackBroker):
    _close_lines: dict[bt.feed.DataBase, bt.LineBuffer]  # each held data's close line, looked up once a run

    def init(self) -> None:
        super().init()  # at construction and at each start: the positions start over, so do these
        self._close_lines = {}

    def notify(self, order: bt.Order) -> None:
        self.notifs.append(snapshot(order))

    def carry_free(self) -> bool:
        """Holding a position costs nothing between bars: every commission scheme is stock-like
        (no daily cash adjustment) and charges no credit interest."""
        return all(info._stocklike and not info.p.interest for info in self.comminfo.values())

    def next(self) -> None:
        """BackBroker's bar step without the two carrying-cost passes, when both add zero."""
        if not self.carry_free():
            super().next()
            return
        while self._toactivate:
            self._toactivate.popleft().activate()
        if self.p.checksubmit:
            self.check_submitted()
        self._process_order_history()
        pending = self.pending  # one pass over the queue, exactly as BackBroker.next
        pending.append(None)
        while (order := pending.popleft()) is not None:
            if order.expire():
                self.notify(order)
                self._ococheck(order)
                self._bracketize(order, cancel=True)
            elif not order.active():
                pending.append(order)
            else:
                self._try_exec(order)
                if order.alive():
                    pending.append(order)
                elif order.status == bt.Order.Completed:
                    self._bracketize(order)
        self._get_value()

    def _get_value(self, datas: list[bt.feed.DataBase] | None = None, lever: bool = False) -> float:
        """The whole portfolio's value from its held positions alone. BackBroker's own walk
        over an explicit list does exactly its full walk minus the zeros; it answers a single
        data's value instead when the list has one entry, so that case keeps the full walk.
        With one stock-like scheme (every backtest's) the walk is :meth:`_stock_value`."""
        if datas is None and not self._fundhist:
            info = self._stock_scheme()
            if info is not None:
                return self._stock_value(info, lever)
            held = [data for data, position in self.positions.items() if position]
            if len(held) > 1:
                return super()._get_value(datas=held, lever=lever)
        return super()._get_value(datas=datas, lever=lever)

    def _stock_scheme(self) -> bt.CommInfoBase | None:
        """The one commission scheme of every data when it values a position as backtrader's
        stock-like base does (size × price, profit and loss × mult) and short sales add cash;
        None otherwise."""
        if len(self.comminfo) != 1 or not self.p.shortcash:
            return None
        info = self.comminfo.get(None)
        if info is None or not info._stocklike or not _values_as_base(type(info)):
            return None
        return info

    def _stock_value(self, info: bt.CommInfoBase, lever: bool) -> float:
        """BackBroker's ``_get_value`` for ``info`` over the held positions, its very arithmetic
        in its order, with each close read once off its line (``close[0]``) and the scheme's
        methods inlined: per position and bar, the cost of the values instead of a dozen calls."""
        while self._cash_addition:
            c = self._cash_addition.popleft()
            self._fundshares += c / self._fundval
            self.cash += c
        mult, leverage = info.p.mult, info.p.leverage
        pos_value = pos_value_unlever = unrealized = 0.0
        closes = self._close_lines
        for data, position in self.positions.items():
            size = position.size
            if not size:
                continue  # a flat position adds exactly zero
            line = closes.get(data)
            if line is None:
                line = closes[data] = data.lines.close
            close = line.array[line._idx]
            dvalue = size * close  # getvaluesize
            dunrealized = size * (close - position.price) * mult  # profitandloss
            pos_value += dvalue
            unrealized += dunrealized
            if dvalue > 0:  # long position - unlever
                dvalue -= dunrealized
                pos_value_unlever += dvalue / leverage
                pos_value_unlever += dunrealized
            else:
                pos_value_unlever += dvalue
        self._value = self.cash + pos_value_unlever
        self._fundval = self._value / self._fundshares
        self._valuemkt = pos_value_unlever
        self._valuelever = self.cash + pos_value
        self._valuemktlever = pos_value
        self._leverage = pos_value / (pos_value_unlever or 1.0)
        self._unrealized = unrealized
        return self._value if not lever else self._valuelever


def is_news(order: bt.Order) -> bool:
    """Whether a notice of ``order`` is news to an engine that acknowledged the order when it
    sent it: any but its acceptance (which comes before any execution, so the next notice's
    snapshot marks the very executions pending that it would have)."""
    return order.status != bt.Order.Accepted


@cache
def _values_as_base(kind: type[bt.CommInfoBase]) -> bool:
    """The commission scheme ``kind`` values a position by backtrader's base methods."""
    base = bt.CommInfoBase
    return all(getattr(kind, name) is getattr(base, name) for name in ("getvaluesize", "profitandloss", "get_leverage"))


def _side(order: bt.Order) -> OrderSide:
    return OrderSide.BUY if order.isbuy() else OrderSide.SELL


def _trail(order: bt.Order) -> trailing.Trail:
    """A backtrader trailing order's trail: its amount, else its fraction (none: a zero amount)."""
    if order.trailamount:
        return trailing.Trail(_side(order), amount=float(order.trailamount))
    if order.trailpercent:
        return trailing.Trail(_side(order), fraction=float(order.trailpercent))
    return trailing.Trail(_side(order), amount=0.0)


def _loan_for(shortfall: float) -> float:
    """A power of two above ``shortfall``: lent for one execution, so the rounding it leaves in
    the cash is a single last-bit error."""
    return float(2 ** max(math.ceil(math.log2(max(shortfall, 1.0))) + 1, 0))


class VenueBroker(SimBroker):
    """SimBroker trading by the venue model (``VenueBroker(checksubmit=False)``, then set
    ``venue`` before the run).

    - The venue judges an order at submission (the adapter asks it), so backtrader's own cash
      check at submission is off and its cash check at execution never refuses an accepted
      order: a gap that makes a fill cost more than the cash, or a margin buy, fills as it does
      at the venue (the cash goes negative, a margin loan).
    - Limit, stop, stop-limit and auction fills are priced by :mod:`framework.venue.matching`
      (trailing stops by :mod:`framework.venue.trailing`), the rule the sandbox fills by too
      (Alpaca's order semantics, DEVELOPMENT.md "Stop and limit fills"): none is slipped.
      Slippage is the venue's, on market orders only; it stays inside the bar's range only with
      ``venue.slippage.cap_at_bar_range``.
    - One execution pays one commission, however backtrader splits it.
    - ``on_open`` runs at each bar's open, before any order executes (corporate actions).
    - An order's acceptance is not notified: the venue judged it at submission and the adapter
      acknowledged it then, so the notice (a snapshot of the order, queued, dispatched through
      the strategy) would carry no news. Every later notice (fills, cancels, expiries) comes.
    - A TWAP child (``twap`` in its info) fills on its session's minute bars as
      ``minute_fills`` says (:mod:`brokers.backtrader.minute_fills`).
    """

    venue: Venue | None = None
    on_open: Callable[[], None] | None = None
    minute_fills: MinuteFills | None = None  # TWAP children's fills (a backtest on minute bars)

    def notify(self, order: bt.Order) -> None:
        if is_news(order):
            super().notify(order)

    def _fill_at(self, order: bt.Order, price: float | None) -> None:
        if price is not None:
            self._execute(order, ago=0, price=price)

    def _try_exec_limit(self, order: bt.Order, popen: float, phigh: float, plow: float, plimit: float) -> None:
        if self.venue is None:
            super()._try_exec_limit(order, popen, phigh, plow, plimit)
            return
        self._fill_at(order, matching.limit_price(_side(order), plimit, matching.Bar(popen, phigh, plow, math.nan)))

    def _try_exec_stop(self, order: bt.Order, popen: float, phigh: float, plow: float, pcreated: float,
                       pclose: float) -> None:
        if self.venue is None:
            super()._try_exec_stop(order, popen, phigh, plow, pcreated, pclose)
            return
        bar = matching.Bar(popen, phigh, plow, pclose)
        if order.exectype == bt.Order.StopTrail:
            self._trail_step(order, bar)
            return
        self._fill_at(order, matching.stop_price(_side(order), pcreated, bar))

    def _trail_step(self, order: bt.Order, bar: matching.Bar) -> None:
        """A trailing stop on ``bar`` by the one daily-bar rule (:mod:`framework.venue.trailing`):
        judged at the stop its mark gives (the mark starts at the close it was created on, as
        backtrader's own ``StopTrail``), then the mark raised with the close; the stop is kept in
        ``created.price``, where backtrader keeps it."""
        trail = _trail(order)
        fill = trailing.trailing_fill(trail, order.__dict__.get("trail_mark", order.created.pclose), bar)
        self._fill_at(order, fill.price)
        if order.alive():
            order.__dict__["trail_mark"] = fill.mark
            order.created.price = trail.stop(fill.mark)

    def _try_exec_stoplimit(self, order: bt.Order, popen: float, phigh: float, plow: float, pclose: float,
                            pcreated: float, plimit: float) -> None:
        if self.venue is None:
            super()._try_exec_stoplimit(order, popen, phigh, plow, pclose, pcreated, plimit)
            return
        fill = matching.stop_limit_fill(_side(order), pcreated, plimit, matching.Bar(popen, phigh, plow, pclose))
        if fill.triggered:
            order.triggered = True
        self._fill_at(order, fill.price)
        if order.alive() and order.exectype == bt.Order.StopTrailLimit:
            order.trailadjust(pclose)

    def next(self) -> None:
        if self.on_open is not None:
            self.on_open()
        super().next()

    def _try_exec(self, order: bt.Order) -> None:
        """An auction order (``auction`` in its info: "open" or "close") on the first bar after
        it was sent: filled at that bar's official open or close, unslipped (an auction crosses
        no spread), if it is a market order or the price is within its limit; whatever is left
        is canceled, as Alpaca cancels an auction order the auction did not fill."""
        twap = order.info.get("twap") if order.info else None
        if twap is not None and self.minute_fills is not None:
            self._on_minutes(order, self.minute_fills.fills(*twap))
            return
        auction = order.info.get("auction") if order.info else None
        if auction is None:
            super()._try_exec(order)
            return
        data = order.data
        price = float(data.open[0] if auction == "open" else data.close[0])
        limit = order.created.price if order.exectype == bt.Order.Limit else None
        self._fill_at(order, matching.auction_price(_side(order), price, limit))
        if order.alive():  # taken off the queue already: canceled here, not through cancel()
            order.cancel()
            self.notify(order)

    def _on_minutes(self, order: bt.Order, child: ChildMinutes) -> None:
        """A TWAP child on its session's bar: one execution per minute fill, at the fill
        model's quantity and price (no second rule here), each minute's time kept on the order
        for the adapter (``minute_times``, then its turn's end); what the fills leave is
        canceled (its turn ended)."""
        times: deque[datetime] = deque()
        order.__dict__["minute_times"] = times  # shared by every notification's snapshot
        order.__dict__["minute_arrival"] = child.arrival
        saved = self.p.filler
        try:
            for fill in child.fills:
                self.p.filler = lambda *_args, qty=float(fill.qty): qty
                times.append(fill.time.to_pydatetime())
                self._execute(order, ago=0, price=fill.price)
        finally:
            self.p.filler = saved
        if order.alive():
            times.append(child.until)
            order.cancel()
            self.notify(order)

    def _execute(self, order: bt.Order, ago: int | None = None, price: float | None = None, cash: float | None = None,
                 position: bt.Position | None = None, dtcoc: object = None) -> float | None:
        if ago is None or price is None:
            return super()._execute(order, ago=ago, price=price, cash=cash, position=position, dtcoc=dtcoc)
        info = self.getcommissioninfo(order.data)
        needed = abs(order.executed.remsize) * price * 1.05 + 100.0
        loan = _loan_for(needed - self.cash) if order.isbuy() and self.cash < needed else 0.0
        before, executed = self.cash, order.executed.size
        self.cash += loan
        with info.one_execution():
            super()._execute(order, ago=ago, price=price, cash=cash, position=position, dtcoc=dtcoc)
        self.cash = before if order.executed.size == executed else self.cash - loan
        return None

    def _slip_up(self, pmax: float, price: float, doslip: bool = True, lim: bool = False) -> float | None:
        if self.venue is None:
            return super()._slip_up(pmax, price, doslip, lim)
        return self.venue.slipped_price(price, OrderSide.BUY, high=pmax) if doslip else price

    def _slip_down(self, pmin: float, price: float, doslip: bool = True, lim: bool = False) -> float | None:
        if self.venue is None:
            return super()._slip_down(pmin, price, doslip, lim)
        return self.venue.slipped_price(price, OrderSide.SELL, low=pmin) if doslip else price
