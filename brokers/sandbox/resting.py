"""A resting order against one session's bar: the price :mod:`framework.venue.matching` (the fill
rule every simulator uses) gives it, or None. The order's own state moves with the bar: a trailing
stop is judged at the stop from its high-water mark before the bar, and only then is the mark
raised with the bar's close (:mod:`framework.venue.trailing`, the backtest's rule); a stop-limit,
once a bar reaches its stop, is elected for good (``SandboxOrder.elected``) and from then on is a limit order, in
any later session, whatever the price does about the stop. Alpaca: "once the stop price is
reached, the stop-limit order becomes a limit order"; the backtest the same (backtrader routes a
triggered stop-limit to its limit step, which ``VenueBroker`` prices by
:func:`framework.venue.matching.limit_price`).
"""

from __future__ import annotations

from brokers.sandbox.order import SandboxOrder
from framework.enums import OrderType
from framework.venue import matching, trailing


def _given(price: float | None) -> float:
    """A price the order's type requires (validated at submission)."""
    if price is None:
        raise ValueError("an order of this type carries this price")
    return price


def trail(order: SandboxOrder) -> trailing.Trail:
    """A trailing stop's trail: ``trail_price``, else ``trail_percent`` as a fraction."""
    if order.trail_price is not None:
        return trailing.Trail(order.side, amount=order.trail_price)
    return trailing.Trail(order.side, fraction=_given(order.trail_percent) / 100)


def _trailing_price(order: SandboxOrder, bar: matching.Bar) -> float | None:
    """A trailing stop on ``bar`` by the one daily-bar rule (:mod:`framework.venue.trailing`): the
    stop from its mark before the bar (``SandboxOrder.hwm``, set at submission from the latest
    trade; none: the bar's open), then the mark raised with the close if it did not fill."""
    fill = trailing.trailing_fill(trail(order), order.hwm if order.hwm is not None else bar.open, bar)
    order.hwm = fill.mark
    return fill.price


def _stop_limit_price(order: SandboxOrder, bar: matching.Bar) -> float | None:
    """A stop-limit on ``bar``: a limit once elected, else judged for its election on this bar."""
    limit = _given(order.limit_price)
    if order.elected:
        return matching.limit_price(order.side, limit, bar)
    fill = matching.stop_limit_fill(order.side, _given(order.stop_price), limit, bar)
    order.elected = fill.triggered
    return fill.price


def resting_price(order: SandboxOrder, bar: matching.Bar) -> float | None:
    """What ``order`` (limit, stop, stop-limit or trailing stop) fills at on ``bar`` (None: no fill)."""
    side = order.side
    if order.type is OrderType.TRAILING_STOP:
        return _trailing_price(order, bar)
    if order.type is OrderType.STOP:
        return matching.stop_price(side, _given(order.stop_price), bar)
    if order.type is OrderType.STOP_LIMIT:
        return _stop_limit_price(order, bar)
    return matching.limit_price(side, _given(order.limit_price), bar)


__all__ = ["resting_price", "trail"]
