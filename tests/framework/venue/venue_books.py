"""Hand-made books and orders for the venue model's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from framework.enums import OrderSide, OrderType, TimeInForce
from framework.orders import Order
from framework.venue import AssetFlags, BookOrder, BookPosition, VenueBook

T = datetime(2020, 1, 2, 21, tzinfo=UTC)


def D(x: object) -> Decimal:
    return Decimal(str(x))


def book(
    cash: object = 100_000,
    positions: dict[str, tuple[object, object]] | None = None,
    orders: list[BookOrder] | None = None,
    prices: dict[str, object] | None = None,
    assets: dict[str, AssetFlags] | None = None,
) -> VenueBook:
    return VenueBook(
        cash=D(cash),
        positions={s: BookPosition(D(q), D(p)) for s, (q, p) in (positions or {}).items()},
        open_orders=tuple(orders or ()),
        prices={s: D(p) for s, p in (prices or {}).items()},
        assets=assets or {},
    )


def order(
    side: OrderSide = OrderSide.BUY,
    qty: object = 10,
    symbol: str = "AAPL",
    kind: OrderType = OrderType.MARKET,
    tif: TimeInForce = TimeInForce.DAY,
    cid: str = "o-1",
    **kw: object,
) -> Order:
    return Order(client_order_id=cid, symbol=symbol, side=side, type=kind, qty=D(qty), time_in_force=tif,
                 created_at=T, **kw)  # type: ignore[arg-type]


def resting(oid: str, side: OrderSide, qty: object, symbol: str = "AAPL", kind: OrderType = OrderType.MARKET,
            limit: object = None, stop: object = None) -> BookOrder:
    return BookOrder(oid, symbol, side, kind, D(qty), None if limit is None else D(limit),
                     None if stop is None else D(stop))
