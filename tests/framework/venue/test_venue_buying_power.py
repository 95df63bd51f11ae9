"""Buying power and shares held for orders: Alpaca's formulas and the invariants they keep."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from venue_books import D, book, resting

from framework.config.venue import VenueConfig
from framework.enums import OrderSide, OrderType
from framework.venue import venue_from_config
from framework.venue.buying_power import initial_margin, maintenance_margin

BUY, SELL = OrderSide.BUY, OrderSide.SELL
MARGIN = venue_from_config(VenueConfig())
CASH_ACCOUNT = venue_from_config(VenueConfig(margin_multiplier=1))


def test_margin_account_gets_twice_equity_less_initial_margin() -> None:
    # $50k cash, 500 AAPL at $100: equity $100k, initial margin $25k → (100k − 25k) × 2.
    b = book(cash=50_000, positions={"AAPL": (500, 100)})
    assert b.equity == D(100_000)
    assert initial_margin(b, 2) == D(25_000)
    assert MARGIN.buying_power(b) == D(150_000)
    assert CASH_ACCOUNT.buying_power(b) == D(50_000)
    figures = MARGIN.margin(b)
    assert (figures.multiplier, figures.buying_power, figures.non_marginable_buying_power) == (2, D(150_000), D(50_000))
    assert figures.maintenance_margin == D(15_000)  # 30% of a long over $2.50


def test_below_2000_of_equity_the_multiplier_is_one() -> None:
    b = book(cash=1_999)
    assert MARGIN.multiplier(b) == 1 and MARGIN.buying_power(b) == D(1_999)


def test_open_buys_and_opening_shorts_reduce_it_closing_orders_do_not() -> None:
    base = book(cash=100_000, positions={"AAPL": (100, 100)}, prices={"AAPL": 100, "MSFT": 50})
    bp = MARGIN.buying_power(base)
    buy = resting("b", BUY, 10, "MSFT", OrderType.LIMIT, limit=40)
    assert MARGIN.buying_power(book(100_000, {"AAPL": (100, 100)}, [buy], {"AAPL": 100, "MSFT": 50})) == bp - 400
    short = resting("s", SELL, 10, "MSFT")  # opening short: 3% above the ask
    assert MARGIN.buying_power(book(100_000, {"AAPL": (100, 100)}, [short], {"AAPL": 100, "MSFT": 50})) == (
        bp - D("515.00"))
    sell = resting("x", SELL, 100, "AAPL")  # selling the long: frees nothing until it fills
    assert MARGIN.buying_power(book(100_000, {"AAPL": (100, 100)}, [sell], {"AAPL": 100, "MSFT": 50})) == bp


qtys = st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=3)
prices = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(1000), places=2)


@given(cash=st.decimals(min_value=Decimal(-50_000), max_value=Decimal(500_000), places=2), held=qtys, price=prices,
       pending=st.lists(qtys, max_size=4))
def test_pending_sells_never_add_buying_power(cash: Decimal, held: Decimal, price: Decimal,
                                              pending: list[Decimal]) -> None:
    without = book(cash, {"AAPL": (held, price)})
    sells = [resting(f"s{i}", SELL, q, kind=OrderType.STOP, stop=price / 2) for i, q in enumerate(pending)]
    with_sells = book(cash, {"AAPL": (held, price)}, sells)
    for venue in (MARGIN, CASH_ACCOUNT):
        assert venue.buying_power(with_sells) <= venue.buying_power(without)
        assert venue.buying_power(with_sells) >= 0


@given(held=st.decimals(min_value=Decimal(-1000), max_value=Decimal(1000), places=4),
       orders=st.lists(st.tuples(st.sampled_from([BUY, SELL]), qtys), max_size=5))
def test_qty_available_is_never_negative_nor_above_the_position(held: Decimal, orders: list) -> None:
    b = book(positions={"AAPL": (held, 10)}, orders=[resting(f"o{i}", s, q) for i, (s, q) in enumerate(orders)])
    available = MARGIN.qty_available(b, "AAPL")
    assert 0 <= available <= abs(held)


def test_maintenance_margin_table() -> None:
    b = book(cash=100_000, positions={"LOW": (100, 2), "SHRT": (-100, 4), "BIG": (-10, 100)})
    # LOW long under $2.50: 100% = 200; SHRT short under $5: max(400, 250) = 400;
    # BIG short over $5: max(30% of 1000, 10 × $5) = 300.
    assert maintenance_margin(b) == D(900)


@given(
    st.lists(
        st.tuples(st.sampled_from([BUY, SELL]), st.integers(1, 300), st.sampled_from(["AAPL", "MSFT", "XOM"])),
        max_size=8,
    )
)
def test_books_grown_order_by_order_grant_what_a_fresh_book_grants(orders) -> None:
    """The order manager grows one book per sent order (``with_orders``), sharing the values of
    the orders already valued: each step grants what a book built from scratch grants."""
    fields = {"cash": 60_000, "positions": {"AAPL": (200, 100), "XOM": (-50, 80)}, "prices": {"MSFT": 50}}
    grown = book(**fields)
    placed = []
    for i, (side, qty, symbol) in enumerate(orders):
        placed.append(resting(f"o{i}", side, qty, symbol))
        grown = grown.with_orders(tuple(placed))
        assert MARGIN.buying_power(grown) == MARGIN.buying_power(book(**fields, orders=placed))
        assert CASH_ACCOUNT.buying_power(grown) == CASH_ACCOUNT.buying_power(book(**fields, orders=placed))


# One account version's books as a decision and its fills make them: orders appended one by one
# (each judged against the ones before), and between two books some may leave (filled, canceled)
# while others come.
adds = st.lists(st.tuples(st.sampled_from(["AAPL", "MSFT", "XYZ"]), st.sampled_from([BUY, SELL]),
                          st.decimals(min_value=Decimal("0.001"), max_value=Decimal(900), places=3),
                          st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.STOP])), max_size=3)
steps = st.lists(st.tuples(st.lists(st.integers(min_value=0, max_value=20), max_size=2), adds), min_size=1,
                 max_size=20)


@given(steps=steps, cash=st.decimals(min_value=Decimal(-5_000), max_value=Decimal(300_000), places=2))
def test_the_books_of_a_version_total_their_orders_as_a_full_pass_does(steps: list, cash: Decimal) -> None:
    """The shared memo adds only the orders a book has beyond the last total (issue 31): every
    book's buying power is, to the digit, that of the same book valued from nothing."""
    positions = {"AAPL": (Decimal("120.5"), Decimal("101.37")), "XYZ": (Decimal(-40), Decimal("3.3333"))}
    prices = {"MSFT": Decimal("250.123456789")}
    base = book(cash, positions, prices=prices)
    MARGIN.buying_power(base)  # the version's memos exist before its books are made, as the simulators do
    orders: list = []
    for n, (drops, added) in enumerate(steps):
        for drop in drops:
            if orders:
                del orders[drop % len(orders)]
        for k, (symbol, side, qty, kind) in enumerate(added):
            orders.append(resting(f"o{n}.{k}", side, qty, symbol, kind, limit=Decimal("99.99"), stop=Decimal("101.01")))
        kept = base.with_orders(tuple(orders))
        fresh = book(cash, positions, orders, prices)  # no memo shared with any other book
        for venue in (MARGIN, CASH_ACCOUNT):
            assert str(venue.buying_power(kept)) == str(venue.buying_power(fresh))  # the same digits
