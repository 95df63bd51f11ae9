"""Execution styles through the backtest runner (issue 29), on hand-made bars whose every price
is known: each style's orders carry its type and time in force, and fill where its fill model
says (docs/DEVELOPMENT.md, "Execution styles")."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from bt_scenarios import fixed, market, settings

from brokers.backtrader.runner import run_backtest
from framework.errors import ConfigError
from framework.journal import Journal

CLOSES = [100.0, 100.0, 104.0, 104.0, 104.0]
OPENS = [100.0, 102.0, 104.0, 104.0, 104.0]  # bar 1 gaps up: open 102, close 100, range 99-103.02


def run(tmp_path, orders: dict, risk: dict | None = None, name: str = "j.sqlite"):
    mkt = market({"AAA": CLOSES}, opens={"AAA": OPENS})
    sig = pd.DataFrame({"AAA": [1.0] * len(CLOSES)}, index=mkt.dates)
    cfg = settings(orders=orders, risk=risk or {}, sizing={"rebalance_band": 0.9})
    run_backtest(mkt, fixed(sig), cfg, tmp_path / name)
    return Journal(tmp_path / name)


def first(journal: Journal):
    order = journal.orders()[0]
    fills = [f for f in journal.fills() if f.client_order_id == order.client_order_id]
    return order, fills


def test_market_on_open_fills_at_the_official_open_unslipped(tmp_path) -> None:
    order, fills = first(run(tmp_path, {"style": "market_on_open"}))
    assert (order.type.value, order.time_in_force.value) == ("market", "opg")
    assert [f.price for f in fills] == [Decimal("102")]  # the default market order pays 10 bps here


def test_the_default_market_order_still_slips_at_the_open(tmp_path) -> None:
    order, fills = first(run(tmp_path, {}))
    assert (order.type.value, order.time_in_force.value) == ("market", "day")
    assert [f.price for f in fills] == [Decimal("102.102")]


def test_limit_on_open_below_the_open_is_canceled_by_the_auction(tmp_path) -> None:
    # decision price 100, limit 100.10: the open (102) misses it, though the day trades at 99
    order, fills = first(run(tmp_path, {"style": "limit_on_open", "limit_offset_bps": 10}))
    assert (order.type.value, order.time_in_force.value, order.limit_price) == ("limit", "opg", Decimal("100.1"))
    assert fills == [] and order.status.value == "canceled"


def test_limit_on_open_within_the_open_fills_at_the_open(tmp_path) -> None:
    order, fills = first(run(tmp_path, {"style": "limit_on_open", "limit_offset_bps": 300}))
    assert [f.price for f in fills] == [Decimal("102")] and order.limit_price == Decimal("103")


def test_market_on_close_fills_at_the_next_sessions_close(tmp_path) -> None:
    order, fills = first(run(tmp_path, {"style": "market_on_close"}))
    assert (order.type.value, order.time_in_force.value) == ("market", "cls")
    assert [f.price for f in fills] == [Decimal("100")]  # bar 1's close, not the decision bar's


def test_limit_on_close_fills_only_within_its_limit(tmp_path) -> None:
    order, fills = first(run(tmp_path, {"style": "limit_on_close", "limit_offset_bps": 10}))
    assert order.time_in_force.value == "cls" and [f.price for f in fills] == [Decimal("100")]


def test_marketable_limit_is_a_day_limit_collared_around_the_arrival_price(tmp_path) -> None:
    # the collar (10 bps over 100) is under the gapped open: the limit fills intraday at its price
    order, fills = first(run(tmp_path, {"style": "marketable_limit", "collar_bps": 10}))
    assert (order.type.value, order.time_in_force.value, order.limit_price) == ("limit", "day", Decimal("100.1"))
    assert [f.price for f in fills] == [Decimal("100.1")]


def test_protective_stops_go_out_as_stop_limits_with_their_offset(tmp_path) -> None:
    journal = run(tmp_path, {}, {"stop_loss": 0.05, "stop_limit_offset_bps": 50})
    stops = [o for o in journal.orders() if o.tag == "protective"]
    assert stops and all(o.type.value == "stop_limit" for o in stops)
    first_stop = stops[0]
    # the limit 50 bps under the stop, to the cent (the sale's floor on a gap)
    assert abs(first_stop.limit_price - first_stop.stop_price * Decimal("0.995")) <= Decimal("0.005")
    assert first_stop.limit_price < first_stop.stop_price


def test_twap_is_refused_on_daily_bars_before_anything_is_written(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"orders.style twap: the backtest trades daily bars.*--timeframe 1Min"):
        run(tmp_path, {"style": "twap"})
    assert not (tmp_path / "j.sqlite").exists()
