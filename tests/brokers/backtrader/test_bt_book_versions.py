"""The adapter's venue book follows the account: it keeps backtrader's holdings between changes
(``_holdings``, by the account's version), so every change — a fill, a split, another bar's
closes — must show in the next book. Orders through a real Cerebro run, the book read each bar."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import backtrader as bt
from bt_scenarios import market

from brokers.backtrader.broker import BacktraderBroker
from brokers.backtrader.runner import simulator
from framework.config.backtest import BacktestConfig
from framework.config.venue import VenueConfig
from framework.enums import OrderSide, TimeInForce
from framework.orders import Order
from framework.venue import ActionKind, CorporateAction, venue_from_config

T = datetime(2020, 1, 2, 21, tzinfo=UTC)
CLOSES = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0]


def _order(cid: str, side: OrderSide, qty: str) -> Order:
    return Order(client_order_id=cid, symbol="AAA", side=side, qty=Decimal(qty), time_in_force=TimeInForce.DAY,
                 created_at=T)


def _books() -> list[tuple[int, str, Decimal, Decimal | None, Decimal]]:
    """(bar, when, AAA's size, AAA's mark, cash) as the book says at each bar's decision, and
    right after a 2-for-1 split applied at bar 4's decision."""
    venue = venue_from_config(VenueConfig.model_validate({"slippage": {"mode": "fixed", "value": 0.0}}))
    cerebro, feeds = simulator(market({"AAA": CLOSES}), BacktestConfig(cash=10_000.0), venue)
    seen: list[tuple[int, str, Decimal, Decimal | None, Decimal]] = []

    class Script(bt.Strategy):
        def start(self) -> None:
            self.adapter = BacktraderBroker(self, feeds, lambda: T, venue)

        def notify_order(self, order: bt.Order) -> None:
            self.adapter.notify(order)

        def _look(self, when: str) -> None:
            book = self.adapter.book()
            seen.append((len(self), when, book.position_qty("AAA"), book.price("AAA"), book.cash))

        def next(self) -> None:
            self._look("decision")
            if len(self) == 1:
                self.adapter.submit_order(_order("buy", OrderSide.BUY, "10"))
            elif len(self) == 3:
                self.adapter.submit_order(_order("sell", OrderSide.SELL, "4"))
            elif len(self) == 4:
                self.adapter.apply_corporate_action(CorporateAction("AAA", T.date(), ActionKind.SPLIT, Decimal(2)))
                self._look("after the split")

    cerebro.addstrategy(Script)
    cerebro.run()
    return seen


def test_every_change_of_the_account_shows_in_the_next_book() -> None:
    seen = _books()
    sizes = [(bar, when, qty) for bar, when, qty, _, _ in seen]
    assert sizes == [
        (1, "decision", Decimal(0)),
        (2, "decision", Decimal(10)),  # bought at bar 2's open
        (3, "decision", Decimal(10)),
        (4, "decision", Decimal(6)),  # sold 4 at bar 4's open
        (4, "after the split", Decimal(12)),  # the same bar: the split's new size at once
        (5, "decision", Decimal(12)),
        (6, "decision", Decimal(12)),
    ]
    marks = {(bar, when): mark for bar, when, _, mark, _ in seen if when == "decision" and bar > 1}
    assert marks == {(b, "decision"): Decimal(repr(CLOSES[b - 1])) for b in range(2, 7)}  # each bar's close
    cash = [c for _, when, _, _, c in seen if when == "decision"]
    assert cash[0] == cash[1] + Decimal(10) * Decimal(repr(CLOSES[1]))  # the buy's cost left the cash
    assert cash[3] > cash[2]  # the sale's proceeds came in
