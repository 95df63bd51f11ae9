"""The sandbox's order book (brokers/sandbox/book.py) and its order record, judged directly: orders by
id and client id, Alpaca's client-id rule, which orders still work, the order listing, the
record's Alpaca JSON read back from the state document unchanged, and the session clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from brokers.sandbox.book import OrderBook
from brokers.sandbox.clock import Phase, SessionClock
from brokers.sandbox.ledger import Holding, Ledger
from brokers.sandbox.order import SandboxOrder
from brokers.sandbox.request import OrderQuery
from brokers.sandbox.state import restored, state_doc
from brokers.sandbox.wire import SandboxError, order_from_json, order_json
from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce

NOON = datetime(2016, 8, 12, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def order(oid: str, cid: str, *, minutes: int = 0, symbol: str = "AAPL", side: OrderSide = OrderSide.BUY,
          **fields: object) -> SandboxOrder:
    at = NOON + timedelta(minutes=minutes)
    return SandboxOrder(oid, cid, symbol, side, OrderType.LIMIT, TimeInForce.GTC, 10.0, at, at, at,
                        limit_price=100.5, **fields)  # type: ignore[arg-type]


def refusal(call: object) -> tuple[int, int, str]:
    with pytest.raises(SandboxError) as err:
        call()  # type: ignore[operator]
    return err.value.status, err.value.code, err.value.message


def test_orders_are_found_by_id_and_by_client_id_and_unknown_ones_are_alpacas_404() -> None:
    book = OrderBook([order("o1", "a"), order("o2", "b")])
    assert book.get_order("o2").client_order_id == "b" and book.by_client("a").id == "o1"
    assert list(book) == ["o1", "o2"] and len(book) == 2 and book.knows("b") and not book.knows("c")
    assert refusal(lambda: book.get_order("nope")) == (404, 40410000, "order not found")
    assert refusal(lambda: book.by_client("nope")) == (404, 40410000, "order not found")


def test_a_used_or_overlong_client_id_is_refused_as_alpaca_refuses_it() -> None:
    book = OrderBook([order("o1", "a")])
    assert refusal(lambda: book.check_client_id("a")) == (422, 40010001, "client_order_id must be unique")
    assert refusal(lambda: book.check_client_id("x" * 49))[2] == "client_order_id must be no more than 48 characters"
    book.check_client_id("x" * 48)  # the longest allowed
    with pytest.raises(ValueError, match="already in the book"):
        book.add(order("o9", "a"))  # the exchange checks first; the book never holds two


def test_a_finished_order_stops_working_but_keeps_its_client_id() -> None:
    first, second = order("o1", "a"), order("o2", "b")
    book = OrderBook([first, second])
    first.finish(OrderStatus.CANCELED, NOON)
    assert [o.id for o in book.working()] == ["o2"] and first.canceled_at == NOON
    assert refusal(lambda: book.check_client_id("a"))[0] == 422  # unique over every order, not only working
    second.filled(4.0, 101.0, NOON)
    assert second.status is OrderStatus.PARTIALLY_FILLED and second.working and second.remaining == 6.0
    second.filled(10.0, 100.9, NOON)
    assert second.status is OrderStatus.FILLED and second.filled_at == NOON and not book.working()
    with pytest.raises(ValueError):
        second.finish(OrderStatus.FILLED, NOON)


def test_the_listing_filters_and_orders_by_submission_time() -> None:
    book = OrderBook([order("o1", "a", minutes=0), order("o2", "b", minutes=5, symbol="MSFT"),
                      order("o3", "c", minutes=10, side=OrderSide.SELL)])
    book["o1"].finish(OrderStatus.EXPIRED, NOON)

    def ids(**query: str) -> list[str]:
        return [o.id for o in book.listed(OrderQuery.parse({"status": "all", "direction": "asc", **query}))]

    assert ids(direction="desc") == ["o3", "o2", "o1"]
    assert ids(status="open") == ["o2", "o3"]
    assert ids(status="closed") == ["o1"]
    assert ids(symbols="MSFT") == ["o2"]
    assert ids(side="sell") == ["o3"]
    assert ids(after="2016-08-12T10:00:00-04:00") == ["o2", "o3"]
    assert ids(until="2016-08-12T10:10:00-04:00") == ["o1", "o2"]
    assert ids(limit="2", direction="desc") == ["o3", "o2"]
    assert OrderQuery.parse({}) == OrderQuery("open", 50, None, "desc")  # Alpaca's defaults
    for bad in ({"status": "done"}, {"direction": "up"}, {"limit": "many"}, {"side": "short"}):
        with pytest.raises(SandboxError) as refused:
            OrderQuery.parse(bad)
        assert refused.value.status == 422


def test_relabelling_moves_the_client_id_and_keeps_the_rule() -> None:
    book = OrderBook([order("o1", "a"), order("o2", "b")])
    book.relabel("a", "z")
    assert book.by_client("z").id == "o1" and not book.knows("a")
    assert refusal(lambda: book.relabel("z", "b"))[0] == 422


def test_an_order_reads_back_from_its_alpaca_json_unchanged() -> None:
    live = order("o1", "a", notional=None, trail_percent=None, hwm=101.25)
    live.filled(3.5, 100.123456789, NOON + timedelta(hours=6))
    wire = order_json(live)
    assert wire["filled_qty"] == "3.5" and wire["qty"] == "10.0" and wire["hwm"] == "101.25"
    assert wire["updated_at"] == "2016-08-12T16:00:00-04:00" and wire["filled_at"] is None
    assert wire["status"] == "partially_filled"
    assert order_from_json(json.loads(json.dumps(wire))) == live
    fresh = order_json(order("o2", "b"))
    assert fresh["filled_qty"] == "0" and fresh["filled_avg_price"] is None  # Alpaca's "0", not "0.0"


def test_the_state_document_holds_the_clock_the_ledger_and_the_book() -> None:
    ledger = Ledger(900.0, 1000.0, {"AAPL": Holding(1.0, 100.0)})
    book = OrderBook([order("o1", "a"), order("o2", "b", elected=True)])
    dates = pd.bdate_range("2024-01-02", periods=10)
    doc = json.loads(json.dumps(state_doc(SessionClock(dates, 7, Phase.OPEN), ledger, book, "fp")))
    assert list(doc) == ["session", "phase", "cash", "last_equity", "orders", "positions", "fingerprint", "elected"]
    assert (doc["session"], doc["phase"], doc["elected"]) == (7, "open", ["o2"])
    saved = restored(doc, dates)
    assert saved.sessions == SessionClock(dates, 7, Phase.OPEN) and saved.ledger == ledger
    assert list(saved.orders.items()) == list(book.items()) and saved.orders.knows("b")
    assert [o.elected for o in saved.orders.values()] == [False, True]
    del doc["elected"]  # a document written before elections were kept
    assert not any(o.elected for o in restored(doc, dates).orders.values())


def test_the_session_clock_opens_closes_and_runs_out() -> None:
    dates = pd.bdate_range("2024-01-02", periods=3)
    clock = SessionClock(dates, 1)
    assert not clock.is_open and clock.scheduled().isoformat() == "2024-01-03T09:00:00-05:00"
    assert clock.next_open_day() == dates[1] and list(clock.visible()) == [dates[0]]
    clock.opened()
    assert clock.is_open and clock.scheduled().hour == 10 and clock.next_open_day() == dates[2]
    clock.closed()
    assert (clock.session, clock.phase, clock.exhausted) == (2, Phase.PRE_OPEN, False)
    clock.opened()
    assert clock.exhausted  # the last session is open: nothing left to close into
