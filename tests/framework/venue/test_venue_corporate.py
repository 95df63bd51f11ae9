"""Corporate actions: splits change share counts, dividends move cash; read from market data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from market_once import embedded

from framework.venue import ActionKind, CorporateAction, actions_on, actions_over, dividend_cash, split_quantity
from framework.venue.corporate import split_price


def test_split_keeps_the_cost_basis() -> None:
    qty, avg = Decimal(10), Decimal(300)
    new_qty, new_avg = split_quantity(qty, Decimal(4)), split_price(avg, Decimal(4))
    assert (new_qty, new_avg) == (Decimal(40), Decimal(75)) and new_qty * new_avg == qty * avg


def test_a_dividend_pays_longs_and_charges_shorts() -> None:
    assert dividend_cash(Decimal(100), Decimal("0.77")) == Decimal("77.00")
    assert dividend_cash(Decimal(-100), Decimal("0.77")) == Decimal("-77.00")


def test_actions_are_read_from_the_data_frames() -> None:
    days = pd.bdate_range("2020-08-27", periods=3)
    splits = pd.DataFrame({"AAPL": [np.nan, 4.0, np.nan], "MSFT": [np.nan, 1.0, np.nan]}, index=days)
    dividends = pd.DataFrame({"AAPL": [np.nan, np.nan, np.nan], "MSFT": [np.nan, 0.51, np.nan]}, index=days)
    market = SimpleNamespace(splits=splits, dividends=dividends)
    assert actions_on(market, days[1]) == [
        CorporateAction("AAPL", date(2020, 8, 28), ActionKind.SPLIT, Decimal(4)),
        CorporateAction("MSFT", date(2020, 8, 28), ActionKind.DIVIDEND, Decimal("0.51")),
    ]
    assert actions_on(market, days[0]) == []
    assert actions_on(SimpleNamespace(), days[1]) == []  # data without actions has none


def test_an_action_needs_a_positive_value() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        CorporateAction("AAPL", date(2020, 1, 2), "split", Decimal(0))


def test_actions_over_many_days_are_each_days_actions_joined() -> None:
    """The paper cycle reads a whole history's actions at once (issue 31 part 5): the same
    actions in the same order as day by day, on the sample's five years and on hand-made frames
    with columns out of order, a day the frames lack, a split of 1 and a negative value."""
    market = embedded()
    days = list(market.dates)
    over = actions_over(market, days)
    assert len(over) > 100  # the sample's dividends and splits
    assert over == [a for day in days for a in actions_on(market, day)]

    index = pd.bdate_range("2020-08-27", periods=3)
    hand = SimpleNamespace(
        splits=pd.DataFrame({"ZZ": [2.0, 1.0, np.nan], "AA": [np.nan, 4.0, -1.0]}, index=index),
        dividends=pd.DataFrame({"ZZ": [0.5, np.nan, 0.25], "AA": [0.1, np.nan, np.nan]}, index=index),
    )
    asked = [index[2], pd.Timestamp("2020-08-30"), index[0], index[1]]  # not in order; a Sunday
    assert actions_over(hand, asked) == [a for day in asked for a in actions_on(hand, day)]
    assert [a.symbol for a in actions_over(hand, [index[0]])] == ["ZZ", "AA", "ZZ"]  # splits, then dividends
    assert actions_over(SimpleNamespace(), days) == []
