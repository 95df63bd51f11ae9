"""Position-aware exits: the books remember when a position opened (rebuilt from the journal on a
restart), the engine asks the plugin's hook at every decision and turns its answers into exits
(tag ``exit``, decision ``exit_rule``) before risk; the hook's contract is enforced."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from snapshots import snapshot

from framework.data.sessions import sessions
from framework.enums import OrderSide
from framework.errors import StrategyError
from framework.exits import PositionInfo, PositionsView, SessionCounter, checked_answer
from framework.fills import Fill
from framework.portfolio import Portfolio
from framework.risk import Reason
from framework.strategy import plugin_exit_rule
from strategies.mean_reversion import MeanReversion
from strategies.momentum import Momentum

PRICES = {"AAA": 100.0, "BBB": 50.0}
BUY_BOTH = pd.Series({"AAA": 1.0, "BBB": 1.0})


def opened_at(day: str) -> datetime:
    """The open of a New York session, as a venue stamps the fill (14:30 UTC in winter)."""
    return datetime.fromisoformat(f"{day}T14:30:00").replace(tzinfo=UTC)


class HoldThree:
    """An exit rule as the engine receives it: close what has been held three sessions."""

    def __init__(self) -> None:
        self.asked: list[PositionsView] = []

    def __call__(self, positions: PositionsView, session: pd.Timestamp) -> frozenset[str]:
        self.asked.append(positions)
        return frozenset(s for s, p in positions.items() if p.sessions_held >= 3)


def engine_with(make_engine, broker, rule, path=None):
    engine = make_engine(broker, path=path)
    hooked = type(engine)(settings=engine.settings, broker=broker, journal=engine.journal, sectors=engine.sectors,
                          strategy_name="test", run_id="run1", sleep=lambda _s: None, exit_rule=rule)
    broker.handlers.remove(engine.on_order_update)
    return hooked


def test_the_hook_closes_after_three_sessions_counting_the_exchange_calendar(broker, make_engine) -> None:
    rule = HoldThree()
    engine = engine_with(make_engine, broker, rule)
    engine.on_bar(pd.Timestamp("2020-01-16"), snapshot("2020-01-16", PRICES), BUY_BOTH)
    broker.fill_open(PRICES, at=opened_at("2020-01-17"))  # Friday's open; Monday the 20th is a holiday
    held = {}
    for day in ("2020-01-17", "2020-01-21", "2020-01-22"):
        report = engine.on_bar(pd.Timestamp(day), snapshot(day, PRICES), BUY_BOTH)
        held[day] = rule.asked[-1]["AAA"].sessions_held
    assert held == {"2020-01-17": 1, "2020-01-21": 2, "2020-01-22": 3}
    view = rule.asked[-1]["AAA"]
    assert view.entry_session == pd.Timestamp("2020-01-17") and view.entry_price == 100.0 and view.quantity > 0
    assert {(o.symbol, o.side, o.tag) for o in report.orders} == {("AAA", OrderSide.SELL, "exit"),
                                                                   ("BBB", OrderSide.SELL, "exit")}
    exits = [d for d in report.decisions if d.reason is Reason.EXIT_RULE]
    assert {d.symbol for d in exits} == {"AAA", "BBB"} and "3 session(s) held" in exits[0].detail


def test_entry_sessions_are_rebuilt_from_the_journal_on_a_restart(broker, make_engine, tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    engine = engine_with(make_engine, broker, HoldThree(), path=path)
    engine.on_bar(pd.Timestamp("2020-01-16"), snapshot("2020-01-16", PRICES), BUY_BOTH)
    broker.fill_open(PRICES, at=opened_at("2020-01-17"))
    engine.on_bar(pd.Timestamp("2020-01-17"), snapshot("2020-01-17", PRICES), BUY_BOTH)
    rule = HoldThree()
    restarted = engine_with(make_engine, broker, rule, path=path)
    restarted.start(reconcile=False)
    assert restarted.portfolio.holdings["AAA"].opened == np.datetime64("2020-01-17")
    report = restarted.on_bar(pd.Timestamp("2020-01-22"), snapshot("2020-01-22", PRICES), BUY_BOTH)
    assert rule.asked[-1]["BBB"].sessions_held == 3 and {o.tag for o in report.orders} == {"exit"}


def test_an_exit_without_a_price_waits_and_a_halt_does_not_block_it(broker, make_engine) -> None:
    engine = engine_with(make_engine, broker, HoldThree())
    engine.on_bar(pd.Timestamp("2020-01-16"), snapshot("2020-01-16", PRICES), BUY_BOTH)
    broker.fill_open(PRICES, at=opened_at("2020-01-17"))
    engine.halt("manual")
    gap = {"AAA": float("nan"), "BBB": 50.0}
    report = engine.on_bar(pd.Timestamp("2020-01-22"), snapshot("2020-01-22", gap), BUY_BOTH)
    assert [(o.symbol, o.tag) for o in report.orders] == [("BBB", "exit")]  # AAA has no bar: held
    report = engine.on_bar(pd.Timestamp("2020-01-23"), snapshot("2020-01-23", PRICES), BUY_BOTH)
    assert [(o.symbol, o.tag) for o in report.orders] == [("AAA", "exit")]


def test_no_hook_no_question(broker, make_engine) -> None:
    assert plugin_exit_rule(Momentum()) is None
    assert plugin_exit_rule(MeanReversion()) is not None
    engine = make_engine(broker)
    engine.on_bar(pd.Timestamp("2020-01-16"), snapshot("2020-01-16", PRICES), BUY_BOTH)
    broker.fill_open(PRICES, at=opened_at("2020-01-17"))
    report = engine.on_bar(pd.Timestamp("2020-01-29"), snapshot("2020-01-29", PRICES), BUY_BOTH)
    assert not report.orders and engine.planner.exit_hook is None


def test_the_hook_contract_names_the_plugin_and_the_date() -> None:
    view = PositionsView(pd.Timestamp("2020-01-22"), {"AAA": PositionInfo("AAA", 10, pd.Timestamp("2020-01-17"),
                                                                          100.0, 110.0, 3)})
    assert checked_answer("p", ["AAA"], view, view.session) == {"AAA"}
    with pytest.raises(StrategyError, match=r"'p' exits\(\) returned \['ZZZ'\] on 2020-01-22: not held"):
        checked_answer("p", {"ZZZ"}, view, view.session)
    with pytest.raises(StrategyError, match="returned str on 2020-01-22, expected a set of symbols"):
        checked_answer("p", "AAA", view, view.session)

    class Broken(MeanReversion):
        def exits(self, positions, session):
            raise KeyError("oops")

    with pytest.raises(StrategyError, match=r"'mean_reversion' exits\(\) failed on 2020-01-22: KeyError"):
        plugin_exit_rule(Broken())(view, view.session)


def test_position_info_pnl_for_longs_and_shorts() -> None:
    long = PositionInfo("A", 10, pd.Timestamp("2020-01-02"), 100.0, 110.0, 2)
    short = PositionInfo("B", -10, pd.Timestamp("2020-01-02"), 100.0, 110.0, 2)
    assert (long.pnl, long.pnl_pct, short.pnl, short.pnl_pct) == (100.0, 0.1, -100.0, -0.1)


DAYS = sessions("XNYS", pd.Timestamp("2018-01-02"), pd.Timestamp("2020-12-31"))
COUNTER = SessionCounter("XNYS")


@settings(deadline=None)  # the first example loads the exchange calendar
@given(st.integers(0, 400), st.integers(0, 60))
def test_sessions_held_counts_exchange_sessions_inclusive(start, length) -> None:
    days = DAYS
    entry, today = days[start], days[min(start + length, len(days) - 1)]
    counted = COUNTER.held(np.array([entry], dtype="datetime64[D]"), today.date())
    assert counted[0] == days.get_loc(today) - days.get_loc(entry) + 1


def test_the_books_keep_the_first_entry_through_adds_and_restart_it_on_a_flip() -> None:
    book = Portfolio(Decimal(10_000))
    fill = lambda n, side, qty, day: Fill(f"x{n}", f"c{n}", "AAA", side, Decimal(qty), Decimal(10),  # noqa: E731
                                         opened_at(day))
    book.apply_fill(fill(1, OrderSide.BUY, 5, "2020-01-17"))
    book.apply_fill(fill(2, OrderSide.BUY, 5, "2020-01-21"))
    assert book.holdings["AAA"].opened == np.datetime64("2020-01-17")
    book.apply_fill(fill(3, OrderSide.SELL, 15, "2020-01-22"))  # long 10 -> short 5
    assert book.holdings["AAA"].opened == np.datetime64("2020-01-22")
