"""Backtests whose every number is known by hand."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from bt_scenarios import fixed, market, settings

from brokers.backtrader.runner import run_backtest
from framework.errors import InputError
from framework.journal import Journal


def run(tmp_path, mkt, signals, cfg, name="j.sqlite"):
    result = run_backtest(mkt, fixed(signals), cfg, tmp_path / name)
    journal = Journal(result.journal_path)
    return result, journal


def test_golden_two_symbols_ten_bars(tmp_path) -> None:
    a = [100.0] * 5 + [110.0] * 5
    mkt = market({"AAA": a, "BBB": [50.0] * 10})
    sig = pd.DataFrame({"AAA": [1.0] * 10, "BBB": [1.0] * 5 + [0.05] * 5}, index=mkt.dates)
    result, journal = run(tmp_path, mkt, sig, settings())
    fills = [(f.symbol, f.side.value, f.qty, f.price, f.commission) for f in journal.fills()]
    # Bar 0 close: equity 10,000, 1% cash buffer, equal weights: 49 AAA @100, 99 BBB @50.
    # Bar 1 open fills +10 bps slippage; commission max(qty x 0.01, 1.00).
    # Bar 5 close: BBB's signal drops under the threshold; AAA (now 110) takes the whole book:
    # equity 10,478.15 x 0.99 / 110 = 94 shares -> buy 45; sell 99 BBB at 50 x 0.999.
    assert fills == [
        ("AAA", "buy", Decimal(49), Decimal("100.1"), Decimal("1.0")),
        ("BBB", "buy", Decimal(99), Decimal("50.05"), Decimal("1.0")),
        ("BBB", "sell", Decimal(99), Decimal("49.95"), Decimal("1.0")),
        ("AAA", "buy", Decimal(45), Decimal("110.11"), Decimal("1.0")),
    ]
    equity = journal.equity_curve()["equity"]
    assert equity.iloc[1] == pytest.approx(9_988.15, abs=1e-6)
    assert equity.iloc[5] == pytest.approx(10_478.15, abs=1e-6)
    assert equity.iloc[-1] == pytest.approx(126.25 + 94 * 110, abs=1e-6)
    orders = journal.orders()
    assert [o.decision_price for o in orders] == [Decimal(100), Decimal(50), Decimal(50), Decimal(110)]
    assert all(o.status.value == "filled" for o in orders)
    assert result.sessions == 10


def test_volume_cap_fills_partially_across_bars(tmp_path) -> None:
    mkt = market({"AAA": [100.0] * 5}, volume=1_000.0)
    sig = pd.DataFrame({"AAA": [1.0] * 5}, index=mkt.dates)
    cfg = settings(backtest={"volume_cap": 0.02}, orders={"time_in_force": "gtc"}, sizing={"rebalance_band": 0.9})
    _, journal = run(tmp_path, mkt, sig, cfg)
    fills = journal.fills()
    assert [f.qty for f in fills] == [Decimal(20)] * 4  # 2% of 1,000 shares a bar
    order = journal.orders()[0]
    assert order.qty == Decimal(99) and order.filled_qty == sum(f.qty for f in fills)
    assert order.status.value == "partially_filled"


def test_limit_order_that_never_fills_expires(tmp_path) -> None:
    # The price gaps up and never comes back to the limit (close + 10 bps).
    mkt = market({"AAA": [100.0] + [120.0] * 4}, opens={"AAA": [100.0] + [120.0] * 4})
    sig = pd.DataFrame({"AAA": [1.0] + [None] * 4}, index=mkt.dates).astype(float)
    _, journal = run(tmp_path, mkt, sig, settings(orders={"type": "limit"}))
    first = journal.orders()[0]
    assert first.limit_price == Decimal("100.1")
    assert first.status.value == "expired" and first.filled_qty == 0
    assert journal.fills() == []


def test_stop_loss_rests_at_the_broker_and_triggers(tmp_path) -> None:
    closes = [100.0, 100.0, 100.0, 90.0, 90.0, 90.0]
    mkt = market({"AAA": closes, "BBB": [50.0] * 6})
    sig = pd.DataFrame({"AAA": [1.0] * 6, "BBB": [1.0] * 6}, index=mkt.dates)
    _, journal = run(tmp_path, mkt, sig, settings(risk={"stop_loss": 0.05}))
    stops = [o for o in journal.orders() if o.tag == "protective" and o.symbol == "AAA"]
    # Bought 49 at 100.10: a GTC stop for all 49 at 100.10 x 0.95 = 95.10 rests at backtrader.
    first = stops[0]
    assert (first.type.value, first.qty, first.stop_price, first.time_in_force.value) == (
        "stop",
        49,
        Decimal("95.10"),
        "gtc",
    )
    # Bar 3 gaps down to 90: the triggered stop is a market order filled at the print that elected
    # it, the open (Alpaca: a stop becomes a market order), not slipped further.
    assert first.status.value == "filled" and first.filled_avg_price == Decimal("90.0")


def test_a_trim_of_a_stop_protected_position_is_never_refused(tmp_path) -> None:
    closes = [100.0, 100.0, 100.0, 90.0, 90.0, 90.0]
    mkt = market({"AAA": closes, "BBB": [50.0] * 6})
    sig = pd.DataFrame({"AAA": [1.0] * 6, "BBB": [1.0] * 6}, index=mkt.dates)
    _, journal = run(tmp_path, mkt, sig, settings(risk={"stop_loss": 0.05}))
    assert [o.client_order_id for o in journal.orders() if o.status.value == "rejected"] == []


def test_delisted_symbol_is_closed_out_at_its_last_close(tmp_path) -> None:
    mkt = market({"AAA": [100.0] * 8, "CCC": [40.0, 40.0, 40.0, 42.0]})
    sig = pd.DataFrame({"AAA": [1.0] * 8, "CCC": [1.0] * 8}, index=mkt.dates)
    result, journal = run(tmp_path, mkt, sig, settings())
    assert result.delisted == ("CCC",)
    close_out = [f for f in journal.fills() if f.symbol == "CCC" and f.side.value == "sell"]
    # At the last close (42), less the usual 10 bps of slippage.
    assert len(close_out) == 1 and close_out[0].price == Decimal("41.958")
    assert journal.order(close_out[0].client_order_id).tag == "delisting"
    assert "CCC" not in {p for p in journal.table("positions").query("time == time.max()")["symbol"]}
    # Defect 14.16: on its last session the position is valued at that session's close, not the day before's.
    positions = journal.table("positions")
    last_day = positions[positions["symbol"] == "CCC"]["time"].max()
    row = positions[(positions["symbol"] == "CCC") & (positions["time"] == last_day)]
    assert float(row["price"].iloc[0]) == 42.0


def test_a_fractional_position_is_closed_out_at_a_delisting(tmp_path) -> None:
    # The close-out is the venue's own (market-on-close), not an order the venue's rules judge:
    # a fractional position is closed although fractional orders must be DAY orders.
    mkt = market({"AAA": [100.0] * 8, "CCC": [40.0, 40.0, 40.0, 42.0]})
    sig = pd.DataFrame({"AAA": [1.0] * 8, "CCC": [1.0] * 8}, index=mkt.dates)
    result, journal = run(tmp_path, mkt, sig, settings(sizing={"fractional": True}))
    assert result.delisted == ("CCC",)
    bought = sum(f.qty for f in journal.fills() if f.symbol == "CCC" and f.side.value == "buy")
    close_out = [f for f in journal.fills() if f.symbol == "CCC" and f.side.value == "sell"]
    assert bought != bought.to_integral_value() and [f.qty for f in close_out] == [bought]


def test_same_inputs_same_orders_and_equity(tmp_path) -> None:
    mkt = market({"AAA": [100.0, 101, 99, 103, 104, 102, 105, 107], "BBB": [50.0, 49, 51, 52, 50, 53, 54, 52]})
    sig = pd.DataFrame(
        {"AAA": [1.0, 0.5, 1, 0.2, 1, 1, 0.3, 1], "BBB": [0.5, 1, 0.2, 1, 1, 0.4, 1, 1]}, index=mkt.dates
    )
    _, j1 = run(tmp_path, mkt, sig, settings(sizing={"rebalance_band": 0.0}), "a.sqlite")
    _, j2 = run(tmp_path, mkt, sig, settings(sizing={"rebalance_band": 0.0}), "b.sqlite")
    assert [o.to_dict() for o in j1.orders()] == [o.to_dict() for o in j2.orders()]
    assert j1.equity_curve().equals(j2.equity_curve())
    assert len(j1.fills()) > 4


def test_a_backtest_refuses_a_journal_that_already_exists(tmp_path) -> None:
    # A backtest is re-run, never resumed: run into an existing journal, the engine found its own
    # client ids already there and either adopted the old orders (nothing sent, the old journal
    # returned as if it were the new run) or failed on an illegal transition.
    mkt = market({"AAA": [100.0] * 5 + [110.0] * 5})
    sig = pd.DataFrame({"AAA": [1.0] * 10}, index=mkt.dates)
    run(tmp_path, mkt, sig, settings())[1].close()
    before = (tmp_path / "j.sqlite").read_bytes()
    with pytest.raises(InputError, match=r"j\.sqlite.*already exists"):
        run_backtest(mkt, fixed(sig), settings(), tmp_path / "j.sqlite")
    assert (tmp_path / "j.sqlite").read_bytes() == before  # refused before anything was written
