"""The sandbox exchange judged directly, without HTTP: an order's life on a hand-made market (queued
before the open, filled at the open or against the session's range at the close, expired, canceled,
replaced, partly filled under the volume cap, canceled by a split) and a restart from its state
document. Prices expected here are worked out by hand from the bars and a fixed slippage."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from brokers.sandbox.exchange import Exchange
from brokers.sandbox.request import OrderRequest, ReplaceRequest
from brokers.sandbox.wire import SandboxError, order_json
from framework.config.venue import CommissionConfig, FeesConfig, SlippageConfig, VenueConfig
from framework.data import MarketData
from framework.enums import OrderStatus
from framework.venue import venue_from_config

DAYS = pd.bdate_range("2024-01-02", periods=5)
SLIP = 0.05


def market(*, split_on: int | None = None) -> MarketData:
    """AAA opens at 100 + i, ranges 2 below and above, closes at the open + 1; BBB flat at 50."""
    i = np.arange(len(DAYS), dtype=float)
    frame = lambda a, b: pd.DataFrame({"AAA": a, "BBB": b}, index=DAYS)  # noqa: E731
    splits = None
    if split_on is not None:
        splits = frame(np.full(len(DAYS), np.nan), np.full(len(DAYS), np.nan))
        splits.iloc[split_on, 0] = 2.0
    return MarketData(frame(100 + i, 50 + 0 * i), frame(102 + i, 51 + 0 * i), frame(98 + i, 49 + 0 * i),
                      frame(101 + i, 50 + 0 * i), frame(1000 + 0 * i, 1000 + 0 * i),
                      pd.Series({"AAA": "Tech", "BBB": "Tech"}), fingerprint="hand-made", splits=splits)


def exchange(data: MarketData | None = None, **kw: Any) -> Exchange:
    venue = venue_from_config(VenueConfig(slippage=SlippageConfig(mode="fixed", value=SLIP),
                                          commission=CommissionConfig(per_share=0.0, minimum=0.0),
                                          fees=FeesConfig(sec_rate_per_million=0.0, taf_per_share=0.0)))
    ex = Exchange(data or market(), venue, start=1, cash=100_000.0, **kw)
    ex.events = []  # type: ignore[attr-defined]
    ex.listeners.append(lambda m: ex.events.append((m["event"], m["order"]["client_order_id"])))  # type: ignore[attr-defined]
    return ex


def buy(cid: str, qty: float = 10, **fields: Any) -> OrderRequest:
    return OrderRequest.parse({"symbol": "AAA", "side": "buy", "type": "market", "time_in_force": "day", "qty": qty,
                               "client_order_id": cid, **fields})


def test_a_market_order_queues_before_the_open_and_fills_at_the_slipped_open() -> None:
    ex = exchange()
    order = ex.submit(buy("m"))
    assert order.status is OrderStatus.NEW and ex.orders.working() == [order]
    ex.advance("open")  # session 1: AAA opens at 101
    assert order.status is OrderStatus.FILLED and order.filled_avg_price == 101 + SLIP
    assert ex.ledger.qty("AAA") == 10 and ex.ledger.cash == pytest.approx(100_000 - 10 * (101 + SLIP))
    assert ex.events == [("new", "m"), ("fill", "m")]  # type: ignore[attr-defined]
    assert order_json(order)["filled_at"] == "2024-01-03T09:30:00-05:00"


def test_resting_orders_meet_the_sessions_range_at_the_close_and_day_orders_expire() -> None:
    ex = exchange()
    reached = ex.submit(buy("reached", type="limit", limit_price="99.5", time_in_force="gtc"))  # low 99
    missed_day = ex.submit(buy("missed-day", type="limit", limit_price="90", time_in_force="day"))
    missed_gtc = ex.submit(buy("missed-gtc", type="limit", limit_price="90", time_in_force="gtc"))
    ex.advance("next_session")
    assert reached.status is OrderStatus.FILLED and reached.filled_avg_price == 99.5  # a limit: never slipped
    assert missed_day.status is OrderStatus.EXPIRED and missed_day.expired_at is not None
    assert missed_gtc.status is OrderStatus.NEW and ex.orders.working() == [missed_gtc]


def test_a_used_client_id_is_refused_and_the_book_is_unchanged() -> None:
    ex = exchange()
    ex.submit(buy("same"))
    with pytest.raises(SandboxError, match="client_order_id must be unique"):
        ex.submit(buy("same", qty=1))
    assert len(ex.orders) == 1 and ex.by_client("same").qty == 10


def test_a_replacement_takes_over_and_a_finished_order_cannot_be_canceled() -> None:
    ex = exchange()
    old = ex.submit(buy("old", type="limit", limit_price="90", time_in_force="gtc"))
    new = ex.replace(old.id, ReplaceRequest(qty=Decimal(4), limit_price=Decimal(95)))
    assert old.status is OrderStatus.REPLACED and old.replaced_by == new.id and new.replaces == old.id
    assert (new.client_order_id, new.qty, new.limit_price) == ("old-r1", 4.0, 95.0)
    assert ex.orders.working() == [new]
    ex.cancel(new.id)
    with pytest.raises(SandboxError, match="order is already canceled"):
        ex.cancel(new.id)
    assert ex.events == [("new", "old"), ("new", "old-r1"), ("replaced", "old"),  # type: ignore[attr-defined]
                         ("canceled", "old-r1")]


def test_the_volume_cap_fills_part_and_the_rest_expires_at_the_close() -> None:
    ex = exchange(volume_cap=0.004)  # 1000 shares traded: 4 may fill
    order = ex.submit(buy("big"))
    ex.advance("open")
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.filled_qty == 4 and order.remaining == 6
    ex.advance("close")
    assert order.status is OrderStatus.EXPIRED and order.filled_qty == 4


def test_a_split_cancels_the_symbols_open_orders_at_the_open() -> None:
    ex = exchange(market(split_on=2))
    aaa = ex.submit(buy("aaa", type="limit", limit_price="90", time_in_force="gtc"))
    bbb = ex.submit(buy("bbb", type="limit", limit_price="40", time_in_force="gtc", symbol="BBB"))
    ex.advance("next_session")
    ex.advance("open")  # session 2: AAA splits 2 for 1
    assert aaa.status is OrderStatus.CANCELED and bbb.status is OrderStatus.NEW


def test_a_restarted_exchange_has_the_same_book_and_carries_on() -> None:
    ex = exchange()
    ex.submit(buy("done"))
    ex.advance("open")
    ex.submit(buy("rests", type="limit", limit_price="90", time_in_force="gtc"))
    doc = json.loads(json.dumps(ex.to_state()))
    again = exchange()
    again.load_state(doc)
    assert [order_json(o) for o in again.orders.values()] == [order_json(o) for o in ex.orders.values()]
    assert (again.session, again.phase, again.ledger) == (ex.session, ex.phase, ex.ledger)
    with pytest.raises(SandboxError, match="unique"):
        again.submit(buy("done"))
    again.replace(again.by_client("rests").id, ReplaceRequest(limit_price=Decimal(103)))  # session 1's high is 103
    again.advance("close")
    assert again.by_client("rests-r1").status is OrderStatus.FILLED


def bars(*rows: tuple[float, float, float, float]) -> MarketData:
    """AAA's sessions 1.. as (open, high, low, close) rows after a flat session 0 at 100; BBB flat."""
    days = pd.bdate_range("2024-01-02", periods=len(rows) + 1)
    o, h, low, c = (np.array([100.0, *(r[k] for r in rows)]) for k in range(4))
    frame = lambda a, b: pd.DataFrame({"AAA": a, "BBB": b}, index=days)  # noqa: E731
    flat = np.full(len(days), 50.0)
    return MarketData(frame(o, flat), frame(h, flat), frame(low, flat), frame(c, flat),
                      frame(np.full(len(days), 1000.0), np.full(len(days), 1000.0)),
                      pd.Series({"AAA": "Tech", "BBB": "Tech"}), fingerprint="stop-limit")


def test_a_stop_limit_elected_in_one_session_works_as_a_limit_in_the_next() -> None:
    """Alpaca: once the stop is reached the order is a limit order. Elected on session 1 (high 106
    reaches the stop 105; the limit 104 is below it and the bar did not come back), it buys on
    session 2 at its limit, though session 2 never reaches the stop again (it was re-judged as
    an unelected stop-limit, and never filled)."""
    ex = exchange(bars((101, 106, 100, 102), (104.5, 104.8, 103, 104)))
    order = ex.submit(buy("sl", type="stop_limit", stop_price="105", limit_price="104", time_in_force="gtc"))
    ex.advance("next_session")
    assert order.status is OrderStatus.NEW and order.filled_qty == 0
    ex.advance("next_session")
    assert order.status is OrderStatus.FILLED and order.filled_avg_price == 104  # the limit: never slipped


def test_a_stop_limit_elected_by_a_gap_fills_at_a_later_open_within_its_limit() -> None:
    """A sell stop-limit (stop 95, limit 94) elected by session 1's gap to 92, whose range never
    reaches 94; session 2 opens at 96, back above the stop: a limit sell at 94 or better fills at
    the open."""
    ex = exchange(bars((92, 93.5, 91, 93), (96, 97, 95.5, 96.5)))
    ex.ledger.book("AAA", 10, 100.0, 0.0)  # a long to sell
    order = ex.submit(buy("gap", side="sell", type="stop_limit", stop_price="95", limit_price="94",
                          time_in_force="gtc"))
    ex.advance("next_session")
    assert order.status is OrderStatus.NEW
    ex.advance("next_session")
    assert order.status is OrderStatus.FILLED and order.filled_avg_price == 96


def test_a_stop_limits_election_survives_a_restart() -> None:
    data = bars((101, 106, 100, 102), (104.5, 104.8, 103, 104))
    ex = exchange(data)
    ex.submit(buy("sl", type="stop_limit", stop_price="105", limit_price="104", time_in_force="gtc"))
    ex.advance("next_session")
    again = exchange(data)
    again.load_state(json.loads(json.dumps(ex.to_state())))
    again.advance("next_session")
    assert again.by_client("sl").status is OrderStatus.FILLED and again.by_client("sl").filled_avg_price == 104


def test_a_burst_of_resting_orders_converts_and_values_each_order_once(monkeypatch) -> None:
    # Each submission is judged against the account with every working order: the book was
    # rebuilt from scratch each time, so n resting orders cost n²/2 conversions and valuations
    # (0.7 s of CPU a hundred orders in a 1,000-order burst). Counted, not timed.
    import brokers.sandbox.account as account
    import framework.venue.buying_power as bp

    calls = {"value": 0, "convert": 0}

    def counted(name: str, real: Any) -> Any:
        def spy(*args: Any) -> Any:
            calls[name] += 1
            return real(*args)
        return spy

    monkeypatch.setattr(bp, "order_value", counted("value", bp.order_value))
    monkeypatch.setattr(account, "_book_order", counted("convert", account._book_order))
    ex = exchange()
    n = 200
    orders = [ex.submit(buy(f"r{i}", 1, type="limit", limit_price=50.0)) for i in range(n)]
    assert [o.status for o in orders] == [OrderStatus.NEW] * n
    # each order once, as the next one is judged (the first is judged on an empty book)
    assert calls == {"value": n - 1, "convert": n - 1}
    margin = ex.account().margin  # a margin account: twice the cash, less every resting order
    assert (margin.buying_power, margin.non_marginable_buying_power) == (Decimal(190_000), Decimal(90_000))
    assert calls == {"value": n, "convert": n}  # only the last order is new here
    ex.advance("open")  # the prices move: each order valued again, once
    calls.update(value=0, convert=0)
    ex.account()
    assert calls == {"value": n, "convert": 0}
