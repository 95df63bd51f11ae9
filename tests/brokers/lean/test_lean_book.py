"""The lean broker's venue book, kept up to date as fills and splits change the account (issue 31),
answers as a book built from scratch off the account would: every session, every order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.backtrader.broker import DUST_SHARES, _d, latest_trade
from brokers.lean.broker import Bars, LeanBroker
from framework.config.venue import VenueConfig
from framework.enums import OrderSide, OrderType, TimeInForce
from framework.errors import OrderRejected
from framework.orders import Order
from framework.venue import ActionKind, BookPosition, CorporateAction, VenueBook, venue_from_config

SYMBOLS = ["AAA", "BBB", "CCC"]
T0 = datetime(2020, 1, 2, 21, tzinfo=UTC)


def _bars(closes: list[list[float]]) -> Bars:
    close = np.array(closes, dtype=float)
    close[0, 2] = np.nan  # CCC lists a session late
    fields = {"open": close * 1.01, "high": close * 1.02, "low": close * 0.98, "close": close,
              "volume": np.full(close.shape, 1e6)}
    return Bars(SYMBOLS, np.arange(len(close), dtype=float), fields)


def _scratch(broker: LeanBroker) -> VenueBook:
    """The book as it was built before the broker kept it: every position of the account, now."""
    closes = broker.bars.latest_closes(broker.row)
    positions = {}
    for symbol, pos in broker.account.positions.items():
        if abs(pos.size) >= DUST_SHARES:
            last = latest_trade(closes[broker.bars.column[symbol]])
            positions[symbol] = BookPosition(_d(pos.size), last if last is not None else _d(pos.price))
    return VenueBook(cash=_d(broker.account.cash), positions=positions)


steps = st.lists(st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(list(OrderSide)),
                           st.integers(min_value=1, max_value=400), st.sampled_from([None, 2, 3])),
                 min_size=1, max_size=12)
prices = st.lists(st.lists(st.floats(min_value=5, max_value=300), min_size=3, max_size=3), min_size=13, max_size=13)


@settings(max_examples=40)
@given(closes=prices, plan=steps)
def test_the_kept_book_is_the_book_built_from_scratch(closes: list[list[float]], plan: list) -> None:
    bars = _bars(closes)
    clock = {"now": T0}
    broker = LeanBroker(bars, 50_000.0, venue_from_config(VenueConfig()), lambda: clock["now"])
    for row, (symbol, side, qty, split) in enumerate(plan, start=1):
        broker.row = row - 1
        order = Order(client_order_id=f"o{row}", symbol=symbol, side=side, qty=Decimal(qty),
                      type=OrderType.MARKET, time_in_force=TimeInForce.GTC, created_at=clock["now"])
        try:
            broker.submit_order(order)
        except OrderRejected:
            pass  # the venue's refusal: the account is unchanged, the book must still agree
        clock["now"] += timedelta(days=1)
        broker.row = row
        if split is not None:
            broker.apply_corporate_action(CorporateAction(symbol, date(2020, 1, 2), ActionKind.SPLIT, Decimal(split)))
        broker.fill_step(row)
        kept, scratch = broker.book(), _scratch(broker)
        assert dict(kept.positions) == dict(scratch.positions)
        assert list(kept.positions) == list(scratch.positions)  # the valuation's order: Decimal sums
        assert (kept.cash, kept.equity, kept.long_value, kept.short_value) == (
            scratch.cash, scratch.equity, scratch.long_value, scratch.short_value)
        assert broker.get_account().equity == _d(float(scratch.equity))
