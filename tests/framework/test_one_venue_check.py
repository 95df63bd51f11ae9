"""One venue check per order (issue 31 part 6): where the venue judges in process by the venue
model (``capabilities.judges_orders``: the simulators), the order manager does not judge first,
and a refusal is journaled exactly as the order manager's own pre-check journals it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from inmemory_broker import InMemoryBroker

from brokers.lean import run_lean_backtest
from framework.broker import BrokerCapabilities
from framework.config import OrdersConfig, Settings, VenueConfig
from framework.data import load_configured
from framework.enums import OrderSide, OrderStatus
from framework.errors import OrderRejected
from framework.journal import Journal
from framework.order_manager import OrderManager
from framework.orders import Order
from framework.registry import get_strategy
from framework.venue import Venue, VenueBook, venue_from_config

T = datetime(2020, 1, 2, tzinfo=UTC)
CASH = Decimal(1_000)  # a cash account: a $5,000 buy is beyond its buying power


class JudgingBroker(InMemoryBroker):
    """A venue that judges every order by the venue model against its own book, as the
    simulators do."""

    def __init__(self, venue: Venue) -> None:
        super().__init__(cash=float(CASH))
        self.venue = venue

    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(native_stop=False, native_trailing_stop=False, judges_orders=True)

    def submit_order(self, order: Order) -> Order:
        rejection = self.venue.check(order, VenueBook(cash=self.cash, prices={order.symbol: Decimal(50)}))
        if rejection is not None:
            raise rejection.error(f"submit {order.client_order_id}")
        return super().submit_order(order)


def _manager(broker: InMemoryBroker, venue: Venue, tmp_path, name: str) -> tuple[OrderManager, list[int]]:
    journal = Journal(tmp_path / f"{name}.sqlite")
    manager = OrderManager(broker, journal, OrdersConfig(), "r", clock=lambda: T)
    books: list[int] = []

    def our_book() -> VenueBook:
        books.append(1)
        return VenueBook(cash=CASH, prices={"AAA": Decimal(50)})

    manager.venue, manager.venue_book = venue, our_book
    return manager, books


def _too_big() -> Order:
    return Order(client_order_id="big-1", symbol="AAA", side=OrderSide.BUY, qty=Decimal(100), created_at=T)


def test_a_venue_judging_in_process_is_not_judged_first_and_its_refusal_is_journaled_as_the_pre_checks(
        tmp_path) -> None:
    venue = venue_from_config(VenueConfig(margin_multiplier=1))
    judged: list[Order] = []

    class Counting(Venue):
        def check(self, order, book):  # the real rules, counted
            judged.append(order)
            return super().check(order, book)

    counting = Counting(**{f: getattr(venue, f) for f in venue.__dataclass_fields__})
    theirs, their_books = _manager(JudgingBroker(counting), counting, tmp_path, "judging")
    [refused] = theirs.submit_many([_too_big()])
    assert their_books == [] and len(judged) == 1  # one check: the venue's own

    ours, our_books = _manager(InMemoryBroker(cash=float(CASH)), venue, tmp_path, "pre-checked")
    [pre_refused] = ours.submit_many([_too_big()])
    assert our_books == [1] and ours.broker.submit_calls == []  # judged here, never sent

    assert refused.order.status is pre_refused.order.status is OrderStatus.REJECTED
    events = [theirs.journal.table("order_events"), ours.journal.table("order_events")]
    rows = [e[["client_order_id", "event", "status", "time", "detail"]].to_dict("records") for e in events]
    assert rows[0] == rows[1]
    assert rows[0][-1]["event"] == "venue_rule" and "insufficient buying power" in rows[0][-1]["detail"]
    for manager in (theirs, ours):
        manager.journal.close()


def test_a_refusal_without_a_rule_stays_the_venues_rejection(tmp_path) -> None:
    """A judging venue's refusal that names no rule of the model (no data for the symbol) is not
    passed off as the model's verdict."""
    class NoData(JudgingBroker):
        def submit_order(self, order: Order) -> Order:
            raise OrderRejected(f"order {order.client_order_id}: no data for symbol {order.symbol}")

    venue = venue_from_config(VenueConfig())
    manager, _ = _manager(NoData(venue), venue, tmp_path, "nodata")
    small = Order(client_order_id="s-1", symbol="AAA", side=OrderSide.BUY, qty=Decimal(1), created_at=T)
    [result] = manager.submit_many([small])
    events = manager.journal.table("order_events")
    assert result.order.status is OrderStatus.REJECTED
    assert events["event"].tolist()[-1] == "rejected" and "no data" in events["detail"].tolist()[-1]
    manager.journal.close()


@pytest.fixture(scope="module")
def momentum() -> tuple[Settings, object]:
    settings = Settings.model_validate({"strategy": {"name": "momentum", "params": {"lookback": 126, "skip": 21}}})
    return settings, load_configured(settings.data).select(["AAPL", "MSFT", "XOM", "JPM", "PFE", "KO"])


def test_a_lean_backtest_checks_each_order_once(momentum, tmp_path, monkeypatch) -> None:
    settings, market = momentum
    judged: list[str] = []
    check = Venue.check

    def counted(self: Venue, order: Order, book: VenueBook):
        judged.append(order.client_order_id)
        return check(self, order, book)

    monkeypatch.setattr(Venue, "check", counted)
    strategy = get_strategy("momentum")(settings.strategy.params)
    result = run_lean_backtest(market, strategy, settings, tmp_path / "lean.sqlite")
    journal = Journal(result.journal_path)
    sent = [o.client_order_id for o in journal.orders() if o.tag != "delisting"]
    journal.close()
    assert len(sent) > 20
    assert sorted(judged) == sorted(sent)  # every order judged, none twice
