"""Alpaca's order rules on hand-made books: each refusal with Alpaca's status, code and message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from venue_books import D, book, order, resting

from framework.config.venue import VenueConfig
from framework.enums import OrderSide, OrderType, Rule, TimeInForce, VenueProfile
from framework.errors import (
    BelowMinimumOrder,
    FractionalNotAllowed,
    InsufficientBuyingPower,
    InsufficientQtyAvailable,
    InvalidPriceIncrement,
    NotShortable,
)
from framework.venue import AssetFlags, Venue, venue_from_config

BUY, SELL = OrderSide.BUY, OrderSide.SELL
VENUE = venue_from_config(VenueConfig())
PRICES = {"AAPL": 100}


def check(o, b, venue: Venue = VENUE):
    return venue.check(o, b)


def test_a_plain_market_buy_passes() -> None:
    assert check(order(qty=10), book(prices=PRICES)) is None


@pytest.mark.parametrize(("kw", "message"), [
    ({"kind": OrderType.LIMIT, "limit_price": D("100.125")},
     "invalid limit_price 100.125. sub-penny increment does not fulfill minimum pricing criteria"),
    ({"kind": OrderType.STOP, "stop_price": D("0.12345"), "side": SELL},
     "invalid stop_price 0.12345. sub-penny increment does not fulfill minimum pricing criteria"),
])
def test_sub_penny_prices_are_refused(kw: dict, message: str) -> None:
    found = check(order(**kw), book(positions={"AAPL": (10, 100)}, prices=PRICES))
    assert found is not None and (found.rule, found.status, found.code, found.message) == (
        Rule.PRICE_INCREMENT, 422, 42210000, message)
    assert isinstance(found.error("submit o-1"), InvalidPriceIncrement)


def test_a_fractional_gtc_stop_is_refused_as_alpaca_does() -> None:
    o = order(SELL, "2.5", kind=OrderType.STOP, stop_price=D(90), tif=TimeInForce.GTC)
    found = check(o, book(positions={"AAPL": ("2.5", 100)}, prices=PRICES))
    assert found is not None and (found.status, found.code, found.message) == (
        422, 42210000, "fractional orders must be DAY orders")
    assert type(found.error("x")) is FractionalNotAllowed


def test_fractional_rules_type_asset_and_shorts() -> None:
    b = book(positions={"AAPL": ("2.5", 100)}, prices=PRICES)
    trail = order(SELL, "2.5", kind=OrderType.TRAILING_STOP, trail_percent=D(5))
    assert check(trail, b).message == "fractional orders are not supported for trailing_stop orders"
    assert check(order(SELL, "2.5"), b) is None  # selling the fractional long out is fine
    assert check(order(SELL, "3.5"), b).message == "fractional orders cannot be sold short"
    assert check(order(SELL, "0.5", symbol="MSFT"), book(prices={"MSFT": 50})).message == (
        "fractional orders cannot be sold short")
    locked = book(prices=PRICES, assets={"AAPL": AssetFlags(fractionable=False)})
    assert check(order(BUY, "0.5"), locked).message == "asset AAPL is not fractionable"


def test_notional_orders_are_fractional() -> None:
    o = order(qty=1).evolve(qty=None, notional=D(250))
    assert check(o, book(prices=PRICES)) is None
    assert VENUE.ticket(o, book(prices=PRICES)).qty == D("2.5")


def test_shorts_need_margin_equity_and_an_easy_to_borrow_asset() -> None:
    rich = book(prices=PRICES)
    assert check(order(SELL, 10), rich) is None
    poor = book(cash=1500, prices=PRICES)
    found = check(order(SELL, 10), poor)
    assert (found.rule, found.status, found.message) == (Rule.SHORTABLE, 403, "account is not allowed to short")
    cash_account = venue_from_config(VenueConfig(margin_multiplier=1))
    assert check(order(SELL, 10), rich, cash_account).message == "account is not allowed to short"
    htb = venue_from_config(VenueConfig(hard_to_borrow=["AAPL"]))
    found = check(order(SELL, 10), rich, htb)
    assert (found.status, found.code, found.message) == (422, 42210000, "asset AAPL cannot be sold short")
    assert type(found.error("x")) is NotShortable
    assert check(order(SELL, 10), book(prices=PRICES, assets={"AAPL": AssetFlags(shortable=False)})) is not None


def test_one_order_cannot_go_from_long_to_short() -> None:
    found = check(order(SELL, 15), book(positions={"AAPL": (10, 100)}, prices=PRICES))
    assert (found.rule, found.status, found.code) == (Rule.LONG_TO_SHORT, 403, 40310000)
    assert found.message == "insufficient qty available for order (requested: 15, available: 10)"
    assert type(found.error("x")) is InsufficientQtyAvailable
    # and the other way: covering more than the short
    found = check(order(BUY, 15), book(positions={"AAPL": (-10, 100)}, prices=PRICES))
    assert found.rule is Rule.LONG_TO_SHORT


def test_shares_held_by_a_resting_stop_cannot_be_sold_again() -> None:
    stop = resting("stop-1", SELL, 10, kind=OrderType.STOP, stop=90)
    b = book(positions={"AAPL": (10, 100)}, orders=[stop], prices=PRICES)
    found = check(order(SELL, 10), b)
    assert (found.rule, found.status, found.code) == (Rule.QTY_AVAILABLE, 403, 40310000)
    assert found.message == "insufficient qty available for order (requested: 10, available: 0)"
    assert found.body() == {
        "available": "0", "existing_qty": "10", "held_for_orders": "10", "related_orders": ["stop-1"],
        "symbol": "AAPL", "code": 40310000, "message": found.message,
    }
    assert VENUE.qty_available(b, "AAPL") == 0
    assert check(order(SELL, 10), b.without("stop-1")) is None  # cancel the stop first, then sell


def test_a_buy_under_a_dollar_is_refused() -> None:
    found = check(order(BUY, "0.005"), book(prices=PRICES))
    assert (found.rule, found.status, found.code, found.message) == (
        Rule.MINIMUM_ORDER, 403, 40310000, "cost basis must be >= minimal amount of order 1")
    assert type(found.error("x")) is BelowMinimumOrder
    assert check(order(SELL, "0.005"), book(positions={"AAPL": (1, 100)}, prices=PRICES)) is None


def test_buying_power_is_checked_at_submission() -> None:
    # $100k cash, multiplier 2: $200k. 2,001 shares at $100 is $200,100.
    found = check(order(BUY, 2001), book(prices=PRICES))
    assert (found.rule, found.status, found.code, found.message) == (
        Rule.BUYING_POWER, 403, 40310000, "insufficient buying power")
    assert found.details == {"buying_power": "200000.00", "cost_basis": "200100.00"}
    assert type(found.error("x")) is InsufficientBuyingPower
    assert check(order(BUY, 2000), book(prices=PRICES)) is None


def test_a_market_buy_is_valued_at_the_latest_trade_and_a_limit_at_its_limit() -> None:
    b = book(cash=1000, prices=PRICES)  # under $2,000: multiplier 1, $1,000 to spend
    assert check(order(BUY, 10), b) is None
    assert check(order(BUY, 11), b).rule is Rule.BUYING_POWER
    assert check(order(BUY, 11, kind=OrderType.LIMIT, limit_price=D(90)), b) is None


def test_error_text_names_action_status_code_and_message() -> None:
    found = check(order(BUY, 2001), book(prices=PRICES))
    error = found.error("submit o-1")
    assert str(error) == "submit o-1: HTTP 403 (code 40310000): insufficient buying power"
    assert error.reason == "insufficient buying power" and error.rule is Rule.BUYING_POWER
    assert error.details["cost_basis"] == "200100.00" and error.status_code == 403


def test_rules_answer_in_alpacas_order() -> None:
    # sub-penny and over the buying power: the 422 comes first
    o = order(BUY, 5000, kind=OrderType.LIMIT, limit_price=D("100.001"))
    assert check(o, book(prices=PRICES)).rule is Rule.PRICE_INCREMENT


def test_the_venue_rounds_prices_and_knows_fractions() -> None:
    assert VENUE.round_price(12.3456) == Decimal("12.35")
    assert VENUE.is_fractional(D("1.5")) and not VENUE.is_fractional(D(2))
    assert VENUE.min_order_notional == Decimal(1) and VENUE.profile is VenueProfile.ALPACA_PAPER


def test_an_order_is_priced_once_a_check(monkeypatch) -> None:
    """The minimum order and the buying power both value a buy by its unit value: worked out
    once, in the ticket (issue 31: the same order was priced twice a check)."""
    import framework.venue.rules as rules

    calls: list[str] = []
    priced = rules.unit_value

    def counted(b, symbol, *args):  # type: ignore[no-untyped-def]
        calls.append(symbol)
        return priced(b, symbol, *args)

    monkeypatch.setattr(rules, "unit_value", counted)
    assert check(order(qty=10), book(prices=PRICES)) is None
    assert calls == ["AAPL"]
    calls.clear()  # a sell that only closes opens nothing: it is not priced at all
    assert check(order(qty=5, side=SELL), book(positions={"AAPL": (10, 100)})) is None
    assert calls == []
