"""The sandbox refuses, through the real alpaca-py client, every order Alpaca refuses: the same
HTTP status, code, message and extra body fields; its account and positions report the venue
model's buying power, margin and qty_available."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    OrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)
from market_once import embedded, embedded_sandbox

from brokers.sandbox import SandboxServer
from framework.config import load_settings

START = "2016-08-12"
BUY, SELL, DAY, GTC = OrderSide.BUY, OrderSide.SELL, TimeInForce.DAY, TimeInForce.GTC


def serve(tmp_path, **venue: Any) -> SandboxServer:
    cfg = load_settings([], {"venue": venue}, validate_strategy=False)
    return embedded_sandbox(cfg, state=tmp_path / "state.sqlite", port=0, start=START)


@pytest.fixture
def sandbox(tmp_path):
    with serve(tmp_path) as server:
        yield server


def client(server: SandboxServer) -> TradingClient:
    c = TradingClient("key", "secret", paper=True, url_override=server.base_url)
    c._retry = 0
    return c


def refusal(c: TradingClient, request: OrderRequest) -> tuple[int, dict[str, Any]]:
    with pytest.raises(APIError) as err:
        c.submit_order(request)
    return err.value.status_code, json.loads(str(err.value))


def market(symbol: str, qty: float, side: OrderSide = BUY, tif: TimeInForce = DAY, cid: str | None = None
           ) -> MarketOrderRequest:
    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, client_order_id=cid)


def last_close(symbol: str) -> float:
    closes = embedded().close[symbol]
    return float(closes[closes.index < pd.Timestamp(START)].iloc[-1])


def test_sub_penny_limit_and_stop_prices(sandbox) -> None:
    c = client(sandbox)
    status, body = refusal(c, LimitOrderRequest(symbol="AAPL", qty=1, side=BUY, time_in_force=DAY, limit_price=100.123))
    assert (status, body) == (422, {"code": 42210000, "message": "invalid limit_price 100.123. sub-penny increment "
                                                                 "does not fulfill minimum pricing criteria"})
    status, body = refusal(c, StopOrderRequest(symbol="AAPL", qty=1, side=BUY, time_in_force=GTC, stop_price=0.12345))
    assert status == 422 and body["message"].startswith("invalid stop_price 0.12345. sub-penny")
    c.submit_order(LimitOrderRequest(symbol="AAPL", qty=1, side=BUY, time_in_force=DAY, limit_price=100.12))


def test_fractional_orders_day_only_simple_types_never_short(sandbox) -> None:
    c = client(sandbox)
    assert refusal(c, market("AAPL", 0.5, tif=GTC)) == (
        422, {"code": 42210000, "message": "fractional orders must be DAY orders"})
    assert refusal(c, TrailingStopOrderRequest(symbol="AAPL", qty=0.5, side=SELL, time_in_force=DAY,
                                               trail_percent=5)) == (
        422, {"code": 42210000, "message": "fractional orders are not supported for trailing_stop orders"})
    assert refusal(c, market("AAPL", 0.5, SELL)) == (
        422, {"code": 42210000, "message": "fractional orders cannot be sold short"})
    c.submit_order(market("AAPL", 0.5))  # a fractional DAY buy is fine


def test_shorting_needs_margin_and_an_easy_to_borrow_asset(tmp_path) -> None:
    with serve(tmp_path, hard_to_borrow=["AAPL"]) as server:
        c = client(server)
        assert refusal(c, market("AAPL", 10, SELL)) == (
            422, {"code": 42210000, "message": "asset AAPL cannot be sold short"})
        assert c.get_asset("AAPL").easy_to_borrow is False and c.get_asset("MSFT").easy_to_borrow is True
        c.submit_order(market("MSFT", 10, SELL))
    with serve(tmp_path / "cash", margin_multiplier=1) as server:
        c = client(server)
        assert refusal(c, market("MSFT", 10, SELL)) == (
            403, {"code": 40310000, "message": "account is not allowed to short"})
        assert c.get_account().shorting_enabled is False


def test_shares_held_for_orders_and_no_long_to_short(sandbox) -> None:
    c = client(sandbox)
    c.submit_order(market("AAPL", 10))
    sandbox.advance("next_session")
    stop = c.submit_order(StopOrderRequest(symbol="AAPL", qty=10, side=SELL, time_in_force=GTC, stop_price=1.00))
    assert float(c.get_open_position("AAPL").qty_available) == 0
    status, body = refusal(c, market("AAPL", 4, SELL))
    assert (status, body) == (403, {
        "available": "0", "code": 40310000, "existing_qty": "10", "held_for_orders": "10",
        "message": "insufficient qty available for order (requested: 4, available: 0)",
        "related_orders": [str(stop.id)], "symbol": "AAPL"})
    c.cancel_order_by_id(stop.id)
    assert float(c.get_open_position("AAPL").qty_available) == 10
    status, body = refusal(c, market("AAPL", 15, SELL))
    assert status == 403 and body["message"] == "insufficient qty available for order (requested: 15, available: 10)"
    c.submit_order(market("AAPL", 10, SELL))  # sell to zero first: accepted


def test_a_buy_under_a_dollar(sandbox) -> None:
    c = client(sandbox)
    assert refusal(c, market("AAPL", 0.005)) == (
        403, {"code": 40310000, "message": "cost basis must be >= minimal amount of order 1"})


def test_buying_power_is_checked_at_submission_and_pending_sells_free_nothing(tmp_path) -> None:
    with serve(tmp_path, margin_multiplier=1) as server:
        c = client(server)
        price = last_close("AAPL")
        shares = int(60_000 // price)
        c.submit_order(market("AAPL", shares))
        server.advance("next_session")
        cash = float(c.get_account().cash)
        assert float(c.get_account().buying_power) == pytest.approx(cash)
        c.submit_order(market("AAPL", shares, SELL))  # pending: frees nothing until it fills
        msft = last_close("MSFT")
        too_many = int(cash // msft) + 10
        status, body = refusal(c, market("MSFT", too_many))
        assert status == 403 and body["message"] == "insufficient buying power"
        assert set(body) == {"buying_power", "code", "cost_basis", "message"}
        assert float(body["buying_power"]) == pytest.approx(cash, abs=0.01)
        server.advance("open")  # the sell fills
        c.submit_order(market("MSFT", too_many))


def test_account_reports_the_venue_margin_fields(sandbox) -> None:
    c = client(sandbox)
    account = c.get_account()
    assert (account.multiplier, float(account.buying_power), float(account.regt_buying_power)) == ("2", 200_000, 200_000)
    assert float(account.non_marginable_buying_power) == 100_000 and float(account.initial_margin) == 0
    price = last_close("AAPL")
    c.submit_order(LimitOrderRequest(symbol="AAPL", qty=100, side=BUY, time_in_force=GTC,
                                     limit_price=round(price / 2, 2)))
    assert float(c.get_account().buying_power) == pytest.approx(200_000 - 100 * round(price / 2, 2))


def test_an_opg_order_sent_after_the_open_is_refused_with_the_auction_rule(sandbox) -> None:
    """The sandbox judges the auction cut-offs on its own clock: before the open an opg order
    is taken; once the session is open (10:00 on the sandbox's clock) it is refused, and the
    Alpaca adapter's error mapping turns the answer into the same typed error."""
    from brokers.alpaca.errors import translate_api_error
    from framework.errors import AuctionClosed

    c = client(sandbox)
    taken = c.submit_order(market("AAPL", 1, tif=TimeInForce.OPG, cid="opg-early"))
    assert taken.time_in_force == TimeInForce.OPG
    sandbox.advance("open")
    with pytest.raises(APIError) as err:
        c.submit_order(market("AAPL", 1, tif=TimeInForce.OPG, cid="opg-late"))
    assert err.value.status_code == 422
    assert "opening auction's cut-off" in json.loads(str(err.value))["message"]
    assert isinstance(translate_api_error(err.value, "submit opg-late"), AuctionClosed)
    assert c.get_order_by_client_id("opg-early").status.value == "filled"  # the auction filled it at the open
