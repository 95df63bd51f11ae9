"""A person's fills in today's shares (:mod:`framework.foreign`): restated by the splits gone ex
after them, so reconciliation never takes split shares of theirs for ours (seed 230)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from framework.enums import OrderSide, OrderStatus
from framework.foreign import held_now, ours
from framework.journal import Journal
from framework.orders import Order
from framework.positions import Position
from framework.venue import ActionKind, CorporateAction


def _bought(qty: str, when: datetime) -> Order:
    return Order("person-1", "XOM", OrderSide.BUY, qty=Decimal(qty), status=OrderStatus.FILLED,
                 filled_qty=Decimal(qty), filled_avg_price=Decimal("80"), created_at=when, updated_at=when)


SPLIT = CorporateAction("XOM", date(2019, 4, 10), ActionKind.SPLIT, Decimal("0.5"))


def test_a_fill_before_an_ex_date_is_restated_one_on_or_after_it_is_not() -> None:
    before = _bought("3", datetime(2019, 4, 9, 13, 30, tzinfo=UTC))  # 09:30 New York, the day before
    on = _bought("3", datetime(2019, 4, 10, 13, 30, tzinfo=UTC))  # the ex-date's open: after the split
    assert held_now(before, [SPLIT]) == Decimal("1.5")
    assert held_now(on, [SPLIT]) == Decimal(3)
    other = CorporateAction("JPM", date(2019, 4, 10), ActionKind.SPLIT, Decimal(2))
    assert held_now(before, [other]) == Decimal(3)


def test_the_venue_holding_only_a_persons_split_shares_is_nothing_of_ours() -> None:
    person = _bought("3", datetime(2019, 4, 9, 13, 30, tzinfo=UTC))
    venue = [Position("XOM", Decimal("1.5"), Decimal("160"))]
    assert ours(venue, Decimal(1000), [person], [SPLIT]) == ([], Decimal(1240))
    positions, _ = ours(venue, Decimal(1000), [person])  # without the split: a short of 1.5 of "ours"
    assert positions == [Position("XOM", Decimal("-1.5"), Decimal("160"))]


def test_the_journal_keeps_each_venue_split_once(tmp_path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    try:
        assert journal.venue_splits() == []
        dividend = CorporateAction("XOM", date(2019, 4, 11), ActionKind.DIVIDEND, Decimal("0.8"))
        journal.record_venue_splits([SPLIT, dividend])
        journal.record_venue_splits([SPLIT])
        assert journal.venue_splits() == [SPLIT]
    finally:
        journal.close()
