"""The book's caches answer exactly as the plain computations they replace (issue 31): the orders
indexed by symbol as a scan of every open order, the one-pass valuation as the two sums."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from venue_books import book, resting

from framework.enums import OrderSide, OrderType
from framework.venue import VenueBook
from framework.venue.book import ZERO
from framework.venue.reservations import held_for_orders, holding_orders, qty_available

SYMBOLS = ["AAA", "BBB", "CCC", "DDD"]
qtys = st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=3)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=4)
orders = st.lists(
    st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(list(OrderSide)),
              st.decimals(min_value=Decimal(0), max_value=Decimal(300), places=2),
              st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.STOP])),
    max_size=12)
holdings = st.dictionaries(st.sampled_from(SYMBOLS), st.tuples(qtys, prices), max_size=4)


def _book(held: dict[str, tuple[Decimal, Decimal]], wanted: list[tuple]) -> VenueBook:
    resting_orders = [resting(f"o{i}", side, qty, symbol, kind, limit=Decimal(10), stop=Decimal(12))
                      for i, (symbol, side, qty, kind) in enumerate(wanted)]
    return book(cash=Decimal("12345.67"), positions=held, orders=resting_orders)


@given(held=holdings, wanted=orders, first=orders)
def test_orders_by_symbol_are_the_scan_of_every_open_order(held: dict, wanted: list, first: list) -> None:
    earlier = _book(held, first)
    earlier.orders_for("AAA")  # an index built for other orders is not the new book's
    b = earlier.with_orders(_book(held, wanted).open_orders)
    for symbol in [*SYMBOLS, "ZZZ"]:
        scan = [o for o in b.open_orders if o.symbol == symbol]
        assert b.orders_for(symbol) == scan
        side = OrderSide.SELL if b.position_qty(symbol) > 0 else OrderSide.BUY if b.position_qty(symbol) < 0 else None
        holding = [o for o in scan if o.side is side and o.remaining_qty > 0]
        assert holding_orders(b, symbol) == holding
        held_qty = sum((o.remaining_qty for o in holding), ZERO)
        assert held_for_orders(b, symbol) == held_qty
        assert qty_available(b, symbol) == max(abs(b.position_qty(symbol)) - held_qty, ZERO)
    b.orders_for("AAA").clear()  # a caller's list is its own
    assert b.orders_for("AAA") == [o for o in b.open_orders if o.symbol == "AAA"]


@given(held=holdings, cash=st.decimals(min_value=Decimal(-1000), max_value=Decimal(10**6), places=2))
def test_one_pass_valuation_is_the_two_sums_to_the_digit(held: dict, cash: Decimal) -> None:
    b = book(cash=cash, positions=held)
    values = [p.qty * p.last_price for p in b.positions.values()]
    long, short = sum((v for v in values if v > 0), ZERO), -sum((v for v in values if v < 0), ZERO)
    for mine, theirs in ((b.long_value, long), (b.short_value, short), (b.equity, cash + long - short)):
        assert mine == theirs and str(mine) == str(theirs)  # the same digits and exponent, not only the value
