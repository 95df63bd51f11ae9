"""Alpaca's auction orders (``opg``, ``cls``): when they are taken and when they can be canceled.

From Alpaca's "Orders at Alpaca", Time in Force (https://docs.alpaca.markets/docs/orders-at-alpaca
#time-in-force): ``opg`` and ``cls`` go with market or limit orders only (market/limit on open,
on close); an ``opg`` order executes only in the opening auction and is canceled if unfilled
after the open, ``cls`` likewise in the closing auction; ``opg`` orders sent after 9:28 am but
before 7:00 pm ET are rejected (after 7:00 pm they queue for the next day's auction), ``cls``
orders sent after 3:50 pm but before 7:00 pm ET likewise. An on-open order cannot be canceled
or changed after 9:28 am (Alpaca's answer on its forum, "OPG orders being canceled with no
context", the exchanges' cut-off). The rejection's text is ours: Alpaca documents the rule,
not its message.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from framework.enums import TimeInForce

NEW_YORK = ZoneInfo("America/New_York")
#: (last moment an order is taken, when orders are taken again) per auction, New York time.
WINDOWS: dict[TimeInForce, tuple[time, time]] = {
    TimeInForce.OPG: (time(9, 28), time(19, 0)),
    TimeInForce.CLS: (time(15, 50), time(19, 0)),
}
#: The last moment an auction order can be canceled or replaced (on-open: the exchanges' cut-off).
CANCEL_CUTOFF: dict[TimeInForce, time] = {TimeInForce.OPG: time(9, 28), TimeInForce.CLS: time(15, 50)}
AUCTION_NAMES = {TimeInForce.OPG: "opening", TimeInForce.CLS: "closing"}


def refused_at(tif: TimeInForce, now: datetime) -> str | None:
    """Why an auction order sent at ``now`` is refused (None: taken)."""
    window = WINDOWS.get(tif)
    if window is None:
        return None
    local = now.astimezone(NEW_YORK).time()
    if window[0] < local < window[1]:
        return (f"{tif.value} orders are not accepted between {window[0]:%H:%M} and {window[1]:%H:%M} ET "
                f"(the {AUCTION_NAMES[tif]} auction's cut-off)")
    return None


def cancel_closed(tif: TimeInForce, now: datetime, session_open: datetime, session_close: datetime) -> bool:
    """An auction order of today's session past its cut-off: no longer cancelable."""
    cutoff = CANCEL_CUTOFF.get(tif)
    if cutoff is None:
        return False
    local = now.astimezone(NEW_YORK)
    end = session_open if tif is TimeInForce.OPG else session_close
    return local.date() == end.astimezone(NEW_YORK).date() and cutoff < local.time() < end.astimezone(NEW_YORK).time()


__all__ = ["CANCEL_CUTOFF", "WINDOWS", "cancel_closed", "refused_at"]
