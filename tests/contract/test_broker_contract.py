"""One behavioural suite over every Broker: the backtrader adapter and the Alpaca adapter over the
sandbox must answer the same script the same way (acks, fills and their prices and costs,
refusals, cancels, expiries, positions, cash)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest
from venues import CASH, FIRST_FILL, REPORTS_COMMISSION, VENUES, Played, market, settings

from framework.broker import Broker
from framework.config import Settings
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import DuplicateClientOrderId, NotCancelable, OrderNotFound, OrderRejected
from framework.orders import Order
from framework.venue import venue_from_config

pytestmark = pytest.mark.parametrize("venue", sorted(VENUES))


def _order(cid: str, now: datetime, side: OrderSide = OrderSide.BUY, qty: int = 10, symbol: str = "AAPL",
           **kw: object) -> Order:
    return Order(client_order_id=cid, symbol=symbol, side=side, qty=Decimal(qty), created_at=now, **kw)  # type: ignore[arg-type]


def _far_limit(cid: str, now: datetime, tif: TimeInForce) -> Order:
    """A buy limit at half the last close: it rests and never fills."""
    close = float(market().close["AAPL"].loc[:pd.Timestamp(now.date())].iloc[-1])
    return _order(cid, now, type=OrderType.LIMIT, limit_price=Decimal(str(round(close / 2, 2))), time_in_force=tif)


def _state(broker: Broker, cid: str) -> tuple[Order | None, list, object]:
    return broker.get_order_by_client_id(cid), broker.get_positions(), broker.get_account()


def _raised(call: Callable[[], object]) -> type[Exception] | None:
    """The type of what ``call`` raised (None: nothing): the contract is about the type."""
    try:
        call()
    except Exception as e:
        return type(e)
    return None


def _play(venue: str, steps: list, tmp_path, cfg: Settings | None = None, data=None) -> Played:
    return VENUES[venue](steps, tmp_path, cfg, data)


#: The default profile charges nothing; per_share keeps the cost contract meaningful.
PROFILES = ["alpaca_paper", "per_share"]


@pytest.mark.parametrize("profile", PROFILES)
def test_market_buy_is_acked_then_filled_at_the_next_open_with_its_costs(venue, profile, tmp_path) -> None:
    cfg = settings(profile=profile)
    played = _play(venue, [lambda b, now: b.submit_order(_order("buy-1", now)), lambda b, now: _state(b, "buy-1")],
                   tmp_path, cfg)
    acked, (final, positions, account) = played.returns
    assert acked.client_order_id == "buy-1" and acked.broker_order_id
    assert acked.status in (OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PENDING_NEW)

    fills = [u.fill for u in played.updates if u.fill]
    assert len(fills) == 1 and played.of("buy-1")[-1].event is OrderEvent.FILL
    model = venue_from_config(cfg.venue)
    open_ = float(market().open["AAPL"].loc[FIRST_FILL])
    price = model.slipped_price(open_, OrderSide.BUY)
    assert float(fills[0].qty) == 10 and float(fills[0].price) == pytest.approx(price, rel=1e-9)
    fee = model.charges(10, price, OrderSide.BUY)
    assert (fee > 0) is (profile == "per_share")
    assert float(fills[0].commission) == pytest.approx(fee if REPORTS_COMMISSION[venue] else 0.0, abs=1e-9)

    assert final.status is OrderStatus.FILLED and final.filled_qty == Decimal(10)
    assert [(p.symbol, p.qty) for p in positions] == [("AAPL", Decimal(10))]
    assert float(account.cash) == pytest.approx(CASH - 10 * float(fills[0].price) - fee, abs=1e-6)


def test_a_reused_client_order_id_is_refused(venue, tmp_path) -> None:
    def twice(broker: Broker, now: datetime) -> type[Exception] | None:
        broker.submit_order(_order("dup", now))
        return _raised(lambda: broker.submit_order(_order("dup", now, qty=5)))

    played = _play(venue, [twice, lambda b, now: _state(b, "dup")], tmp_path)
    assert played.returns[0] is DuplicateClientOrderId
    final = played.returns[1][0]
    assert final.qty == Decimal(10) and final.status is OrderStatus.FILLED  # the first one stands


def test_an_order_for_a_symbol_the_venue_does_not_trade_is_rejected(venue, tmp_path) -> None:
    def unknown(broker: Broker, now: datetime) -> type[Exception] | None:
        return _raised(lambda: broker.submit_order(_order("nope", now, symbol="ZZZZ")))

    played = _play(venue, [unknown, lambda b, now: b.get_order_by_client_id("nope")], tmp_path)
    assert played.returns == [OrderRejected, None]


def test_resting_limit_is_open_until_canceled_and_cancel_refuses_what_it_cannot_do(venue, tmp_path) -> None:
    def cancel(broker: Broker, now: datetime) -> list[str]:
        resting = broker.get_order_by_client_id("rest")
        assert resting is not None
        still_open = [o.client_order_id for o in broker.get_orders("open")]
        broker.cancel_order(resting.broker_order_id)  # type: ignore[arg-type]
        return still_open

    def refusals(broker: Broker, now: datetime) -> tuple[Order | None, list[str], list[type[Exception] | None]]:
        canceled = broker.get_order_by_client_id("rest")
        ids = (canceled.broker_order_id, "00000000-0000-0000-0000-000000000000")  # type: ignore[union-attr]
        errors = [_raised(lambda i=i: broker.cancel_order(i)) for i in ids]  # type: ignore[misc]
        return canceled, [o.client_order_id for o in broker.get_orders("closed")], errors

    steps = [lambda b, now: b.submit_order(_far_limit("rest", now, TimeInForce.GTC)), cancel, refusals]
    played = _play(venue, steps, tmp_path)
    still_open, (canceled, closed, errors) = played.returns[1], played.returns[2]
    assert still_open == ["rest"]  # a session went by: it rested, unfilled
    assert canceled is not None and canceled.status is OrderStatus.CANCELED and canceled.filled_qty == 0
    assert closed == ["rest"]
    assert errors == [NotCancelable, OrderNotFound]
    assert [u.event for u in played.of("rest")][-1] is OrderEvent.CANCELED
    assert not any(u.fill for u in played.updates)


def test_an_unfilled_day_order_expires_at_the_close(venue, tmp_path) -> None:
    steps = [lambda b, now: b.submit_order(_far_limit("day", now, TimeInForce.DAY)),
             lambda b, now: b.get_order_by_client_id("day")]
    played = _play(venue, steps, tmp_path)
    assert played.returns[1].status is OrderStatus.EXPIRED
    assert played.of("day")[-1].event is OrderEvent.EXPIRED and not any(u.fill for u in played.updates)


@pytest.mark.parametrize("profile", [*PROFILES, "alpaca_live"])
def test_selling_what_was_bought_closes_the_position_and_books_both_fills(venue, profile, tmp_path) -> None:
    cfg = settings(profile=profile)
    steps = [lambda b, now: b.submit_order(_order("in", now, qty=7, symbol="MSFT")),
             lambda b, now: b.submit_order(_order("out", now, side=OrderSide.SELL, qty=7, symbol="MSFT")),
             lambda b, now: (b.get_positions(), b.get_account(), b.get_orders("closed"))]
    played = _play(venue, steps, tmp_path, cfg)
    positions, account, closed = played.returns[2]
    fills = [u.fill for u in played.updates if u.fill]
    assert [(f.client_order_id, f.side, f.qty) for f in fills] == [
        ("in", OrderSide.BUY, Decimal(7)), ("out", OrderSide.SELL, Decimal(7))
    ]
    assert positions == []
    model = venue_from_config(cfg.venue)
    costs = [model.charges(7, float(f.price), f.side) for f in fills]
    assert (costs[1] > 0) is (profile != "alpaca_paper")  # live: SEC + TAF on the sell; per_share: commission
    cash_flow = sum(float(f.qty * f.price) * (-1 if f.side is OrderSide.BUY else 1) for f in fills) - sum(costs)
    assert float(account.cash) == pytest.approx(CASH + cash_flow, abs=1e-6)
    assert float(account.equity) == pytest.approx(float(account.cash), abs=1e-6)
    assert sorted(o.client_order_id for o in closed) == ["in", "out"]


def test_fractional_quantities_stay_exact_after_a_partial_sale(venue, tmp_path) -> None:
    """Alpaca keeps quantities to 9 decimals exactly: 225.0334 − 47.9721 is 177.0613, not the
    binary 177.06130000000002 that a float book reports (which `trade rehearse` saw adopted by
    reconciliation, then sold down to a 2E-14 "position" that got a protective stop)."""
    def fractional(cid: str, now: datetime, side: OrderSide, qty: str) -> Order:
        return Order(client_order_id=cid, symbol="MSFT", side=side, qty=Decimal(qty), created_at=now)

    steps = [lambda b, now: b.submit_order(fractional("in", now, OrderSide.BUY, "225.0334")),
             lambda b, now: b.submit_order(fractional("part", now, OrderSide.SELL, "47.9721")),
             lambda b, now: b.get_positions()]
    played = _play(venue, steps, tmp_path)
    (position,) = played.returns[2]
    assert position.qty == Decimal("177.0613")
