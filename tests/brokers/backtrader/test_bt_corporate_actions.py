"""Corporate actions in a backtest: applied at the ex-date's open by the simulator and, through
the adapter, to the engine's books, so the two never disagree."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from bt_scenarios import fixed, market, settings, with_actions

from brokers.backtrader.runner import run_backtest
from framework.data import session_time
from framework.journal import Journal


def _run(tmp_path, data, profile: str = "alpaca_paper"):
    sig = pd.DataFrame({"AAA": [1.0] * len(data.dates)}, index=data.dates)
    cfg = settings(venue={"profile": profile, "slippage": {"value": 0.0}}, sizing={"rebalance_band": 0.5})
    result = run_backtest(data, fixed(sig), cfg, tmp_path / f"{profile}.sqlite")
    return Journal(result.journal_path)


def _held(journal: Journal, dates: pd.DatetimeIndex) -> list[float]:
    """Shares of AAA at each bar's close (0 before the first fill)."""
    positions = journal.table("positions")
    by_time = positions.groupby("time")["qty"].last().astype(float)
    stamps = [session_time(d).isoformat() for d in dates]
    return [float(by_time.get(t, 0.0)) for t in stamps]


def test_a_split_doubles_the_shares_and_leaves_equity_whole(tmp_path) -> None:
    # 2-for-1 on bar 3: the raw price halves, the position doubles, nothing is traded for it.
    data = with_actions(market({"AAA": [100.0] * 3 + [50.0] * 3}), splits={(3, "AAA"): 2.0})
    journal = _run(tmp_path, data)
    held = _held(journal, data.dates)
    assert held[1] > 0 and held[3] == 2 * held[2] and held[-1] == held[3]
    equity = journal.equity_curve()["equity"].astype(float).tolist()
    assert equity[3] == pytest.approx(equity[2], abs=1e-6)
    assert len(journal.fills()) == 1  # the first buy only
    events = journal.table("order_events")
    assert (events["event"] == "corporate_action").sum() == 1


@pytest.mark.parametrize(("profile", "paid"), [("alpaca_paper", False), ("alpaca_live", True), ("per_share", True)])
def test_a_dividend_is_cash_on_its_ex_date_where_the_profile_pays_it(tmp_path, profile, paid) -> None:
    data = with_actions(market({"AAA": [100.0] * 6}), dividends={(3, "AAA"): 0.5})
    journal = _run(tmp_path, data, profile)
    cash = journal.equity_curve()["cash"].astype(float).tolist()
    shares = _held(journal, data.dates)[2]
    assert shares > 0
    assert cash[3] - cash[2] == pytest.approx(shares * 0.5 if paid else 0.0, abs=1e-6)
    fills = journal.fills()
    assert fills and all(f.commission == Decimal(0) for f in fills) is (profile != "per_share")


def test_slippage_across_a_split_is_measured_on_one_basis(tmp_path) -> None:
    # an exit decided on the eve of a 2-for-1 split (decision price 100, the pre-split basis) must
    # never fill at the post-split 50 and be measured as 5,000 bps: the split cancels it at the
    # ex-date's open and the exit is decided again on the new basis
    from framework.run_folder import summarise

    data = with_actions(market({"AAA": [100.0] * 3 + [50.0] * 4}), splits={(3, "AAA"): 2.0})
    sig = pd.DataFrame({"AAA": [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]}, index=data.dates)
    cfg = settings(venue={"profile": "alpaca_paper", "slippage": {"value": 0.0}}, sizing={"rebalance_band": 0.5})
    result = run_backtest(data, fixed(sig), cfg, tmp_path / "split.sqlite")
    journal = Journal(result.journal_path)
    try:
        orders = journal.table("orders")
        figures, _ = summarise(journal, float(result.initial_cash), data.splits)
    finally:
        journal.close()
    filled = orders[orders["filled_qty"].astype(float) > 0]
    sells = filled[filled["side"] == "sell"]
    assert len(sells) == 1 and float(sells["filled_avg_price"].iloc[0]) == pytest.approx(50.0)
    ratio = filled["filled_avg_price"].astype(float) / filled["decision_price"].astype(float)
    assert ratio.between(0.99, 1.01).all(), filled[["client_order_id", "decision_price", "filled_avg_price"]]
    assert abs(figures["avg_slippage_bps"]) < 1.0
    canceled = orders[(orders["status"] == "canceled") & (orders["side"] == "sell")]
    assert len(canceled) == 1  # the exit decided on the pre-split basis
