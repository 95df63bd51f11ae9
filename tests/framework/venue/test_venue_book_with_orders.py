"""VenueBook.with_orders (a field copy, for speed) is dataclasses.replace plus the shared caches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from framework.enums import OrderSide, OrderType
from framework.venue import BookOrder, BookPosition, VenueBook
from framework.venue.book import AssetFlags


def test_with_orders_equals_replace_and_shares_the_valuation() -> None:
    book = VenueBook(cash=Decimal("1000"), positions={"AAA": BookPosition(Decimal("3"), Decimal("10"))},
                     prices={"BBB": Decimal("5")}, market_open=True, assets={"AAA": AssetFlags(shortable=False)},
                     now=datetime(2024, 1, 2, tzinfo=UTC))
    assert book.equity == Decimal("1030")
    memo = book.order_values  # filled by buying_power: kept by every book made from this one
    orders = (BookOrder("1", "BBB", OrderSide.BUY, OrderType.MARKET, Decimal("2")),)
    new = book.with_orders(orders)
    assert new == replace(book, open_orders=orders)
    assert new.open_orders == orders and book.open_orders == ()
    assert new.__dict__["_values"] is book.__dict__["_values"]  # positions valued once
    assert new.order_values is memo
    assert book.with_orders(()).with_orders(orders) == new
    assert type(new) is VenueBook
