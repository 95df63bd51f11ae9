"""The sandbox account's views (brokers/sandbox/account.py) and the market's quotes on its clock
(brokers/sandbox/quotes.py), judged directly on hand-made values: the venue's book of the
account, ``/v2/account``'s figures and a position's, each worked out by hand."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from brokers.sandbox.account import AccountView, PositionView, venue_book
from brokers.sandbox.ledger import Holding, Ledger
from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.quotes import Quotes
from brokers.sandbox.wire import position_json
from framework.data import MarketData
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.venue import BookOrder, BookPosition, MarginFigures

NOON = datetime(2024, 1, 3, 12, 0, tzinfo=ZoneInfo("America/New_York"))


class Priced:
    """Prices as a hand-made table (NaN: no price known)."""

    is_open = True
    now = NOON

    def __init__(self, prices: dict[str, float]) -> None:
        self.prices = prices

    def latest_trade(self, symbol: str) -> float:
        return self.prices.get(symbol, math.nan)


def test_the_venues_book_holds_cash_positions_working_orders_and_the_prices_they_name() -> None:
    ledger = Ledger(1000.0, 1000.0, {"AAA": Holding(10.0, 500.0), "ZZZ": Holding(-2.0, -80.0)})
    resting = SandboxOrder("o1", "c1", "BBB", OrderSide.BUY, OrderType.LIMIT, TimeInForce.GTC, 4.0, NOON, NOON, NOON,
                           limit_price=20.5, filled_qty=1.0)
    book = venue_book(ledger, [resting], Priced({"AAA": 55.0, "BBB": 21.0, "CCC": 7.0}), "CCC")
    assert book.cash == Decimal("1000.0") and book.market_open and book.now == NOON
    assert book.positions == {"AAA": BookPosition(Decimal("10.0"), Decimal("55.0")),
                              "ZZZ": BookPosition(Decimal("-2.0"), Decimal("40.0"))}  # no price: its entry price
    assert book.open_orders == (BookOrder("o1", "BBB", OrderSide.BUY, OrderType.LIMIT, Decimal("3.0"), Decimal("20.5"),
                                     None),)
    assert book.prices == {"BBB": Decimal("21.0"), "CCC": Decimal("7.0")}


def test_the_account_view_values_longs_and_shorts_at_their_marks() -> None:
    ledger = Ledger(1000.0, 900.0, {"AAA": Holding(10.0, 500.0), "ZZZ": Holding(-2.0, -80.0)})
    margin = MarginFigures(2, Decimal(1), Decimal(2), Decimal(3), Decimal(3), Decimal(4))
    view = AccountView.of(ledger, {"AAA": 55.0, "ZZZ": 45.0}.__getitem__, margin)
    assert (view.long_market_value, view.short_market_value) == (550.0, -90.0)
    assert (view.cash, view.equity, view.last_equity, view.margin) == (1000.0, 1460.0, 900.0, margin)


def test_a_positions_view_and_its_alpaca_json() -> None:
    short = PositionView("ZZZ", -2.0, -80.0, 45.0, 50.0, available=1.0)
    assert (short.avg_entry_price, short.market_value) == (40.0, -90.0)
    wire = position_json(short)
    assert (wire["side"], wire["qty_available"], wire["unrealized_pl"], wire["change_today"]) == (
        "short", "-1.0", "-10.0", "-0.09999999999999998")


def test_quotes_read_a_session_by_index_and_skip_the_days_a_symbol_did_not_trade() -> None:
    days = pd.bdate_range("2024-01-02", periods=4)
    close = pd.DataFrame({"AAA": [10.0, np.nan, 12.0, 13.0]}, index=days)
    market = MarketData(close - 1, close + 1, close - 2, close, close * 0 + 100, pd.Series({"AAA": "Tech"}))
    quotes = Quotes(market)
    assert "AAA" in quotes and "BBB" not in quotes
    assert math.isnan(quotes.last_close("AAA", 0)) and math.isnan(quotes.last_close("BBB", 2))
    assert quotes.last_close("AAA", 2) == 10.0  # session 1 did not trade: the close before it
    assert quotes.last_close("AAA", 9) == 13.0  # past the data: the last close
    assert quotes.open("AAA", 2) == 11.0 and math.isnan(quotes.open("AAA", 1))
    assert quotes.lastday("AAA", 4) == 12.0 and quotes.lastday("AAA", 1) == 10.0
    bar = quotes.bar("AAA", 3)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (12.0, 14.0, 11.0, 13.0, 100.0)
