"""The fill rule of both simulated venues: given an order and a bar, whether it fills and at what
price. Pure arithmetic on floats, no state.

One definition for every simulator: the backtest (``VenueBroker`` in
``brokers/backtrader/sim_broker.py``), the sandbox (``brokers/sandbox/exchange.py``), the lean
research path's fill step (``brokers/lean/broker.py``) and the TWAP children on minute bars
(``framework/twap.py``), as NautilusTrader's sandbox reuses its backtest exchange:
two hand-written fill loops drift (ours once priced stop and limit fills apart). The rules are
Alpaca's documented order semantics (DEVELOPMENT.md "Stop and limit fills"):

- **Market**: the open, slipped against us by the venue (``Venue.slipped_price``).
- **Limit**: "at the specified limit price or better": the open when the open is at or inside the
  limit, else the limit when the bar's range reaches it. Never slipped.
- **Stop**: once elected, a market order filled at the print that elected it: the open on a gap
  through the stop, else the stop price. Not slipped further.
- **Stop-limit**: elected like a stop, then a limit; on the bar that elects it intraday the path
  inside the bar is unknown, so it fills at the stop when the limit allows it, else at the limit
  only when the bar closes back inside it after opening on the other side (backtrader's reading
  of the bar, kept so the backtest's results stay what they were).
- **Auction** (``opg`` / ``cls``): the official open or close, unslipped (an auction crosses no
  spread), when the order is a market order or the price is within its limit.

The comparisons run in the order backtrader's BackBroker makes them, so a bar with a NaN or an
open outside its own range is judged exactly as the backtest always judged it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from framework.enums import OrderSide
from framework.venue.venue import Venue


class Bar(NamedTuple):
    """One session's (or minute's) prices for one symbol (the volume bounds fills in the sandbox's
    volume cap). A NaN high or low is a range not known: a market fill is then never capped at it.
    A named tuple: every fill of every simulator makes one, at a third of a frozen dataclass's cost."""

    open: float
    high: float
    low: float
    close: float
    volume: float = math.nan


@dataclass(frozen=True, slots=True)
class StopLimitFill:
    """A stop-limit on one bar: whether the bar elected its stop, and its fill price (None: no fill)."""

    triggered: bool
    price: float | None


def market_price(venue: Venue, side: OrderSide, bar: Bar) -> float:
    """A market order at the bar's open: the open slipped against us (kept inside the bar's range
    only with ``venue.slippage.cap_at_bar_range``)."""
    return venue.slipped_price(bar.open, side, low=bar.low, high=bar.high)


def limit_price(side: OrderSide, limit: float, bar: Bar) -> float | None:
    """A limit order on ``bar``: the open when it is at or better than the limit, else the limit
    when the range reaches it, else None (no fill)."""
    if side is OrderSide.BUY:
        if limit >= bar.open:
            return bar.open
        return limit if limit >= bar.low else None
    if limit <= bar.open:
        return bar.open
    return limit if limit <= bar.high else None


def stop_price(side: OrderSide, stop: float, bar: Bar) -> float | None:
    """A stop order on ``bar``: the print that elects it (the open on a gap through the stop, else
    the stop price), or None when the bar never reaches the stop."""
    if side is OrderSide.BUY:
        if bar.open >= stop:
            return bar.open
        return stop if bar.high >= stop else None
    if bar.open <= stop:
        return bar.open
    return stop if bar.low <= stop else None


def stop_limit_fill(side: OrderSide, stop: float, limit: float, bar: Bar) -> StopLimitFill:
    """A stop-limit not yet elected, on ``bar`` (once elected it is a limit: :func:`limit_price`).

    A gap through the stop elects it at the open and the limit rule judges the whole bar; a stop
    reached inside the bar fills at the stop when the limit is at or beyond it, else at the limit
    only when the bar opened on the stop's side of the limit and closed beyond it."""
    buy = side is OrderSide.BUY
    if (bar.open >= stop) if buy else (bar.open <= stop):
        return StopLimitFill(True, limit_price(side, limit, bar))
    if not ((bar.high >= stop) if buy else (bar.low <= stop)):
        return StopLimitFill(False, None)
    if (limit >= stop) if buy else (limit <= stop):
        return StopLimitFill(True, stop)
    back = bar.open > bar.close if buy else bar.open <= bar.close  # the bar came back towards the limit
    if back and ((limit >= bar.close) if buy else (limit <= bar.close)):
        return StopLimitFill(True, limit)
    return StopLimitFill(True, None)


def auction_price(side: OrderSide, official: float, limit: float | None) -> float | None:
    """An on-open / on-close order in its auction: the official price when it exists and is
    within the limit (a market order takes any), else None (the auction does not fill it)."""
    if not math.isfinite(official):
        return None
    if limit is None or (official <= limit if side is OrderSide.BUY else official >= limit):
        return official
    return None


__all__ = ["Bar", "StopLimitFill", "auction_price", "limit_price", "market_price", "stop_limit_fill", "stop_price"]
