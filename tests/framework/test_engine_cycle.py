"""The engine end to end on the in-memory broker: halts, crashes, replay, accounting."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inmemory_broker import InMemoryBroker
from snapshots import snapshot

from framework.config import Settings
from framework.enums import OrderSide, OrderStatus
from framework.fills import Fill
from framework.journal import Journal
from framework.portfolio import Portfolio

SIGNALS = pd.Series({"AAA": 1.0, "BBB": 0.8, "CCC": 0.6, "DDD": 0.4})
PRICES = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0, "DDD": 10.0}


def test_cycle_sends_sells_before_buys_with_decision_prices(broker, make_engine) -> None:
    engine = make_engine(broker)
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), SIGNALS)
    broker.fill_open(PRICES)
    report = engine.on_bar(
        pd.Timestamp("2020-01-03"),
        snapshot("2020-01-03", PRICES),
        pd.Series({"AAA": 1.0, "BBB": 0.0, "CCC": 0.0, "DDD": 1.0}),
    )
    sides = [o.side for o in report.orders]
    assert sides == sorted(sides, key=lambda s: s is OrderSide.BUY)  # all sells first
    assert {o.symbol for o in report.orders if o.side is OrderSide.SELL} == {"BBB", "CCC"}
    assert all(o.decision_price == Decimal(str(PRICES[o.symbol])) for o in report.orders)


def test_daily_loss_halt_on_unrealised_loss_blocks_buys_allows_exits(broker, make_engine) -> None:
    engine = make_engine(broker)
    engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), SIGNALS)
    broker.fill_open(PRICES)
    assert engine.portfolio.realised == 0
    crashed = {s: p * 0.9 for s, p in PRICES.items()}  # no sale: the loss is unrealised only
    report = engine.on_bar(
        pd.Timestamp("2020-01-03"),
        snapshot("2020-01-03", crashed),
        pd.Series({"AAA": 1.0, "BBB": 1.0, "CCC": 0.0, "DDD": 1.0}),
    )
    assert report.halt_reason == "daily_loss_limit" and engine.halted
    assert all(o.side is OrderSide.SELL for o in report.orders)
    assert any(o.symbol == "CCC" for o in report.orders)  # the exit still goes out
    assert engine.portfolio.realised == 0


def test_halt_survives_restart_and_only_resume_clears_it(broker, make_engine, tmp_path) -> None:
    engine = make_engine(broker)
    engine.halt("manual")
    restarted = make_engine(broker, path=tmp_path / "journal.sqlite")
    assert restarted.halted
    restarted.resume()
    assert not make_engine(broker, path=tmp_path / "journal.sqlite").halted


@pytest.mark.parametrize("crash_point", ["before_submit", "after_accept"])
def test_crash_mid_cycle_then_restart_no_duplicate_no_lost_fill(tmp_path, crash_point) -> None:
    broker = InMemoryBroker()

    settings_ = Settings.model_validate({"signals": {"rebalance_every": 1}})
    path = tmp_path / "journal.sqlite"

    class Crash(Exception):
        pass

    def build() -> object:
        from framework.engine import ExecutionEngine

        journal = Journal(path)
        journal.start_run(
            "run1",
            kind="test",
            strategy="test",
            initial_cash=broker.cash,
            config={},
            data_fingerprint="x",
            started_at=pd.Timestamp("2020-01-01", tz="UTC").to_pydatetime(),
        )
        return ExecutionEngine(
            settings=settings_,
            broker=broker,
            journal=journal,
            sectors={},
            strategy_name="test",
            run_id="run1",
            sleep=lambda s: None,
        )

    engine = build()
    real_submit = broker.submit_order
    calls = {"n": 0}

    def crashing_submit(order):
        calls["n"] += 1
        if calls["n"] == 2:
            if crash_point == "after_accept":
                real_submit(order)
            raise Crash("power cut")
        return real_submit(order)

    broker.submit_order = crashing_submit  # the test broker is ours; no import-string patching
    with pytest.raises(Crash):
        engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), SIGNALS)
    broker.submit_order = real_submit
    broker.fill_open(PRICES)  # fills the broker made while we were down
    restarted = build()
    restarted.start()
    assert len(broker.submit_calls) == len(set(broker.submit_calls))
    intents = {o.client_order_id for o in restarted.journal.orders()}
    assert set(broker.submit_calls) <= intents
    assert all(o.status is not OrderStatus.CREATED for o in restarted.journal.orders())
    # Broker positions equal our books after reconciliation: no fill lost.
    ours = {s: float(h.qty) for s, h in restarted.portfolio.holdings.items()}
    theirs = {p.symbol: float(p.qty) for p in broker.get_positions()}
    assert ours == theirs


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["AAA", "BBB"]),
            st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
            st.integers(1, 200),
            st.decimals("1", "500", places=2),
            st.decimals("0", "5", places=2),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_accounting_balances_and_journal_replay_reproduces_books(trades) -> None:
    portfolio = Portfolio(Decimal("100000"))
    journal = Journal(":memory:")  # real SQLite; a durable file per example (a commit a fill) was the test's time
    t = pd.Timestamp("2020-01-02", tz="UTC").to_pydatetime()
    for i, (symbol, side, qty, price, fee) in enumerate(trades):
        fill = Fill(f"e{i}", f"c{i}", symbol, side, Decimal(qty), price, t, fee)
        assert portfolio.apply_fill(fill)
        journal.record_fill(fill)
        assert not portfolio.apply_fill(fill)  # a replayed execution id changes nothing
    marks = {"AAA": Decimal("123.45"), "BBB": Decimal("67.89")}
    portfolio.mark(marks)
    positions_value = sum((h.qty * marks[s] for s, h in portfolio.holdings.items()), Decimal(0))
    assert portfolio.cash + positions_value == portfolio.equity
    # Realised + unrealised P&L - commissions explain every dollar of equity change.
    assert (
        portfolio.equity - portfolio.initial_cash == portfolio.realised + portfolio.unrealised - portfolio.commissions
    )
    replay = Portfolio(Decimal("100000"))
    for fill in journal.fills():
        replay.apply_fill(fill)
    assert replay.cash == portfolio.cash
    assert {s: (h.qty, h.avg_cost) for s, h in replay.holdings.items()} == {
        s: (h.qty, h.avg_cost) for s, h in portfolio.holdings.items()
    }
    journal.close()


def test_marks_belong_to_holdings_and_a_reopened_position_is_valued_at_its_fill() -> None:
    portfolio = Portfolio(Decimal("10000"))
    t = pd.Timestamp("2020-01-02", tz="UTC").to_pydatetime()
    portfolio.apply_fill(Fill("e1", "c1", "AAA", OrderSide.BUY, Decimal(10), Decimal("100"), t))
    portfolio.mark({"AAA": 150.0, "BBB": 20.0})
    assert portfolio.prices == {"AAA": Decimal("150.0")}  # BBB is not held: not marked
    portfolio.apply_fill(Fill("e2", "c2", "AAA", OrderSide.SELL, Decimal(10), Decimal("150"), t))
    assert portfolio.prices == {}
    portfolio.apply_fill(Fill("e3", "c3", "AAA", OrderSide.BUY, Decimal(5), Decimal("90"), t))
    assert portfolio.market_value("AAA") == Decimal(450)  # the fill's price, not the old mark


def test_a_position_outside_the_traded_universe_is_held_untouched(broker, make_engine) -> None:
    """A paper account may hold a symbol the strategy does not trade: no price, no order."""
    engine = make_engine(broker)
    t = pd.Timestamp("2020-01-02", tz="UTC").to_pydatetime()
    engine.portfolio.apply_fill(Fill("x1", "manual", "ZZZ", OrderSide.BUY, Decimal(7), Decimal("40"), t))
    report = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), SIGNALS)
    assert report.orders and all(o.symbol != "ZZZ" for o in report.orders)
    assert engine.portfolio.holdings["ZZZ"].qty == Decimal(7)
    held = engine.journal.table("positions")
    assert held.loc[held["symbol"] == "ZZZ", "qty"].tolist() == ["7"]


def test_signals_as_an_aligned_array_or_a_series_decide_alike(make_engine, tmp_path) -> None:
    snap = snapshot("2020-01-02", PRICES)
    by_label = make_engine(InMemoryBroker(), path=tmp_path / "a.sqlite")
    aligned = make_engine(InMemoryBroker(), path=tmp_path / "b.sqlite")
    day = pd.Timestamp("2020-01-02")
    a = by_label.on_bar(day, snap, SIGNALS)
    b = aligned.on_bar(day, snap, snap.universe.vector(SIGNALS))
    assert [(o.symbol, o.side, o.qty) for o in a.orders] == [(o.symbol, o.side, o.qty) for o in b.orders]
    with pytest.raises(ValueError, match="shape"):
        aligned.on_bar(pd.Timestamp("2020-01-03"), snap, np.ones(3))


def test_corporate_actions_reach_the_portfolio_split_and_dividend() -> None:
    from datetime import date

    from framework.venue import ActionKind, CorporateAction

    t = pd.Timestamp("2020-08-28", tz="UTC").to_pydatetime()
    p = Portfolio(Decimal(10_000))
    p.apply_fill(Fill("e1", "c1", "AAA", OrderSide.BUY, Decimal(10), Decimal(300), t))
    p.apply_fill(Fill("e2", "c2", "BBB", OrderSide.SELL, Decimal(20), Decimal(50), t))
    p.mark({"AAA": 310.0, "BBB": 50.0})
    cost = p.holdings["AAA"].cost
    p.apply_corporate_action(CorporateAction("AAA", date(2020, 8, 31), ActionKind.SPLIT, Decimal(4)))
    assert p.holdings["AAA"].qty == 40 and p.holdings["AAA"].cost == cost and p.prices["AAA"] == Decimal("77.5")
    assert p.equity == Decimal(10_000) - 3000 + 1000 + 40 * Decimal("77.5") - 20 * 50
    cash = p.cash
    p.apply_corporate_action(CorporateAction("AAA", date(2020, 9, 1), ActionKind.DIVIDEND, Decimal("0.2")))
    p.apply_corporate_action(CorporateAction("BBB", date(2020, 9, 1), ActionKind.DIVIDEND, Decimal("0.5")))
    p.apply_corporate_action(CorporateAction("CCC", date(2020, 9, 1), ActionKind.DIVIDEND, Decimal("9")))
    assert p.cash == cash + 40 * Decimal("0.2") - 20 * Decimal("0.5")  # the short pays; nothing held, nothing


def test_the_account_is_asked_once_by_a_decision_that_grows_and_not_by_one_that_holds(broker, make_engine) -> None:
    """The buying power is the decision's one read of the broker's account: asked by the check
    that needs it (a target that grows), once however many stages read it; a bar that only holds
    (same signals, the book already at its targets) does not ask the broker at all."""
    asked: list[int] = []
    account = broker.get_account
    broker.get_account = lambda: asked.append(1) or account()  # type: ignore[method-assign]
    engine = make_engine(broker)
    first = engine.on_bar(pd.Timestamp("2020-01-02"), snapshot("2020-01-02", PRICES), SIGNALS)
    assert first.orders and len(asked) == 1  # buys: asked, once
    broker.fill_open(PRICES)
    held = engine.on_bar(pd.Timestamp("2020-01-03"), snapshot("2020-01-03", PRICES), SIGNALS)
    assert not held.orders and len(asked) == 1  # nothing grows: the broker is not asked
