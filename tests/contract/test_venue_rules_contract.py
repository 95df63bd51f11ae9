"""The venue model's rules over both venues: the simulator refuses what the sandbox (as Alpaca)
refuses, with the same typed error and the very same words; both grant the same buying power,
free nothing for pending sells, charge and pay the same at corporate actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from venues import CASH, FIRST_FILL, VENUES, Played, market, sessions, settings, with_actions

from framework.broker import Broker
from framework.config import Settings
from framework.enums import OrderSide, OrderType, Rule, TimeInForce
from framework.errors import (
    BelowMinimumOrder,
    FractionalNotAllowed,
    InsufficientBuyingPower,
    InsufficientQtyAvailable,
    InvalidPriceIncrement,
    NotShortable,
    OrderRejected,
)
from framework.orders import Order
from framework.venue import venue_from_config

pytestmark = pytest.mark.parametrize("venue", sorted(VENUES))


def _order(cid: str, now: datetime, side: OrderSide = OrderSide.BUY, qty: object = 10, symbol: str = "AAPL",
           **kw: object) -> Order:
    return Order(client_order_id=cid, symbol=symbol, side=side, qty=Decimal(str(qty)), created_at=now, **kw)  # type: ignore[arg-type]


def _refusal(call: Callable[[], object]) -> tuple[Any, ...] | None:
    """What a refusal says, as the contract holds it: class, text, rule, body fields (the ids of
    related orders are each venue's own, so only their number is compared)."""
    try:
        call()
    except OrderRejected as e:
        details = {k: v for k, v in e.details.items() if k != "related_orders"}
        return type(e), str(e), e.rule, details, len(e.details.get("related_orders", []))
    return None


def _play(venue: str, steps: list, tmp_path, cfg: Settings | None = None, data: Any = None) -> Played:
    return VENUES[venue](steps, tmp_path, cfg, data)


def _refused_at_once(venue: str, tmp_path, order: Callable[[datetime], Order], cfg: Settings | None = None
                     ) -> tuple[Any, ...] | None:
    steps = [lambda b, now: _refusal(lambda: b.submit_order(order(now))),
             lambda b, now: b.get_order_by_client_id(order(now).client_order_id)]
    refusal, after = _play(venue, steps, tmp_path, cfg).returns
    assert after is None  # a refused order does not exist at the venue
    return refusal


def _text(cid: str, status: int, code: int, message: str) -> str:
    return f"submit {cid}: HTTP {status} (code {code}): {message}"


def test_a_sub_penny_limit_is_refused(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order(
        "sub", now, type=OrderType.LIMIT, limit_price=Decimal("100.123")))
    message = "invalid limit_price 100.123. sub-penny increment does not fulfill minimum pricing criteria"
    assert refusal == (InvalidPriceIncrement, _text("sub", 422, 42210000, message), Rule.PRICE_INCREMENT, {}, 0)


def test_a_fractional_gtc_order_is_refused(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order(
        "frac-gtc", now, qty="0.5", time_in_force=TimeInForce.GTC))
    assert refusal == (FractionalNotAllowed, _text("frac-gtc", 422, 42210000, "fractional orders must be DAY orders"),
                       Rule.FRACTIONAL, {}, 0)


def test_a_fractional_short_is_refused(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order("frac-short", now, OrderSide.SELL, qty="0.5"))
    assert refusal == (FractionalNotAllowed,
                       _text("frac-short", 422, 42210000, "fractional orders cannot be sold short"), Rule.FRACTIONAL,
                       {}, 0)


def test_a_short_in_a_hard_to_borrow_asset_is_refused(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order("htb", now, OrderSide.SELL),
                               settings(hard_to_borrow=["AAPL"]))
    assert refusal == (NotShortable, _text("htb", 422, 42210000, "asset AAPL cannot be sold short"), Rule.SHORTABLE,
                       {}, 0)


def test_a_cash_account_cannot_short(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order("cash-short", now, OrderSide.SELL),
                               settings(margin_multiplier=1))
    assert refusal == (NotShortable, _text("cash-short", 403, 40310000, "account is not allowed to short"),
                       Rule.SHORTABLE, {}, 0)


def test_a_buy_under_a_dollar_is_refused(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order("tiny", now, qty="0.005"))
    assert refusal == (BelowMinimumOrder,
                       _text("tiny", 403, 40310000, "cost basis must be >= minimal amount of order 1"),
                       Rule.MINIMUM_ORDER, {}, 0)


def test_a_buy_beyond_the_buying_power_is_refused(venue, tmp_path) -> None:
    refusal = _refused_at_once(venue, tmp_path, lambda now: _order("huge", now, qty=2000))
    close = Decimal(str(market().close["AAPL"].loc[sessions(1)[0]]))
    details = {"buying_power": f"{Decimal(CASH) * 2:.2f}", "cost_basis": f"{close * 2000:.2f}"}
    assert refusal == (InsufficientBuyingPower, _text("huge", 403, 40310000, "insufficient buying power"),
                       Rule.BUYING_POWER, details, 0)


def test_one_order_cannot_go_from_long_to_short(venue, tmp_path) -> None:
    steps = [lambda b, now: b.submit_order(_order("in", now)),
             lambda b, now: _refusal(lambda: b.submit_order(_order("cross", now, OrderSide.SELL, qty=15)))]
    refusal = _play(venue, steps, tmp_path).returns[1]
    message = "insufficient qty available for order (requested: 15, available: 10)"
    details = {"available": "10", "existing_qty": "10", "held_for_orders": "0", "symbol": "AAPL"}
    assert refusal == (InsufficientQtyAvailable, _text("cross", 403, 40310000, message), Rule.LONG_TO_SHORT,
                       details, 0)


def test_shares_held_by_a_resting_stop_cannot_be_sold_until_it_is_canceled(venue, tmp_path) -> None:
    def stop_then_sell(b: Broker, now: datetime) -> tuple[Any, ...]:
        stop = b.submit_order(_order("stop", now, OrderSide.SELL, type=OrderType.STOP, stop_price=Decimal("50.00"),
                                     time_in_force=TimeInForce.GTC))
        refused = _refusal(lambda: b.submit_order(_order("exit", now, OrderSide.SELL)))
        b.cancel_order(stop.broker_order_id)  # type: ignore[arg-type]
        canceled = b.get_order_by_client_id("stop")
        after = b.submit_order(_order("exit-2", now, OrderSide.SELL))
        return refused, canceled.status.value if canceled else None, after.client_order_id  # type: ignore[union-attr]

    steps = [lambda b, now: b.submit_order(_order("in", now)), stop_then_sell,
             lambda b, now: [(p.symbol, p.qty) for p in b.get_positions()]]
    played = _play(venue, steps, tmp_path)
    refused, canceled, sent = played.returns[1]
    message = "insufficient qty available for order (requested: 10, available: 0)"
    details = {"available": "0", "existing_qty": "10", "held_for_orders": "10", "symbol": "AAPL"}
    assert refused == (InsufficientQtyAvailable, _text("exit", 403, 40310000, message), Rule.QTY_AVAILABLE, details, 1)
    assert (canceled, sent) == ("canceled", "exit-2")  # the cancel is confirmed at once; then the exit goes
    assert played.returns[2] == []


def test_pending_sells_free_no_buying_power_until_they_fill(venue, tmp_path) -> None:
    cfg = settings(margin_multiplier=1)  # a cash account: buying power is the cash

    def sell_then_buy(b: Broker, now: datetime) -> tuple[Any, ...]:
        b.submit_order(_order("out", now, OrderSide.SELL, qty=500))
        return _refusal(lambda: b.submit_order(_order("swap", now, qty=200, symbol="MSFT"))), b.get_account()

    def buy_again(b: Broker, now: datetime) -> str:
        return b.submit_order(_order("swap-2", now, qty=200, symbol="MSFT")).client_order_id

    steps = [lambda b, now: b.submit_order(_order("in", now, qty=500)), sell_then_buy, buy_again]
    played = _play(venue, steps, tmp_path, cfg)
    (refused, account), sent = played.returns[1], played.returns[2]
    assert refused is not None and refused[0] is InsufficientBuyingPower
    assert float(account.buying_power) == pytest.approx(float(account.cash), abs=1e-6)  # the sell added nothing
    assert sent == "swap-2"  # once the sell filled, the same buy goes


def test_both_venues_grant_the_same_buying_power(venue, tmp_path) -> None:
    steps = [lambda b, now: b.submit_order(_order("in", now, qty=300)), lambda b, now: b.get_account()]
    account = _play(venue, steps, tmp_path).returns[1]
    fill_price = venue_from_config(settings().venue).slipped_price(float(market().open["AAPL"].loc[FIRST_FILL]),
                                                                   OrderSide.BUY)
    close = float(market().close["AAPL"].loc[FIRST_FILL])
    cash = CASH - 300 * fill_price
    equity = cash + 300 * close
    assert float(account.buying_power) == pytest.approx((equity - 0.5 * 300 * close) * 2, abs=1e-4)


@pytest.mark.parametrize("profile", ["alpaca_paper", "alpaca_live"])
def test_a_dividend_is_cash_on_its_ex_date_where_the_profile_pays_it(venue, profile, tmp_path) -> None:
    days = sessions(3)
    data = with_actions(market(), dividends={(str(days[2].date()), "AAPL"): 0.77})
    steps = [lambda b, now: b.submit_order(_order("in", now)), lambda b, now: None,
             lambda b, now: (b.get_account(), [(p.symbol, p.qty) for p in b.get_positions()])]
    played = _play(venue, steps, tmp_path, settings(profile=profile), data)
    account, positions = played.returns[2]
    fill = next(u.fill for u in played.updates if u.fill)
    paid = 10 * 0.77 if profile == "alpaca_live" else 0.0
    assert float(account.cash) == pytest.approx(CASH - 10 * float(fill.price) + paid, abs=1e-6)
    assert positions == [("AAPL", Decimal(10))]


def test_a_split_changes_share_counts_and_cancels_resting_orders(venue, tmp_path) -> None:
    days = sessions(3)
    data = with_actions(market(), splits={(str(days[2].date()), "AAPL"): 2.0})

    def rest(b: Broker, now: datetime) -> None:
        b.submit_order(_order("stop", now, OrderSide.SELL, type=OrderType.STOP, stop_price=Decimal("50.00"),
                              time_in_force=TimeInForce.GTC))

    steps = [lambda b, now: b.submit_order(_order("in", now)), rest,
             lambda b, now: ([(p.symbol, p.qty, p.avg_entry_price) for p in b.get_positions()],
                             b.get_order_by_client_id("stop"))]
    played = _play(venue, steps, tmp_path, settings(), data)
    positions, stop = played.returns[2]
    fill = next(u.fill for u in played.updates if u.fill)
    assert [(s, q) for s, q, _ in positions] == [("AAPL", Decimal(20))]
    assert float(positions[0][2]) == pytest.approx(float(fill.price) / 2, rel=1e-9)  # the cost basis stays
    assert stop is not None and stop.status.value == "canceled"
