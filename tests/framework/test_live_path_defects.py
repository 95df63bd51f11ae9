"""Issue 26's defects in the execution core and its pure policies, one regression test each, named
after the defect; each failed on the code before its fix. The end-to-end ones (the sandbox through
real alpaca-py) are in tests/framework/live/test_live_path_defects_sandbox.py."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
from inmemory_broker import NOW, InMemoryBroker
from snapshots import snapshot

from analyzers.dashboard.reader import JournalReader
from analyzers.dashboard.status import StatusInputs, build_status
from framework.alerts import Alert, AlertKind, Severity
from framework.broker import BrokerCapabilities
from framework.config import Settings
from framework.data import session_time
from framework.enums import OrderEvent, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import OrderRejected
from framework.fills import Fill
from framework.journal import Journal
from framework.live import actions
from framework.live.snapshot import VenueInfo
from framework.logs import JsonLinesFormatter
from framework.orders import Order
from framework.redaction import MASK, SecretFilter
from framework.retry import RetryPolicy

SECRET = "s3cr3t-webhook-token-0123"


def test_defect08_secrets_in_structured_log_fields_and_alert_details_are_masked() -> None:
    f = SecretFilter()
    f.add(SECRET)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "posting", None, None)
    record.url = f"https://hooks.example.com/{SECRET}"  # an ``extra=`` field
    record.detail = {"nested": [f"key {SECRET}"]}
    assert f.filter(record)
    line = JsonLinesFormatter().format(record)
    assert SECRET not in line and MASK in line
    alert = Alert(AlertKind.CYCLE_FAILURE, Severity.CRITICAL, f"failed: {SECRET}", datetime(2026, 1, 2, tzinfo=UTC),
                  "acct", {"error": f"401 for key {SECRET}", "more": {"list": [SECRET]}})
    sent = json.dumps(alert.to_json(secrets=f))
    assert SECRET not in sent and MASK in sent


# -- the engine on the in-memory broker ------------------------------------------------------


PRICES = {"AAA": 100.0, "BBB": 50.0}
LONG = pd.Series({"AAA": 1.0, "BBB": 1.0})


def _settings(**sections) -> Settings:
    return Settings.model_validate({"signals": {"rebalance_every": 1}, **sections})


class RefusingBroker(InMemoryBroker):
    """Refuses (403) every order for ``refused`` symbols; counts every attempt to submit."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused, self.attempts = refused, []

    def submit_order(self, order: Order) -> Order:
        self.attempts.append(order.client_order_id)
        if order.symbol in self.refused:
            raise OrderRejected("insufficient buying power", status_code=403)
        return super().submit_order(order)


def test_defect02_a_rerun_never_resends_a_refused_or_withdrawn_order(make_engine) -> None:
    broker = RefusingBroker({"AAA"})
    engine = make_engine(broker)
    session = session_time(pd.Timestamp("2020-01-02"))
    refused = Order(client_order_id="test-20200102-AAA-rebalance-x", symbol="AAA", side=OrderSide.BUY,
                    qty=Decimal(10), created_at=NOW)
    withdrawn = Order(client_order_id="test-20200102-BBB-rebalance-x", symbol="BBB", side=OrderSide.BUY,
                      qty=Decimal(10), created_at=NOW)
    assert engine.orders.submit_many([refused], session)[0].order.status is OrderStatus.REJECTED
    engine.journal.record_intents("run1", [withdrawn], session)
    engine.orders.orders[withdrawn.client_order_id] = withdrawn
    engine.orders.withdraw(withdrawn, "halted: an intent that adds risk is not sent")
    again = engine.orders.submit_many([refused, withdrawn], session)  # the same decision, run again
    assert broker.attempts == [refused.client_order_id]  # not sent a second time
    assert [r.order.status for r in again] == [OrderStatus.REJECTED, OrderStatus.CANCELED]  # the journaled state
    assert [r.attempts for r in again] == [0, 0]


def test_defect06_a_max_drawdown_halt_can_be_resumed(make_engine, tmp_path) -> None:
    settings = _settings(risk={"max_drawdown": 0.1, "daily_loss_limit": 0.5, "max_position_weight": 0.5,
                               "max_sector_exposure": 1.0})
    broker = InMemoryBroker()
    path = tmp_path / "dd.sqlite"
    engine = make_engine(broker, settings, path=path)
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    crashed = {"AAA": 80.0, "BBB": 40.0}
    report = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", crashed), LONG)
    assert report.halt_reason == "max_drawdown"
    actions.resume(engine.journal, None, origin="test")  # the operator's resume (another process)
    report = engine.on_bar(pd.Timestamp("2020-01-07"), snapshot("2020-01-07", crashed), LONG)
    assert not report.halted and report.halt_reason == ""  # the resume holds in this process
    engine.journal.close()
    restarted = make_engine(broker, settings, path=path)
    restarted.rebuild_books()
    restarted.restore_guards()
    report = restarted.on_bar(pd.Timestamp("2020-01-08"), snapshot("2020-01-08", crashed), LONG)
    assert not report.halted  # and across a restart: the peak is the one the resume journaled
    worse = {"AAA": 70.0, "BBB": 35.0}  # a new 12.5% drawdown from the resumed peak halts again
    report = restarted.on_bar(pd.Timestamp("2020-01-09"), snapshot("2020-01-09", worse), LONG)
    assert report.halt_reason == "max_drawdown"


def test_defect12_the_wait_a_rate_limit_asks_for_is_honoured_past_the_read_deadline() -> None:
    policy = RetryPolicy(attempts=6, initial=0.1, maximum=1.0, deadline=0.5)
    assert policy.delay(1, 0.0, 0.5, floor=1.0) == 1.0  # the venue's 429 reset: waited out
    assert policy.delay(6, 0.0, 0.5, floor=1.0) is None  # the attempts still bound it
    assert policy.delay(3, 0.45, 0.99) is None  # a failure's backoff still stops at the deadline


class NativeStopBroker(InMemoryBroker):
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(native_stop=True, native_trailing_stop=True)

    def fill_one(self, cid: str, qty: Decimal, price: float) -> None:
        """One execution of ``qty`` on one order (a partial fill of a stop, say)."""
        o = self.orders[cid]
        fill = Fill(f"x{cid}{qty}", cid, o.symbol, o.side, qty, Decimal(str(price)), NOW, Decimal(0), o.broker_order_id)
        total = o.filled_qty + qty
        status = OrderStatus.FILLED if total == o.qty else OrderStatus.PARTIALLY_FILLED
        o = o.evolve(filled_qty=total, filled_avg_price=fill.price).transition(status, updated_at=NOW)
        self.orders[cid] = o
        self._book(fill)
        self._emit(OrderEvent.FILL if status is OrderStatus.FILLED else OrderEvent.PARTIAL_FILL, o, fill)


def _open(broker: InMemoryBroker, symbol: str, side: OrderSide) -> list[Order]:
    return [o for o in broker.orders.values() if o.symbol == symbol and o.side is side and o.is_open]


def test_defect05_a_stop_exit_first_cancels_the_unfilled_buy_of_its_symbol(make_engine) -> None:
    broker = NativeStopBroker()
    engine = make_engine(broker, _settings(orders={"type": "limit", "time_in_force": "gtc"},
                                           risk={"stop_loss": 0.1, "max_position_weight": 0.5,
                                                 "max_sector_exposure": 1.0, "daily_loss_limit": 0.5}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    [buy] = _open(broker, "AAA", OrderSide.BUY)
    broker.fill_one(buy.client_order_id, Decimal(int(buy.qty / 2)), 100.0)  # half filled; the rest works on (GTC)
    crashed = {"AAA": 85.0, "BBB": 50.0}  # below AAA's stop level (90): a stop exit
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", crashed), LONG)
    assert any(o.symbol == "AAA" and o.side is OrderSide.SELL and o.tag == "stop" for o in report.orders)
    assert _open(broker, "AAA", OrderSide.BUY) == []  # it would refill the position just stopped out


def test_suspicion_a_partly_filled_stop_has_its_old_fills_subtracted_once(make_engine) -> None:
    broker = NativeStopBroker()
    engine = make_engine(broker, _settings(risk={"stop_loss": 0.1, "max_position_weight": 0.5,
                                                 "max_sector_exposure": 1.0, "daily_loss_limit": 0.5}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    [stop] = [o for o in broker.orders.values() if o.tag == "protective" and o.symbol == "AAA" and o.is_open]
    broker.fill_one(stop.client_order_id, Decimal(100), 90.0)  # the stop fired in part overnight
    held = engine.portfolio.holdings["AAA"].qty
    report = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", PRICES),
                           pd.Series({"AAA": -1.0, "BBB": 1.0}))  # AAA's target is flat: an exit
    [sale] = [o for o in report.orders if o.symbol == "AAA" and o.side is OrderSide.SELL and o.tag != "protective"]
    assert sale.qty == held  # every share still held, not held less the stop's earlier 100


def test_suspicion_a_split_found_by_reconciliation_restates_the_trailing_high(make_engine, tmp_path) -> None:
    settings = _settings(risk={"trailing_stop": 0.1, "max_position_weight": 0.5, "max_sector_exposure": 1.0,
                               "daily_loss_limit": 0.5, "max_drawdown": 0.9})
    broker = InMemoryBroker()
    path = tmp_path / "split.sqlite"
    engine = make_engine(broker, settings, path=path)
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    high = {"AAA": 120.0, "BBB": 50.0}
    engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", high), LONG)
    held = broker.positions["AAA"]
    broker.positions["AAA"], broker.avg["AAA"] = held * 2, broker.avg["AAA"] / 2  # a 2-for-1 split at the venue
    engine.reconcile()  # the bars showed no split: reconciliation is where it is found
    assert engine.portfolio.holdings["AAA"].high_water == Decimal(60)  # restated, as a split
    split = {"AAA": 60.0, "BBB": 50.0}  # the same value as 120 before the split: no trailing stop crossed
    report = engine.on_bar(pd.Timestamp("2020-01-06"), snapshot("2020-01-06", split), LONG)
    assert not [o for o in report.orders if o.symbol == "AAA" and o.tag == "stop"], report.orders
    engine.journal.close()
    restarted = make_engine(broker, settings, path=path)  # and after a restart, from the journal
    restarted.rebuild_books()
    assert restarted.portfolio.holdings["AAA"].high_water == Decimal(60)


def test_suspicion_a_halt_landing_mid_cycle_stops_that_cycles_risk_adding_sends(make_engine, tmp_path) -> None:
    path = tmp_path / "mid.sqlite"

    class HaltedDuringTheSends(InMemoryBroker):
        """`trade halt` from another process lands right after the decision's first send."""

        def submit_order(self, order: Order) -> Order:
            acked = super().submit_order(order)
            if len(self.submit_calls) == 1:
                other = Journal(path)
                actions.halt(other, None, origin="cli")
                other.close()
            return acked

    broker = HaltedDuringTheSends()
    engine = make_engine(broker, _settings(risk={"max_position_weight": 0.3, "max_sector_exposure": 1.0}), path=path)
    report = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", {**PRICES, "CCC": 20.0}),
                           pd.Series({"AAA": 1.0, "BBB": 1.0, "CCC": 1.0}))
    assert len(broker.submit_calls) == 1  # the buys decided before the halt were not sent after it
    withdrawn = [o for o in report.orders if o.status is OrderStatus.CANCELED]
    assert len(withdrawn) == 2 and engine.journal.halt_state().halted


def test_a_halt_by_another_process_between_two_decisions_is_seen_at_the_next_bar(make_engine, tmp_path) -> None:
    """The engine keeps the halt in memory between bars (issue 31): `trade halt` from another
    process (its own connection) is still seen at the next decision, which adds no risk."""
    path = tmp_path / "shared.sqlite"
    broker = InMemoryBroker()
    engine = make_engine(broker, path=path)
    first = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), pd.Series({"AAA": 1.0}))
    assert not first.halted and {o.symbol for o in first.orders} == {"AAA"}
    other = Journal(path)
    actions.halt(other, None, origin="cli")
    other.close()
    sent = len(broker.submit_calls)
    second = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), LONG)
    assert len(broker.submit_calls) == sent  # BBB's buy would add risk: not sent
    assert second.halted


def test_defect04_another_process_writing_the_journal_mid_cycle_breaks_neither(make_engine, tmp_path) -> None:
    path = tmp_path / "shared.sqlite"

    class WatchedAccount(InMemoryBroker):
        """`trade watch` (another process) journals a mark while the cycle reads the account."""

        def get_account(self):
            other = Journal(path)
            other.record_event("*", "loss_watch", "tick", NOW, "another process writes")
            other.close()
            return super().get_account()

    engine = make_engine(WatchedAccount(), path=path)
    report = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    assert {o.symbol for o in report.orders} == {"AAA", "BBB"}  # the decision went out and was journaled
    assert len(engine.journal.equity_curve("run1")) == 1


def test_defect13_a_manual_stop_holding_the_shares_is_in_the_venue_book_our_exit_is_refused_not_skipped(
        make_engine) -> None:
    broker = InMemoryBroker()
    engine = make_engine(broker, _settings(risk={"max_position_weight": 0.5, "max_sector_exposure": 1.0}))
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), LONG)
    broker.fill_open(PRICES)
    held = engine.portfolio.holdings["AAA"].qty
    manual = Order(client_order_id="by-hand-1", symbol="AAA", side=OrderSide.SELL, qty=held, created_at=NOW,
                   type=OrderType.STOP, stop_price=Decimal(50), time_in_force=TimeInForce.GTC)
    engine.foreign_open = (manual.transition(OrderStatus.NEW, broker_order_id="venue-1", updated_at=NOW),)
    report = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), pd.Series({"AAA": -1.0,
                                                                                                  "BBB": 1.0}))
    [exit_] = [o for o in report.orders if o.symbol == "AAA"]
    assert exit_.status is OrderStatus.REJECTED and exit_.client_order_id not in broker.submit_calls
    events = engine.journal.table("order_events")
    assert "venue_rule" in set(events[events["client_order_id"] == exit_.client_order_id]["event"])


def test_defect10_the_dashboards_last_cycle_shows_a_flatten_after_the_halted_cycle(tmp_path) -> None:
    path = tmp_path / "board.sqlite"
    journal = Journal(path)
    journal.record_event("*", "cycle", "ok", NOW, "session 2020-01-02: 0 order(s) sent in 1.0 s, halted (max_drawdown)")
    actions.flatten(journal, FlatVenue(), origin="dashboard 127.0.0.1")
    journal.close()
    reader = JournalReader(path)
    try:
        status = build_status(StatusInputs(reader.read(), None, VenueInfo("test", ""), 0.03, 0.2, {}, "live", str(path)))
    finally:
        reader.close()
    assert status["cycle"]["event"] == "flatten" and "by dashboard 127.0.0.1" in status["cycle"]["detail"]
    assert status["halt"]["reason"] == "flatten (by dashboard 127.0.0.1)"


class FlatVenue:
    """A venue with nothing open and nothing held: a flatten's answers, at the venue's clock."""

    def get_clock(self):
        return type("Clock", (), {"timestamp": NOW})()

    def get_positions(self) -> list:
        return []

    def get_orders(self, status: str = "open") -> list:
        return []

    def close_all_positions(self) -> list:
        return []
