"""The trailing stop on daily bars: one rule for every simulator (the backtest's ``VenueBroker``,
the sandbox's resting orders).

Alpaca trails the stop from the high-water mark (``hwm``, a sell's highest price since the order
was sent, a buy's lowest): ``hwm - trail_price`` or ``hwm * (1 - trail_percent / 100)`` for a
sell, "continuously adjusted" as prices print. A daily bar does not say in which order its prints
came, so the rule reads it only in the order it can know:

1. the **open** against the stop from the mark *before* this bar: a gap through it fills at the
   open (:func:`framework.venue.matching.stop_price`);
2. the **range** against that same stop: it fills at the stop;
3. only an order still working then raises its mark with the bar's **close**.

Why the close and not the high (which Alpaca's hwm would have reached): the high has no place
in the bar's sequence. Raising the mark by the high before step 1 fills at an open printed before
the high existed (the sandbox once did); raising it by the high after step 3 sets a stop the
bar's later prints may already have crossed, unjudged. The close is the bar's last print, after
every other one, so the stop never leads the path it is judged on. It is also backtrader's
``StopTrail`` (``trailadjust`` on the close), so the backtest's results did not move, and the
framework's own protective trail (``framework/stops.py``: under the best close since entry).
The mark starts at the last price when the order is sent (the backtest: the close it was
decided on; the sandbox: its latest trade).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from framework.enums import OrderSide
from framework.venue import matching


@dataclass(frozen=True, slots=True)
class Trail:
    """A trailing stop's side and trail: a price distance (``amount``, Alpaca's ``trail_price``) or a
    fraction of the mark (``fraction``, Alpaca's ``trail_percent / 100``)."""

    side: OrderSide
    amount: float | None = None
    fraction: float | None = None

    def stop(self, mark: float) -> float:
        """The stop a mark gives: below it for a sell, above it for a buy."""
        if self.amount is not None:
            distance = self.amount
        elif self.fraction is not None:
            distance = mark * self.fraction
        else:
            raise ValueError("a trailing stop trails by an amount or a fraction")
        return mark - distance if self.side is OrderSide.SELL else mark + distance

    def raised(self, mark: float, close: float) -> float:
        """The mark after a bar the order survived: a sell's rises to the close, a buy's falls to it
        (a NaN close leaves it)."""
        if not math.isfinite(close):
            return mark
        return max(mark, close) if self.side is OrderSide.SELL else min(mark, close)


@dataclass(frozen=True, slots=True)
class TrailingFill:
    """A trailing stop on one bar: its fill price (None: no fill) and its mark afterwards."""

    price: float | None
    mark: float


def trailing_fill(trail: Trail, mark: float, bar: matching.Bar) -> TrailingFill:
    """A trailing stop whose mark before ``bar`` is ``mark``: judged as a stop at the level that
    mark gives (open, then range), then the mark raised with the close if it did not fill."""
    price = matching.stop_price(trail.side, trail.stop(mark), bar)
    return TrailingFill(price, mark if price is not None else trail.raised(mark, bar.close))


__all__ = ["Trail", "TrailingFill", "trailing_fill"]
