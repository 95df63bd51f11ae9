"""Paper learns of the venue's splits and dividends from the bars, so it must apply each to its
books exactly once, only to what was held at the ex-date's open, and a restart must replay it in
order with the fills: otherwise a split is adopted as a quantity difference and the trailing
stop's high stays in old shares (four times the price after a 4-for-1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
from inmemory_broker import InMemoryBroker
from snapshots import snapshot

from framework.config import Settings
from framework.venue import ActionKind, CorporateAction

SIGNALS = pd.Series({"AAA": 1.0, "BBB": 0.0, "CCC": 0.0, "DDD": 0.0})
PRICES = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0, "DDD": 10.0}
SPLIT = CorporateAction("AAA", date(2020, 1, 9), ActionKind.SPLIT, Decimal(4))
SETTINGS = Settings.model_validate({"signals": {"rebalance_every": 1}, "risk": {"trailing_stop": 0.05}})


def _held_aaa(make_engine):
    """An engine holding AAA since the 7th, marked at 100 then 120 (its high) before the split."""
    broker = InMemoryBroker()
    engine = make_engine(broker, SETTINGS)
    engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", PRICES), SIGNALS)
    broker.fill_open(PRICES, at=datetime(2020, 1, 7, 14, 30, tzinfo=UTC))
    engine.on_bar(pd.Timestamp("2020-01-07"), snapshot("2020-01-07", PRICES), SIGNALS)
    engine.on_bar(pd.Timestamp("2020-01-08"), snapshot("2020-01-08", {**PRICES, "AAA": 120.0}), SIGNALS)
    return broker, engine


def test_a_split_is_applied_once_and_replayed_by_a_restart(make_engine, tmp_path) -> None:
    _broker, engine = _held_aaa(make_engine)
    before = engine.portfolio.holdings["AAA"]
    qty, cost = before.qty, before.cost

    assert engine.catch_up_actions([SPLIT]) == [SPLIT]
    assert engine.catch_up_actions([SPLIT]) == []  # seen again in the next cycle's bars: not again
    held = engine.portfolio.holdings["AAA"]
    assert (held.qty, held.cost, held.high_water) == (4 * qty, cost, Decimal(30))

    restarted = make_engine(InMemoryBroker(), SETTINGS, path=tmp_path / "journal.sqlite")
    restarted.rebuild_books()
    again = restarted.portfolio.holdings["AAA"]
    assert (again.qty, again.cost) == (4 * qty, cost)
    assert again.high_water == Decimal(30)  # the journaled marks of 100 and 120 restated in new shares
    assert restarted.catch_up_actions([SPLIT]) == []  # the restart knows it was applied


def test_actions_before_the_holding_opened_and_unpaid_dividends_change_nothing(make_engine) -> None:
    _broker, engine = _held_aaa(make_engine)
    held = engine.portfolio.holdings["AAA"]
    books = (held.qty, held.cost, held.high_water, engine.portfolio.cash)
    earlier = CorporateAction("AAA", date(2020, 1, 7), ActionKind.SPLIT, Decimal(2))  # bought after its open
    unheld = CorporateAction("BBB", date(2020, 1, 9), ActionKind.SPLIT, Decimal(2))
    dividend = CorporateAction("AAA", date(2020, 1, 9), ActionKind.DIVIDEND, Decimal("0.5"))  # alpaca_paper pays none

    assert engine.catch_up_actions([earlier, unheld, dividend]) == []
    held = engine.portfolio.holdings["AAA"]
    assert (held.qty, held.cost, held.high_water, engine.portfolio.cash) == books


def test_a_paid_dividend_is_cash_once(make_engine) -> None:
    broker = InMemoryBroker()
    settings = SETTINGS.model_copy(update={"venue": SETTINGS.venue.model_copy(update={"dividends": True})})
    engine = make_engine(broker, settings)
    engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", PRICES), SIGNALS)
    broker.fill_open(PRICES, at=datetime(2020, 1, 7, 14, 30, tzinfo=UTC))
    cash, qty = engine.portfolio.cash, engine.portfolio.holdings["AAA"].qty
    dividend = CorporateAction("AAA", date(2020, 1, 9), ActionKind.DIVIDEND, Decimal("0.5"))

    engine.catch_up_actions([dividend])
    engine.catch_up_actions([dividend])
    assert engine.portfolio.cash == cash + qty * Decimal("0.5")
