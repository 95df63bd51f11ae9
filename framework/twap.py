"""TWAP: a parent order sliced into children over a window, and its fill model on minute bars.

Policy only (no I/O). :func:`slice_parent` turns a parent into N children, one every
``window / N`` minutes from the window's start, each an order of its own with a client id
derived from the parent's (:func:`child_id`: deterministic, so a restart re-derives the same
ids and never sends a slice twice; the order manager journals each child as an intent before
sending it). :func:`fill_on_minutes` is the simulation: a child fills on the minute it is due,
at that minute's open moved by the venue's slippage (the market-order rule every simulator
fills by, :func:`framework.venue.matching.market_price`), taking at most ``participation_cap`` of
the minute's volume; what the cap leaves carries to the following minutes until the next
child is due (the last child: until the window ends); what is left then is unfilled.

Daily bars hold no minutes: a TWAP cannot be simulated on them. ``trade backtest --minutes
FILE`` simulates it on minute bars (the engine slices, :mod:`brokers.backtrader.minute_fills`
fills each child here); without them the backtest refuses the style
(:func:`framework.styles.require_daily_style`).

In paper the venue fills; what is ours is *when* each child goes: :func:`plan_children` says,
on the venue's clock, which journaled children are due (sent), which sent ones saw their turn
end (canceled: what they left, as the simulation leaves it) and which never went before their
turn ended (withdrawn). The service loop asks it at every step while the market is open.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

import pandas as pd

from framework.data.sessions import NEW_YORK, sessions
from framework.enums import OrderStatus, OrderType, TimeInForce
from framework.orders import Order
from framework.venue import Venue, matching

QTY_STEP = Decimal("0.000001")
OPEN_TIME = time(9, 30)  # New York: the regular session's open, where a TWAP window starts


def window_start(now: datetime, calendar: str) -> datetime:
    """The open of the session a decision made at ``now`` trades in: the same session's when
    ``now`` is before its open (paper's pre-open cycle), else the next session's (a backtest
    decides at the close)."""
    local = pd.Timestamp(now).tz_convert(NEW_YORK)
    for day in sessions(calendar, local.normalize().tz_localize(None), local.normalize().tz_localize(None)
                        + pd.Timedelta(days=10)):
        opens = datetime.combine(day.date(), OPEN_TIME, NEW_YORK)
        if opens >= now:
            return opens
    raise ValueError(f"no session of {calendar} opens within 10 days of {now}")


def window_end(child: Order, window_minutes: int) -> datetime:
    """The end of the TWAP window ``child`` belongs to: its session's open plus the window."""
    day = pd.Timestamp(child.created_at).tz_convert(NEW_YORK).date()
    return datetime.combine(day, OPEN_TIME, NEW_YORK) + timedelta(minutes=window_minutes)


def child_id(parent_id: str, k: int) -> str:
    """Slice ``k``'s client id: the parent's readable start, a digest of (parent, k), ``-twKK``
    (≤ 48 characters, Alpaca's limit)."""
    digest = hashlib.sha256(f"{parent_id}|{k}".encode()).hexdigest()[:8]
    return f"{parent_id[:31]}-{digest}-tw{k:02d}"


def _split(qty: Decimal, n: int) -> list[Decimal]:
    """``qty`` in ``n`` parts summing to it exactly: whole shares stay whole (the remainder
    goes to the first slices), fractions are cut to 6 decimals (the last slice takes the rest)."""
    if qty == qty.to_integral_value():
        base, extra = divmod(int(qty), n)
        return [Decimal(base + (1 if k < extra else 0)) for k in range(n)]
    part = (qty / n).quantize(QTY_STEP, rounding=ROUND_DOWN)
    return [part] * (n - 1) + [qty - part * (n - 1)]


def slice_parent(parent: Order, *, slices: int, window_minutes: int, start: datetime) -> list[Order]:
    """The children of ``parent``: market DAY orders, child k created at ``start + k × step``."""
    if parent.qty is None:
        raise ValueError(f"TWAP parent {parent.client_order_id} needs a quantity")
    step = timedelta(minutes=window_minutes / slices)
    out = []
    for k, qty in enumerate(_split(parent.qty, slices)):
        if qty <= 0:
            continue
        out.append(Order(
            client_order_id=child_id(parent.client_order_id, k), symbol=parent.symbol, side=parent.side,
            type=OrderType.MARKET, qty=qty, time_in_force=TimeInForce.DAY, created_at=start + k * step,
            decision_price=parent.decision_price, tag=parent.tag,
        ))
    return out


@dataclass(frozen=True, slots=True)
class ChildFill:
    client_order_id: str
    time: pd.Timestamp
    qty: Decimal
    price: float


@dataclass(frozen=True, slots=True)
class TwapOutcome:
    children: tuple[Order, ...]
    fills: tuple[ChildFill, ...]

    @property
    def filled_qty(self) -> Decimal:
        return sum((f.qty for f in self.fills), Decimal(0))

    @property
    def average_price(self) -> float:
        qty = float(self.filled_qty)
        return sum(float(f.qty) * f.price for f in self.fills) / qty if qty else math.nan


def _minute(bar: pd.Series) -> matching.Bar:
    """A minute bar for the fill rule: its open and volume; its range is not read (NaN), so a
    child's market fill is never capped at it, as it never was."""
    return matching.Bar(float(bar["open"]), math.nan, math.nan, math.nan, float(bar["volume"]))


def fill_on_minutes(
    children: list[Order], minutes: pd.DataFrame, *, participation_cap: float, venue: Venue, window_end: datetime
) -> TwapOutcome:
    """Fill ``children`` on ``minutes`` (one symbol's minute bars: a tz-aware index, columns
    open and volume). Returns the children as filled and every child fill."""
    times = minutes.index
    done, fills = [], []
    for k, child in enumerate(children):
        until = children[k + 1].created_at if k + 1 < len(children) else window_end
        due = minutes[(times >= pd.Timestamp(child.created_at)) & (times < pd.Timestamp(until))]
        left = child.qty or Decimal(0)
        for when, bar in due.iterrows():
            if left <= 0:
                break
            room = Decimal(math.floor(float(bar["volume"]) * participation_cap))
            take = min(left, room)
            if take <= 0 or not math.isfinite(float(bar["open"])):
                continue
            price = matching.market_price(venue, child.side, _minute(bar))
            fills.append(ChildFill(child.client_order_id, when, take, price))
            left -= take
        filled = (child.qty or Decimal(0)) - left
        done.append(replace(child, filled_qty=filled))
    return TwapOutcome(tuple(done), tuple(fills))


def turn_ends(children: Sequence[Order], window_minutes: int) -> dict[str, datetime]:
    """When each child's turn ends (one parent's children): the next child's minute; the last
    child's, the window's end. What a child has left then is not worked any more."""
    ordered = sorted(children, key=lambda c: c.created_at)
    if not ordered:
        return {}
    ends = [c.created_at for c in ordered[1:]] + [window_end(ordered[0], window_minutes)]
    return {c.client_order_id: end for c, end in zip(ordered, ends, strict=True)}


@dataclass(frozen=True, slots=True)
class ChildPlan:
    """What the venue's clock asks of the TWAP children at ``now``."""

    send: tuple[Order, ...] = ()  # due and never sent
    cancel: tuple[Order, ...] = ()  # sent, still working, their turn over
    withdraw: tuple[Order, ...] = ()  # never sent, their turn over
    next_at: datetime | None = None  # the next moment one of them is due or ends its turn


def _parent_of(child: Order) -> tuple[str, str, object]:
    """One parent's children: one symbol, one side, one session (the engine slices one parent
    per symbol per decision)."""
    return child.symbol, child.side.value, pd.Timestamp(child.created_at).tz_convert(NEW_YORK).date()


def plan_children(children: Iterable[Order], now: datetime, window_minutes: int) -> ChildPlan:
    """Which TWAP children to send, cancel or withdraw at ``now`` (``children``: every child
    known, any status: a parent's turns are read from all its children)."""
    groups: dict[tuple[str, str, object], list[Order]] = {}
    for child in children:
        groups.setdefault(_parent_of(child), []).append(child)
    send, cancel, withdraw, upcoming = [], [], [], []
    for siblings in groups.values():
        ends = turn_ends(siblings, window_minutes)
        for child in sorted(siblings, key=lambda c: c.created_at):
            end = ends[child.client_order_id]
            if child.status is OrderStatus.CREATED:
                if now >= end:
                    withdraw.append(child)
                elif child.created_at <= now:
                    send.append(child)
                    upcoming.append(end)
                else:
                    upcoming.append(child.created_at)
            elif child.is_open:
                if now >= end:
                    cancel.append(child)
                else:
                    upcoming.append(end)
    return ChildPlan(tuple(send), tuple(cancel), tuple(withdraw), min(upcoming, default=None))


__all__ = [
    "ChildFill", "ChildPlan", "TwapOutcome", "child_id", "fill_on_minutes", "plan_children", "slice_parent",
    "turn_ends", "window_end", "window_start",
]
