"""TWAP through the backtest on minute bars (issue 29): the daily decision as always, the parent
sliced into children (journaled intents, ids derived from the parent's), each child filled on
its minutes by the simulator, never above the participation cap of a minute's volume, at the
slipped minute open. The expected fills are worked out here by hand from the seeded minutes,
not by the fill model under test."""

from __future__ import annotations

import math
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from bt_scenarios import fixed, market, settings

from analyzers import execution_quality
from analyzers.records import load_run
from brokers.backtrader.minute_fills import MinuteFills
from brokers.backtrader.runner import run_backtest
from framework.data import session_time
from framework.errors import ConfigError, DataError
from framework.journal import Journal
from framework.orders import make_client_order_id
from framework.styles import TWAP_CHILD
from framework.twap import child_id
from framework.venue import venue_from_config

NY = ZoneInfo("America/New_York")
CLOSES = [100.0, 100.0, 104.0, 104.0, 104.0]
OPENS = [100.0, 102.0, 104.0, 104.0, 104.0]
SLIP = 0.001  # bt_scenarios' venue: 10 bps on a market order
CAP = 0.1
ORDERS = {"style": "twap", "twap_slices": 6, "twap_window_minutes": 30, "participation_cap": CAP}


def minute_bars(days: pd.DatetimeIndex, seed: int = 29, minutes: int = 60, volume: float = 60.0) -> pd.DataFrame:
    """Seeded minutes from each session's 09:30 (the generator of test_twap_minute_bars: a random
    walk around $100, lognormal volume of mean ``volume``), indexed in UTC like the cache."""
    rng = np.random.default_rng(seed)
    frames = []
    for day in days:
        index = pd.date_range(datetime.combine(day.date(), time(9, 30), NY), periods=minutes, freq="1min")
        opens = 100 * np.exp(np.cumsum(rng.normal(0, 0.0008, minutes)))
        vols = np.round(rng.lognormal(np.log(volume), 0.5, minutes))
        frames.append(pd.DataFrame({"open": opens, "volume": vols}, index=index.tz_convert("UTC")))
    return pd.concat(frames)


def run(tmp_path, orders: dict, minutes: pd.DataFrame | None):
    mkt = market({"AAA": CLOSES}, opens={"AAA": OPENS})
    sig = pd.DataFrame({"AAA": [1.0] * len(CLOSES)}, index=mkt.dates)
    cfg = settings(orders=orders, sizing={"rebalance_band": 0.9})
    fills = None if minutes is None else MinuteFills(
        lambda symbol: minutes, participation_cap=cfg.orders.participation_cap,
        window_minutes=cfg.orders.twap_window_minutes, venue=venue_from_config(cfg.venue), source="sample")
    run_backtest(mkt, fixed(sig), cfg, tmp_path / "journal.sqlite", minutes=fills)
    return mkt, Journal(tmp_path / "journal.sqlite")


def test_a_twap_backtest_fills_each_child_on_its_minutes_within_the_cap(tmp_path) -> None:
    mkt = market({"AAA": CLOSES}, opens={"AAA": OPENS})
    minutes = minute_bars(mkt.dates)
    _, journal = run(tmp_path, ORDERS, minutes)
    orders, fills = journal.orders(), journal.fills()
    assert orders and all(TWAP_CHILD.search(o.client_order_id) for o in orders)
    # one decision (the band holds the position after): six children of one parent, the next session
    assert len(orders) == 6
    parent_qty = sum(o.qty for o in orders)
    assert [o.qty for o in orders] == [math.ceil(parent_qty / 6)] * int(parent_qty % 6) + \
        [parent_qty // 6] * (6 - int(parent_qty % 6))
    first = datetime(2020, 1, 3, 9, 30, tzinfo=NY)  # decided at Jan 2's close, traded on Jan 3
    assert [o.created_at for o in orders] == [first + pd.Timedelta(minutes=5 * k) for k in range(6)]
    assert all((o.type.value, o.time_in_force.value) == ("market", "day") for o in orders)
    intents = journal.table("intents")
    assert set(intents["client_order_id"]) == {o.client_order_id for o in orders}  # each journaled first
    ids = [o.client_order_id for o in orders]
    assert ids[0].endswith("-tw00") and ids[-1].endswith("-tw05") and len(set(ids)) == 6

    # the expected fills, by hand: from each child's minute until the next child's, the slipped open,
    # at most floor(10% of the minute's volume); what the window leaves is unfilled
    expected: list[tuple[str, pd.Timestamp, float, float]] = []
    for order in orders:
        left = float(order.qty)
        for when, bar in minutes.loc[pd.Timestamp(order.created_at):].iterrows():
            if when >= pd.Timestamp(order.created_at) + pd.Timedelta(minutes=5) or left <= 0:
                break
            take = min(left, math.floor(bar["volume"] * CAP))
            if take > 0:
                expected.append((order.client_order_id, when, take, bar["open"] * (1 + SLIP)))
                left -= take
    assert len(expected) > 6, "the sample's thin minutes make children take several minutes"
    got = [(f.client_order_id, pd.Timestamp(f.timestamp), float(f.qty), float(f.price)) for f in fills]
    assert [(c, t, q) for c, t, q, _ in got] == [(c, t, q) for c, t, q, _ in expected]
    assert [p for *_, p in got] == pytest.approx([p for *_, p in expected], rel=1e-9)
    for _, when, qty, _ in got:  # the cap, minute by minute
        assert qty <= math.floor(minutes.at[when, "volume"] * CAP)
    assert {f.client_order_id for f in fills} <= set(ids)
    by_order = {o.client_order_id: o for o in orders}
    assert sum(float(f.qty) for f in fills) == sum(float(o.filled_qty) for o in by_order.values())
    assert all(o.status.value == "filled" for o in orders)  # the sample's minutes have room for all
    assert [o.updated_at for o in orders] == [max(t for c, t, *_ in expected if c == i) for i in ids]
    journal.close()

    records = load_run(tmp_path)  # the execution-quality report: the children, by style
    quality = execution_quality.analyse(records.orders, records.fills, configured=records.style)
    styles = quality.groups[quality.groups["group"] == "style"]
    assert list(styles["value"]) == ["twap"] and list(styles["orders"]) == [6]
    assert float(styles["fill_rate"].iloc[0]) == 1.0
    # each child's arrival is the open of the minute it was due, not the session's open
    opens = {o.client_order_id: minutes.at[pd.Timestamp(o.created_at), "open"] for o in orders}
    arrivals = records.orders.set_index("client_order_id")["arrival_price"]
    assert [arrivals[i] for i in ids] == pytest.approx([opens[i] for i in ids], rel=1e-9)


def test_a_child_the_minutes_cannot_fill_is_canceled_with_what_the_cap_left(tmp_path) -> None:
    mkt = market({"AAA": CLOSES}, opens={"AAA": OPENS})
    thin = minute_bars(mkt.dates, volume=8.0)  # at most a share or two a minute
    _, journal = run(tmp_path, ORDERS, thin)
    orders, fills = journal.orders(), journal.fills()
    room = sum(math.floor(v * CAP) for v in thin.loc[pd.Timestamp("2020-01-03 14:30", tz="UTC"):].iloc[:30]["volume"])
    assert sum(float(f.qty) for f in fills) == room < float(sum(o.qty for o in orders))
    canceled = [o for o in orders if o.status.value == "canceled"]
    assert canceled and all(o.filled_qty < o.qty for o in canceled)
    # canceled when its turn ended: the next child's minute (the last child: the window's end)
    turns = [o.created_at for o in orders[1:]] + [orders[0].created_at + pd.Timedelta(minutes=30)]
    ended = {o.client_order_id: t for o, t in zip(orders, turns, strict=True)}
    assert all(o.updated_at == ended[o.client_order_id] for o in canceled)


def test_minutes_missing_for_a_traded_session_are_one_line_of_error(tmp_path) -> None:
    mkt = market({"AAA": CLOSES}, opens={"AAA": OPENS})
    minutes = minute_bars(mkt.dates[2:])  # no minutes on Jan 3, where the children trade
    with pytest.raises(DataError, match=r"no minute bars of AAA on 2020-01-03"):
        run(tmp_path, ORDERS, minutes)


def test_without_minute_bars_twap_is_still_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"orders.style twap: the backtest trades daily bars.*--minutes FILE"):
        run(tmp_path, ORDERS, None)
    assert not (tmp_path / "journal.sqlite").exists()


def test_child_ids_are_derived_from_the_parents_deterministic_id(tmp_path) -> None:
    mkt = market({"AAA": CLOSES}, opens={"AAA": OPENS})
    _, journal = run(tmp_path, ORDERS, minute_bars(mkt.dates))
    ids = [o.client_order_id for o in journal.orders()]
    # the parent: the engine's id for the decision (Jan 2, AAA, rebalance), never sent itself
    parent = make_client_order_id("fixed_signals", journal.run().run_id, session_time(pd.Timestamp("2020-01-02")),
                                  "AAA", "rebalance")
    assert ids == [child_id(parent, k) for k in range(6)] and all(len(i) <= 48 for i in ids)
