"""The sandbox account's holdings (brokers/sandbox/ledger.py), judged directly: Alpaca's cost basis
(average cost; a partial close keeps the average, a flip restarts at the fill price), quantities in
decimal, and the state document's shape a restarted sandbox reads back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from brokers.sandbox.ledger import FLAT, Holding, Ledger, exact_sum


def test_buying_more_averages_and_a_partial_close_keeps_the_average() -> None:
    held = FLAT.after(10, 100.0).after(10, 110.0)
    assert (held.qty, held.cost) == (20.0, 2100.0)
    closed = held.after(-5, 130.0)
    assert closed.qty == 15.0 and closed.cost / closed.qty == pytest.approx(105.0)


def test_a_flip_restarts_the_cost_at_the_fill_price() -> None:
    short = Holding(10.0, 1000.0).after(-15, 90.0)
    assert (short.qty, short.cost) == (-5.0, -450.0)


def test_quantities_are_booked_in_decimal() -> None:
    assert exact_sum(225.0334, -47.9721) == 177.0613
    assert Holding(225.0334, 0.0).after(-47.9721, 1.0).qty == 177.0613


def test_a_split_rescales_the_shares_and_keeps_the_cost() -> None:
    assert Holding(3.0, 300.0).split(Decimal(4)) == Holding(12.0, 300.0)


def test_booking_moves_cash_and_a_closed_position_disappears() -> None:
    ledger = Ledger(cash=1000.0, last_equity=1000.0)
    ledger.book("AAPL", 5.0, 100.0, charges=1.0)
    assert ledger.cash == 499.0 and ledger.qty("AAPL") == 5.0
    ledger.book("AAPL", -5.0, 110.0, charges=1.0)
    assert ledger.cash == 1048.0 and "AAPL" not in ledger.positions and ledger.qty("AAPL") == 0.0


def test_equity_values_a_position_without_a_price_at_its_entry() -> None:
    ledger = Ledger(100.0, 100.0, {"A": Holding(2.0, 20.0), "B": Holding(1.0, 5.0)})
    assert ledger.equity({"A": 11.0, "B": float("nan")}.__getitem__) == 100.0 + 22.0 + 5.0


def test_the_state_document_keeps_its_shape() -> None:
    ledger = Ledger(1.5, 2.5, {"AAPL": Holding(3.0, 30.0)})
    doc = json.loads(json.dumps(ledger.to_state()))
    assert doc == {"cash": 1.5, "last_equity": 2.5, "positions": {"AAPL": {"qty": 3.0, "cost": 30.0}}}
    assert Ledger.from_state(doc) == ledger
