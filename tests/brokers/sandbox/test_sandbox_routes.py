"""The sandbox speaks Alpaca: every route parsed by the real alpaca-py clients over loopback."""

from __future__ import annotations

import queue
import threading

import pandas as pd
import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetCalendarRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)
from alpaca.trading.stream import TradingStream
from market_once import embedded, embedded_sandbox
from waiting import GENEROUS, until

from brokers.alpaca.stream import stop_stream
from brokers.sandbox import SandboxServer
from brokers.sandbox.app import SOCKETS
from framework.config import Settings
from framework.enums import OrderSide as Side
from framework.venue import venue_from_config

START = "2016-08-12"


@pytest.fixture
def sandbox(tmp_path):
    with embedded_sandbox(state=tmp_path / "state.sqlite", port=0, start=START) as server:
        yield server


def client(server: SandboxServer) -> TradingClient:
    c = TradingClient("key", "secret", paper=True, url_override=server.base_url)
    c._retry = 0  # alpaca-py's own retry would sleep 3 s on 429
    return c


def test_account_clock_calendar_asset_parse(sandbox) -> None:
    c = client(sandbox)
    account = c.get_account()
    assert float(account.cash) == 100_000.0 and float(account.equity) == 100_000.0
    clock = c.get_clock()
    assert not clock.is_open and clock.next_open.date() == pd.Timestamp(START).date()
    days = c.get_calendar(GetCalendarRequest(start=pd.Timestamp("2016-08-01").date(), end=pd.Timestamp(START).date()))
    assert [d.date.isoformat() for d in days][-1] == START and days[0].open.hour == 9
    assert c.get_asset("AAPL").symbol == "AAPL"
    with pytest.raises(APIError) as err:
        c.get_asset("ZZZZ")
    assert err.value.status_code == 404


def test_market_order_fills_at_next_open_with_the_venue_cost_model(sandbox) -> None:
    c = client(sandbox)
    order = c.submit_order(
        MarketOrderRequest(
            symbol="AAPL", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="m1"
        )
    )
    assert order.status == OrderStatus.NEW and order.client_order_id == "m1"
    assert c.get_all_positions() == []
    sandbox.advance("open")
    filled = c.get_order_by_client_id("m1")
    market, venue = embedded(), venue_from_config(Settings().venue)
    day = pd.Timestamp(START)
    expected = venue.slipped_price(
        market.open.at[day, "AAPL"], Side.BUY, low=market.low.at[day, "AAPL"], high=market.high.at[day, "AAPL"]
    )
    assert filled.status == OrderStatus.FILLED
    assert float(filled.filled_avg_price) == pytest.approx(expected, rel=1e-9)
    fee = venue.charges(10, expected, Side.BUY)
    assert float(c.get_account().cash) == pytest.approx(100_000 - 10 * expected - fee, abs=1e-6)
    [position] = c.get_all_positions()
    assert position.symbol == "AAPL" and float(position.qty) == 10


def test_limit_and_stop_orders_fill_when_the_range_crosses(sandbox) -> None:
    c = client(sandbox)
    market = embedded()
    day = pd.Timestamp(START)
    low, high = market.low.at[day, "MSFT"], market.high.at[day, "MSFT"]
    c.submit_order(
        LimitOrderRequest(
            symbol="MSFT",
            qty=5,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            limit_price=round(low + 0.01, 2),
            client_order_id="lim",
        )
    )
    c.submit_order(
        LimitOrderRequest(
            symbol="MSFT",
            qty=5,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            limit_price=round(low * 0.9, 2),
            client_order_id="never",
        )
    )
    c.submit_order(
        StopOrderRequest(
            symbol="XOM",
            qty=3,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            stop_price=round(market.high.at[day, "XOM"] * 2, 2),
            client_order_id="stop",
        )
    )
    c.submit_order(
        TrailingStopOrderRequest(
            symbol="KO",
            qty=1,
            side=OrderSide.SELL,
            time_in_force=TimeInForce.GTC,
            trail_percent=50,
            client_order_id="trail",
        )
    )
    sandbox.advance("next_session")
    assert c.get_order_by_client_id("lim").status == OrderStatus.FILLED
    assert float(c.get_order_by_client_id("lim").filled_avg_price) <= round(low + 0.01, 2) + 1e-9  # float noise
    assert c.get_order_by_client_id("never").status == OrderStatus.EXPIRED  # day order
    assert c.get_order_by_client_id("stop").status == OrderStatus.NEW  # gtc, not triggered
    assert c.get_order_by_client_id("trail").status == OrderStatus.NEW
    assert high > 0


def test_errors_look_like_alpaca(sandbox) -> None:
    c = client(sandbox)
    request = MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="dup"
    )
    c.submit_order(request)
    with pytest.raises(APIError) as dup:
        c.submit_order(request)
    assert dup.value.status_code == 422 and "client_order_id must be unique" in str(dup.value)
    with pytest.raises(APIError) as poor:
        c.submit_order(
            MarketOrderRequest(symbol="AAPL", qty=100_000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
        )
    assert poor.value.status_code == 403 and "insufficient buying power" in str(poor.value)
    with pytest.raises(APIError) as missing:
        c.get_order_by_client_id("nope")
    assert missing.value.status_code == 404
    denied = requests.get(f"{sandbox.base_url}/v2/account", timeout=10)  # no keys at all
    assert denied.status_code == 401 and denied.json()["code"] == 40110000


def test_orders_listing_cancel_replace_and_close(sandbox) -> None:
    c = client(sandbox)
    first = c.submit_order(
        LimitOrderRequest(
            symbol="AAPL",
            qty=2,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=1.0,
            client_order_id="a",
        )
    )
    c.submit_order(
        LimitOrderRequest(
            symbol="MSFT",
            qty=2,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=1.0,
            client_order_id="b",
        )
    )
    assert {o.client_order_id for o in c.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN))} == {"a", "b"}
    new = c.replace_order_by_id(first.id, ReplaceOrderRequest(qty=3, limit_price=2.0))
    assert float(new.qty) == 3 and c.get_order_by_id(first.id).status == OrderStatus.REPLACED
    c.cancel_order_by_id(new.id)
    assert c.get_order_by_id(new.id).status == OrderStatus.CANCELED
    with pytest.raises(APIError) as again:
        c.cancel_order_by_id(new.id)
    assert again.value.status_code == 422
    results = c.cancel_orders()
    assert len(results) == 1
    c.submit_order(MarketOrderRequest(symbol="AAPL", qty=4, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    sandbox.advance("open")
    closed = c.close_all_positions(cancel_orders=True)
    assert [r.symbol for r in closed] == ["AAPL"]
    # a, its replacement, b, the market buy, the closing sell
    assert len(c.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))) == 5


def test_bars_are_only_those_of_closed_sessions_and_page(sandbox) -> None:
    data = StockHistoricalDataClient("key", "secret", url_override=sandbox.base_url)
    request = StockBarsRequest(
        symbol_or_symbols=embedded().symbols,
        timeframe=TimeFrame.Day,
        start=pd.Timestamp("2015-06-01", tz="UTC"),
    )
    frame = data.get_stock_bars(request).df  # 44 symbols x 300 sessions: two pages of 10,000
    assert len(frame) > 10_000
    last = frame.index.get_level_values("timestamp").max().tz_convert("America/New_York").date()
    assert last < pd.Timestamp(START).date()
    sandbox.advance("next_session")
    frame = data.get_stock_bars(request).df
    assert (
        frame.index.get_level_values("timestamp").max().tz_convert("America/New_York").date()
        == pd.Timestamp(START).date()
    )


def test_small_pages_cut_inside_symbols_give_the_same_bars_as_one_page(sandbox) -> None:
    """Each page builds only its own bars (issue 31: a 500-symbol history is ~40 pages): pages
    of 7 bars, each cutting a symbol's run anywhere, join into exactly the one-page answer."""
    headers = {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "secret"}
    query = {"symbols": "MSFT,AAPL,XOM", "timeframe": "1Day", "start": "2016-06-01T00:00:00Z"}

    def fetch(limit: int) -> list[tuple[str, str, float]]:
        got, token = [], None
        while True:
            params = {**query, "limit": limit, **({"page_token": token} if token else {})}
            answer = requests.get(f"{sandbox.base_url}/v2/stocks/bars", params=params, headers=headers, timeout=30)
            answer.raise_for_status()
            body = answer.json()
            got += [(s, b["t"], b["c"]) for s, bars in body["bars"].items() for b in bars]
            token = body["next_page_token"]
            if token is None:
                return got

    whole = fetch(10_000)
    assert len(whole) > 3 * 40 and len(whole) % 7 != 0
    assert fetch(7) == whole


def test_stream_delivers_new_and_fill_to_alpaca_py(sandbox) -> None:
    events: queue.Queue[str] = queue.Queue()
    stream = TradingStream("key", "secret", paper=True, url_override=sandbox.stream_url)

    async def on_update(update) -> None:
        events.put(str(getattr(update.event, "value", update.event)))

    stream.subscribe_trade_updates(on_update)
    thread = threading.Thread(target=stream.run, daemon=True)
    thread.start()
    c = client(sandbox)
    try:
        listening = until(lambda: bool(sandbox.app[SOCKETS]))  # the stream subscribed
        assert listening, "the stream never subscribed"
        c.submit_order(
            MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="s")
        )
        assert events.get(timeout=GENEROUS) == "new"
        sandbox.advance("open")
        seen = set()
        while "fill" not in seen:
            seen.add(events.get(timeout=GENEROUS))
        assert "fill" in seen
    finally:
        stop_stream(stream, timeout=10)  # as the adapter's close does
        thread.join(timeout=10)


def test_state_survives_a_server_restart(tmp_path) -> None:
    state = tmp_path / "state.sqlite"
    with embedded_sandbox(state=state, port=0, start=START) as server:
        c = client(server)
        c.submit_order(
            MarketOrderRequest(
                symbol="PFE", qty=7, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="keep"
            )
        )
        server.advance("next_session")
        cash = c.get_account().cash
    with embedded_sandbox(state=state, port=0) as again:
        c = client(again)
        assert c.get_account().cash == cash
        assert float(c.get_all_positions()[0].qty) == 7
        assert c.get_clock().next_open.date() > pd.Timestamp(START).date()
        with pytest.raises(APIError):  # the client id stays used after a restart
            c.submit_order(
                MarketOrderRequest(
                    symbol="PFE", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="keep"
                )
            )
    with embedded_sandbox(state=state, port=0, reset=True, start=START) as fresh:
        assert float(client(fresh).get_account().cash) == 100_000.0


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"kind": "rate_limit", "route": "GET /v2/account"}, 429),
        ({"kind": "server_error", "status": 500}, 500),
        ({"kind": "server_error", "status": 503}, 503),
    ],
)
def test_injected_http_faults_are_seen_by_the_client(sandbox, fault, status) -> None:
    c = client(sandbox)
    sandbox.set_faults([fault])
    with pytest.raises(APIError) as err:
        c.get_account()
    assert err.value.status_code == status
    assert float(c.get_account().cash) == 100_000.0  # fired once, then gone


def test_lost_response_creates_the_order_but_answers_500(sandbox) -> None:
    c = client(sandbox)
    sandbox.set_faults([{"kind": "lost_response", "route": "POST /v2/orders"}])
    with pytest.raises(APIError) as err:
        c.submit_order(
            MarketOrderRequest(
                symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="lost"
            )
        )
    assert err.value.status_code == 500
    assert c.get_order_by_client_id("lost").status == OrderStatus.NEW


def test_reject_and_partial_faults(sandbox) -> None:
    c = client(sandbox)
    sandbox.set_faults([{"kind": "reject"}, {"kind": "partial", "route": "fill"}])
    with pytest.raises(APIError) as err:
        c.submit_order(MarketOrderRequest(symbol="AAPL", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    assert err.value.status_code == 403
    c.submit_order(
        MarketOrderRequest(
            symbol="AAPL", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id="half"
        )
    )
    sandbox.advance("open")
    half = c.get_order_by_client_id("half")
    assert half.status == OrderStatus.PARTIALLY_FILLED and float(half.filled_qty) == 5


def test_wall_clock_moves_the_market_by_itself(tmp_path) -> None:
    with embedded_sandbox(state=tmp_path / "state.sqlite", port=0, start=START, wall_clock=0.2) as server:
        c = client(server)
        first = c.get_clock().next_open
        # poll with a generous bound, never sleep-and-hope; slowly enough to stay in the request budget
        until(lambda: c.get_clock().next_open > first, every=0.5)
        assert c.get_clock().next_open > first
