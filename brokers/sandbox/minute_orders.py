"""Market orders sent while a session is open on the sandbox's intraday clock, worked minute by
minute on the session's minute bars (:mod:`brokers.sandbox.minutes`, the bars the data API
serves for that day).

An order arriving at 09:35 fills from the 09:35 minute on, at each minute's open moved by the
venue's slippage (:func:`framework.venue.matching.market_price`, the rule every simulator fills a
market order by), at most the sandbox's volume cap of each minute's volume; what the cap leaves
waits for the following minutes, worked as the clock passes them. A minute is worked once its
open has printed: an order's own arrival minute at once, later minutes once the clock is past
their start (a cancel at 09:40 takes effect before the 09:40 minute is worked). So a TWAP child
sent by the paper service at its minute fills as the backtest's minute fills fill it
(:func:`framework.twap.fill_on_minutes`), cap and slippage alike.

Without the intraday clock (no pin, no wall-clock mode) nothing here runs: a market order sent
while open fills at the day's open, as it always did.

Which minutes an order still has to work is read off the order itself (no state beside the
order book): from its arrival minute, or from the minute after its last fill (each fill is
stamped with its minute). A minute that filled nothing (no volume left under the cap) is
looked at again on the next pass and fills nothing again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pandas as pd

from brokers.sandbox.order import AUCTIONS, SandboxOrder
from framework.enums import OrderType

MINUTE = timedelta(minutes=1)


def minute_of(t: datetime) -> pd.Timestamp:
    """The start of the minute ``t`` falls in (UTC)."""
    return pd.Timestamp(t).tz_convert("UTC").floor("min")


def worked(order: SandboxOrder, session_open: datetime) -> bool:
    """A working market order (not an auction's) that arrived while today's session was open."""
    return (order.working and order.type is OrderType.MARKET and order.time_in_force not in AUCTIONS
            and order.submitted_at >= session_open)


def first_minute(order: SandboxOrder) -> pd.Timestamp:
    """The first minute ``order`` has not worked yet."""
    if order.filled_qty > 0:
        return minute_of(order.updated_at) + MINUTE
    return minute_of(order.submitted_at)


def due(minutes: pd.DataFrame, order: SandboxOrder, until: datetime, *, arrival: bool) -> Iterator[tuple[
        pd.Timestamp, float, float]]:
    """(minute, open, volume) of the minutes ``order`` works up to ``until``: those started
    before it, and with ``arrival`` the minute it falls in too (an order's own arrival minute)."""
    start, stop = first_minute(order), pd.Timestamp(until).tz_convert("UTC")
    index = minutes.index
    chosen = minutes[(index >= start) & ((index <= stop) if arrival else (index < stop))]
    for when, o, v in zip(chosen.index, chosen["open"].to_numpy(), chosen["volume"].to_numpy(), strict=True):
        yield when, float(o), float(v)


__all__ = ["MINUTE", "due", "first_minute", "minute_of", "worked"]
