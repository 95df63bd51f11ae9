"""`trade data fetch --timeframe 1Min` against the sandbox (issue 29): minute bars cached like the
daily ones (a second fetch sends no request), each session's minutes agreeing with its daily bar,
and a TWAP simulated on the cached minutes (framework.twap), participation-capped."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import requests
from alpaca_sandbox_helpers import environment, run_trade
from market_once import embedded, embedded_sandbox

from framework.config.venue import VenueConfig
from framework.data.cache import read_minutes
from framework.enums import OrderSide
from framework.orders import Order
from framework.twap import fill_on_minutes, slice_parent
from framework.venue import venue_from_config

NY = ZoneInfo("America/New_York")


def test_minute_bars_are_fetched_cached_and_traded_by_a_twap(tmp_path, capsys) -> None:
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2017-01-03") as server:
        env = environment(server)
        count = lambda: requests.get(f"{server.base_url}/_sandbox/state", timeout=10).json()["bars_requests"]  # noqa: E731
        cache = tmp_path / "minutes.parquet"
        fetch = ("data", "fetch", "--symbols", "AAPL,SO", "--start", "2016-12-28", "--end", "2016-12-30",
                 "--timeframe", "1Min", "--out", str(cache))
        assert run_trade(list(fetch), env) == 0
        first = count()
        assert first >= 1
        assert run_trade(list(fetch), env) == 0
        assert count() == first  # cached: nothing asked again
        assert run_trade(["data", "fetch", "--symbols", "AAPL", "--start", "2016-12-28", "--end", "2016-12-30",
                          "--out", str(cache)], env) == 2  # a daily fetch into a minute cache: refused
        assert "holds 1Min bars" in capsys.readouterr().err

    assert pq.read_table(cache).num_rows == 2 * 3 * 390
    daily = embedded()
    minutes = read_minutes(cache, "AAPL")
    for day in ("2016-12-28", "2016-12-29", "2016-12-30"):
        session = minutes[minutes.index.tz_convert(NY).date == pd.Timestamp(day).date()]
        assert len(session) == 390
        assert session["open"].iloc[0] == pytest.approx(daily.open.at[pd.Timestamp(day), "AAPL"])
        assert session["close"].iloc[-1] == pytest.approx(daily.close.at[pd.Timestamp(day), "AAPL"])
        assert session["high"].max() == pytest.approx(daily.high.at[pd.Timestamp(day), "AAPL"])
        assert session["low"].min() == pytest.approx(daily.low.at[pd.Timestamp(day), "AAPL"])
        assert session["volume"].sum() == pytest.approx(daily.volume.at[pd.Timestamp(day), "AAPL"])

    start = datetime(2016, 12, 29, 9, 30, tzinfo=NY)
    parent = Order(client_order_id="mom-20161228-AAPL-rebalance-0123", symbol="AAPL", side=OrderSide.BUY,
                   qty=Decimal(30_000), created_at=start, decision_price=Decimal("116.7"))
    kids = slice_parent(parent, slices=6, window_minutes=30, start=start)
    venue = venue_from_config(VenueConfig())
    out = fill_on_minutes(kids, minutes, participation_cap=0.05, venue=venue, window_end=start + pd.Timedelta(minutes=30))
    window = minutes[(minutes.index >= pd.Timestamp(start)) & (minutes.index < pd.Timestamp(start) + pd.Timedelta(minutes=30))]
    assert 0 < out.filled_qty <= Decimal(int(np.floor(window["volume"] * 0.05).sum()))
    for fill in out.fills:
        assert float(fill.qty) <= np.floor(minutes.at[fill.time, "volume"] * 0.05)
