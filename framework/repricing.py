"""Marketable limits left unfilled: re-priced, then canceled (``orders.reprice_after_minutes``).

Policy only (no I/O): :func:`due` says, for the venue's time and the latest trades, which
resting marketable limits to re-price (a new limit at the latest trade ± the collar, through
the venue's cancel/replace) and which to cancel (re-priced ``orders.reprice_times`` already).
Each replacement has a client id derived from the order it replaces (:func:`replacement_id`),
so a restart derives the same id and looks it up instead of replacing twice; the order
manager journals it as an intent before the replace goes out (:meth:`OrderManager.reprice`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from framework.enums import OrderType, TimeInForce
from framework.orders import Order, is_protective

GENERATION = re.compile(r"-rp(\d{2})$")


def generation(client_order_id: str) -> int:
    """How many times the order behind ``client_order_id`` was re-priced already."""
    found = GENERATION.search(client_order_id)
    return int(found[1]) if found else 0


def replacement_id(client_order_id: str) -> str:
    """The id of the replacement of ``client_order_id`` (≤ 48 characters)."""
    n = generation(client_order_id) + 1
    digest = hashlib.sha256(f"{client_order_id}|rp{n}".encode()).hexdigest()[:8]
    return f"{client_order_id[:31]}-{digest}-rp{n:02d}"


@dataclass(frozen=True, slots=True)
class Reprice:
    order: Order
    limit_price: Decimal | None  # None: cancel it
    client_order_id: str | None = None


def due(
    orders: Iterable[Order],
    now: datetime,
    *,
    after_minutes: float,
    times: int,
    collar_bps: float,
    latest: Mapping[str, float],
    round_price: Callable[[float], Decimal],
) -> list[Reprice]:
    """What to do with each open DAY limit (the marketable limits) resting longer than
    ``after_minutes`` on the venue's clock: re-price at the latest trade ± the collar, or
    cancel once re-priced ``times`` times (or when no latest trade is known)."""
    wait = timedelta(minutes=after_minutes)
    out = []
    for o in orders:
        if (o.type is not OrderType.LIMIT or o.time_in_force is not TimeInForce.DAY or is_protective(o)
                or not o.is_open or o.broker_order_id is None or now - o.created_at < wait):
            continue
        price = latest.get(o.symbol)
        if generation(o.client_order_id) >= times or price is None or not price > 0:
            out.append(Reprice(o, None))
            continue
        limit = round_price(price * (1 + collar_bps / 1e4 * o.side.sign))
        if limit != o.limit_price:
            out.append(Reprice(o, limit, replacement_id(o.client_order_id)))
    return out


__all__ = ["Reprice", "due", "generation", "replacement_id"]
