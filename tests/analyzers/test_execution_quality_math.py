"""Slippage and implementation shortfall on a scenario computed by hand, to the cent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from analyzers import execution_quality
from analyzers.records import load_run
from framework.enums import OrderSide, OrderStatus
from framework.fills import Fill
from framework.journal import Journal
from framework.orders import Order

T0 = datetime(2020, 1, 2, 21, 0, tzinfo=UTC)
T1 = datetime(2020, 1, 3, 14, 30, tzinfo=UTC)


def scenario(folder) -> None:
    journal = Journal(folder / "journal.sqlite")
    journal.start_run(
        "r", kind="test", strategy="t", initial_cash=10_000, config={}, data_fingerprint="x", started_at=T0
    )
    buy = Order(
        client_order_id="buy1",
        symbol="AAA",
        side=OrderSide.BUY,
        qty=100,
        created_at=T0,
        decision_price=Decimal("10.00"),
    )
    sell = Order(
        client_order_id="sell1",
        symbol="BBB",
        side=OrderSide.SELL,
        qty=50,
        created_at=T0,
        decision_price=Decimal("20.00"),
    )
    for order in (buy, sell):
        journal.record_intent("r", order)
    # Buy: 60 of 100 fill at 10.05 (arrival 10.02), $1 commission; the remaining 40 are canceled.
    buy = buy.transition(
        OrderStatus.PARTIALLY_FILLED,
        filled_qty=60,
        filled_avg_price=Decimal("10.05"),
        arrival_price=Decimal("10.02"),
        updated_at=T1,
    ).transition(OrderStatus.CANCELED)
    journal.record_fill(Fill("e1", "buy1", "AAA", OrderSide.BUY, 60, Decimal("10.05"), T1, Decimal("1.00")))
    # Sell: all 50 at 19.90 (arrival 19.95), $1 commission.
    sell = sell.transition(
        OrderStatus.FILLED,
        filled_qty=50,
        filled_avg_price=Decimal("19.90"),
        arrival_price=Decimal("19.95"),
        updated_at=T1,
    )
    journal.record_fill(Fill("e2", "sell1", "BBB", OrderSide.SELL, 50, Decimal("19.90"), T1, Decimal("1.00")))
    for order in (buy, sell):
        journal.record_order("r", order)
    journal.record_equity("r", T0, Decimal(10_000), Decimal(10_000), Decimal(0))
    journal.close()


def test_slippage_and_shortfall_match_hand_computation(tmp_path) -> None:
    scenario(tmp_path)
    run = load_run(tmp_path)
    # The 40 unfilled AAA are valued at the close of the day the order ended: 10.20.
    quality = execution_quality.analyse(run.orders, run.fills, pd.Series({"buy1": 10.20, "sell1": 20.10}))
    rows = quality.orders.set_index("client_order_id")
    buy, sell = rows.loc["buy1"], rows.loc["sell1"]
    assert buy["slippage_decision_bps"] == pytest.approx(50.0)  # 0.05 / 10.00
    assert buy["slippage_arrival_bps"] == pytest.approx(0.03 / 10.02 * 1e4)  # 29.94 bps
    assert round(buy["opportunity_usd"], 2) == 8.00  # 40 x (10.20 - 10.00)
    assert round(buy["shortfall_usd"], 2) == 12.00  # 3.00 + 1.00 + 8.00
    assert sell["slippage_decision_bps"] == pytest.approx(50.0)  # (20.00 - 19.90) / 20
    assert sell["slippage_arrival_bps"] == pytest.approx(0.05 / 19.95 * 1e4)
    assert round(sell["shortfall_usd"], 2) == 6.00 and sell["opportunity_usd"] == 0.0
    overall = quality.overall
    assert round(overall["shortfall_usd"], 2) == 18.00
    assert overall["shortfall_bps"] == pytest.approx(18.0 / 2000.0 * 1e4)  # vs $2,000 decided
    assert overall["fill_rate"] == pytest.approx(110 / 150)
    assert overall["partial_fill_rate"] == 0.5 and overall["cancel_rate"] == 0.5
    assert overall["commission_usd"] == 2.0
    assert overall["commission_bps"] == pytest.approx(2.0 / (603.0 + 995.0) * 1e4)
    assert buy["time_to_fill_s"] == (T1 - T0).total_seconds()
    by_side = quality.groups.query("group == 'side'").set_index("value")
    assert by_side.loc["buy", "orders"] == 1 and round(by_side.loc["sell", "shortfall_usd"], 2) == 6.00


def test_a_fill_stamped_before_its_order_has_no_time_to_fill(tmp_path) -> None:
    """A paper order stamped with the local wall clock and filled on the sandbox's simulated
    clock: the report printed "median time to fill -324697734.2 s"; now it says n/a."""
    scenario(tmp_path)
    run = load_run(tmp_path)
    fills = run.fills.assign(time="2010-01-04T14:30:00+00:00")  # a clock years behind the order's
    quality = execution_quality.analyse(run.orders, fills)
    assert quality.orders["time_to_fill_s"].isna().all()
    assert quality.overall["median_time_to_fill_s"] != quality.overall["median_time_to_fill_s"]  # NaN


def test_grouped_aggregates_equal_the_aggregate_of_each_group(tmp_path) -> None:
    scenario(tmp_path)
    run = load_run(tmp_path)
    quality = execution_quality.analyse(run.orders, run.fills, pd.Series({"buy1": 10.20, "sell1": 20.10}))
    for symbol, group in quality.orders.groupby("symbol"):
        row = quality.groups[(quality.groups["group"] == "symbol") & (quality.groups["value"] == symbol)].iloc[0]
        expected = execution_quality.aggregate(group)
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, nan_ok=True), key


def test_time_to_fill_runs_from_submission_not_from_the_decision(tmp_path) -> None:
    """Issue 29: the dashboard read "median time to fill 16 h 30 min" for orders decided at the
    previous close and filled at the open: that was decision to fill. From the venue's
    acknowledgement (the order's first `ack` event) an order sent at 09:25 and filled at the
    09:30 open waited 5 minutes."""
    scenario(tmp_path)
    journal = Journal(tmp_path / "journal.sqlite")
    acked = datetime(2020, 1, 3, 14, 25, tzinfo=UTC)
    for cid in ("buy1", "sell1"):
        journal.record_event(cid, "ack", "new", acked)
    journal.close()
    run = load_run(tmp_path)
    quality = execution_quality.analyse(run.orders, run.fills)
    assert quality.orders["time_to_fill_s"].tolist() == [300.0, 300.0]  # was (T1 - T0): 17 h 30 min
    assert quality.overall["median_time_to_fill_s"] == 300.0
    by_style = quality.groups.query("group == 'style'").set_index("value")
    assert list(by_style.index) == ["market"] and by_style.loc["market", "orders"] == 2


def test_an_ack_stamped_before_the_order_existed_does_not_lengthen_the_wait(tmp_path) -> None:
    """The simulator stamps its acknowledgement at the decision bar's open, before the decision:
    the order went out when it was created."""
    scenario(tmp_path)
    journal = Journal(tmp_path / "journal.sqlite")
    journal.record_event("buy1", "ack", "new", T0 - pd.Timedelta(hours=6.5))
    journal.close()
    run = load_run(tmp_path)
    rows = execution_quality.analyse(run.orders, run.fills).orders.set_index("client_order_id")
    assert rows.loc["buy1", "time_to_fill_s"] == (T1 - T0).total_seconds()
