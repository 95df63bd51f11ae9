"""Foreign orders: orders at the venue the engine did not place (by hand in the broker's UI, by
another program). An order is the engine's only if it has a journaled intent; a foreign one is
reported once and kept apart: never counted as pending, never cancelled (except by `flatten`,
which closes the account), and what its fills moved is taken out of the venue's positions and
cash before they are compared with our books, so a manual buy is never adopted and sold as our
exit, and a manual sale never adopted as ours to buy back. A fill's shares are counted as the
venue holds them now: restated by every split of its symbol gone ex after the day it filled
(like our own holdings), or a person's shares split after their fill would be taken for ours —
a short of ours after a 1-for-2, which the engine then "exits" by buying (found by seed 230)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from framework.orders import Order
from framework.positions import Position
from framework.venue import CorporateAction
from framework.venue_time import VENUE_ZONE


def describe(order: Order) -> str:
    """One line a person recognises the order by."""
    price = (f" at {order.stop_price}" if order.stop_price is not None else "") + (
        f" limit {order.limit_price}" if order.limit_price is not None else "")
    return (f"{order.side.value} {order.qty} {order.symbol} {order.type.value}{price} "
            f"{order.time_in_force.value} ({order.client_order_id}, {order.status.value})")


def held_now(order: Order, splits: Iterable[CorporateAction] = ()) -> Decimal:
    """The order's filled shares as held now: times each split of its symbol going ex after the
    venue's day of its fill (a split at an ex-date's open comes before that day's fills)."""
    when = order.updated_at or order.created_at
    filled_on = when.astimezone(VENUE_ZONE).date()
    qty = order.filled_qty
    for split in splits:
        if split.symbol == order.symbol and split.ex_date > filled_on:
            qty *= split.value
    return qty


def net_fills(foreign: Iterable[Order], splits: Iterable[CorporateAction] = ()) -> tuple[dict[str, Decimal], Decimal]:
    """What the foreign orders' fills moved: signed quantity per symbol (in today's shares,
    ``splits`` applied), and cash (a split moves none)."""
    splits = list(splits)
    qty: dict[str, Decimal] = {}
    cash = Decimal(0)
    for o in foreign:
        if not o.filled_qty:
            continue
        qty[o.symbol] = qty.get(o.symbol, Decimal(0)) + o.side.sign * held_now(o, splits)
        cash -= o.side.sign * o.filled_qty * (o.filled_avg_price or Decimal(0))
    return qty, cash


def ours(positions: Iterable[Position], cash: Decimal, foreign: Iterable[Order],
         splits: Iterable[CorporateAction] = ()) -> tuple[list[Position], Decimal]:
    """The venue's positions and cash less what foreign fills moved: the account as our own
    orders made it (what reconciliation compares our books with). ``splits``: the venue's
    splits known (the journal's ``venue_splits``)."""
    moved, moved_cash = net_fills(foreign, splits)
    out = []
    seen = set()
    for p in positions:
        seen.add(p.symbol)
        qty = p.qty - moved.get(p.symbol, Decimal(0))
        if qty:
            out.append(Position(p.symbol, qty, p.avg_entry_price, p.market_price))
    out += [Position(s, -q, Decimal(0)) for s, q in sorted(moved.items()) if s not in seen and q]
    return out, cash - moved_cash


__all__ = ["describe", "held_now", "net_fills", "ours"]
