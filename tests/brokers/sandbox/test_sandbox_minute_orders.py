"""A market order sent while the sandbox's session is open on its intraday clock is worked on the
session's minute bars (issue 29: what a TWAP child sent at its minute meets): from the minute it
arrives in, at each minute's open moved by the venue's slippage, at most the volume cap of each
minute's volume; the clock passing a minute works it; a cancel stops it before the minute it is
sent in. Expected fills are worked out here from the served minutes, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from brokers.sandbox.exchange import Exchange
from brokers.sandbox.intraday import IntradayPath
from brokers.sandbox.minutes import session_minutes
from brokers.sandbox.request import OrderRequest
from framework.config.venue import CommissionConfig, FeesConfig, SlippageConfig, VenueConfig
from framework.data import MarketData
from framework.enums import OrderStatus
from framework.venue import venue_from_config

DAYS = pd.bdate_range("2024-01-02", periods=4)
SLIP, CAP, VOLUME = 0.05, 0.01, 200_000.0


def exchange() -> Exchange:
    frame = lambda a: pd.DataFrame({"AAA": a}, index=DAYS)  # noqa: E731
    i = np.arange(len(DAYS), dtype=float)
    data = MarketData(frame(100 + i), frame(102 + i), frame(98 + i), frame(101 + i), frame(VOLUME + 0 * i),
                      pd.Series({"AAA": "Tech"}), fingerprint="hand-made")
    venue = venue_from_config(VenueConfig(slippage=SlippageConfig(mode="fixed", value=SLIP),
                                          commission=CommissionConfig(per_share=0.0, minimum=0.0),
                                          fees=FeesConfig(sec_rate_per_million=0.0, taf_per_share=0.0)))
    ex = Exchange(data, venue, start=1, cash=100_000.0, volume_cap=CAP)
    ex.fills = []  # type: ignore[attr-defined]
    ex.listeners.append(lambda m: ex.fills.append((m["order"]["updated_at"], m["qty"], m["price"]))  # type: ignore[attr-defined]
                        if m["event"] in ("fill", "partial_fill") else None)
    return ex


def buy(cid: str, qty: float) -> OrderRequest:
    return OrderRequest.parse({"symbol": "AAA", "side": "buy", "type": "market", "time_in_force": "day", "qty": qty,
                               "client_order_id": cid})


def at_minute(ex: Exchange, minute: int) -> None:
    ex.intraday = ex.intraday or IntradayPath()
    ex.intraday.pin(minute / 390)


def served(ex: Exchange) -> pd.DataFrame:
    m, day = ex.market, ex.day
    return session_minutes("AAA", day, *(float(getattr(m, f).at[day, "AAA"]) for f in ("open", "high", "low", "close",
                                                                                        "volume")))


def test_a_market_order_arriving_mid_session_fills_on_its_minutes_under_the_cap_until_canceled() -> None:
    ex = exchange()
    ex.advance("open")
    at_minute(ex, 5)  # 09:35
    order = ex.submit(buy("child", 40))
    minutes = served(ex)
    room = [math.floor(v * CAP) for v in minutes["volume"].iloc[5:9]]
    assert 0 < room[0] < 40 and sum(room[:3]) < 40  # the cap binds: three minutes do not fill it
    assert order.filled_qty == room[0]  # its arrival minute at once, nothing later yet
    at_minute(ex, 8)  # 09:38: the clock passed 09:36 and 09:37
    ex.catch_up()
    assert order.filled_qty == sum(room[:3])
    ex.cancel(order.id)  # at 09:38: the 09:38 minute is not worked
    assert order.status is OrderStatus.CANCELED and order.filled_qty == sum(room[:3])
    expected = [(minutes.index[5 + k], float(room[k]), minutes["open"].iloc[5 + k] + SLIP) for k in range(3)]
    got = [(pd.Timestamp(t).tz_convert("UTC"), float(q), float(p)) for t, q, p in ex.fills]  # type: ignore[attr-defined]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert [g[2] for g in got] == pytest.approx([e[2] for e in expected], rel=1e-12)
    assert ex.ledger.qty("AAA") == sum(room[:3])


def test_what_a_minute_order_has_left_at_the_close_is_worked_through_the_close_then_expires_if_unfilled() -> None:
    ex = exchange()
    ex.advance("open")
    at_minute(ex, 380)  # 15:50: ten minutes left
    order = ex.submit(buy("late", 900))
    room = [math.floor(v * CAP) for v in served(ex)["volume"].iloc[380:]]
    ex.advance("close")
    assert order.filled_qty == sum(room) < 900  # every minute to 15:59, capped
    assert order.status is OrderStatus.EXPIRED


def test_without_the_intraday_clock_a_market_order_sent_while_open_still_fills_at_the_days_open() -> None:
    ex = exchange()
    ex.advance("open")
    order = ex.submit(buy("plain", 5))
    assert order.status is OrderStatus.FILLED and order.filled_avg_price == pytest.approx(101 + SLIP)
