"""Paper sees what the backtest sees: AlpacaBars (real alpaca-py, against the sandbox) returns raw
bars with the actions derived from Alpaca's adjusted bars, so the signals and decision prices
of a session equal the backtest's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from alpaca.data.historical.stock import StockHistoricalDataClient
from market_once import embedded, embedded_sandbox

from brokers.alpaca.feeds import AlpacaBars, restate_in_todays_shares, splits_after_last_bar
from framework.market import SnapshotBuilder
from framework.registry import get_strategy
from framework.strategy import compute_signals


@pytest.mark.parametrize(("session", "strategy"), [
    ("2019-05-07", "momentum"),  # SO, the measured case: decided on 2019-05-06
    ("2015-08-20", "momentum"),  # NFLX's 7-for-1 split inside the paper window
])
def test_paper_history_gives_the_backtests_signals_and_raw_decision_prices(tmp_path, session, strategy) -> None:
    market = embedded()
    plugin = get_strategy(strategy)()
    bars_needed = max(plugin.warmup_bars + 1, 300)
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start=session) as server:
        client = StockHistoricalDataClient("key", "secret", url_override=server.base_url)
        history = AlpacaBars(client).history(market.symbols, market.sectors, pd.Timestamp(session), bars_needed)
        client._session.close()
    decision = history.dates[-1]
    assert decision == market.dates[market.dates < pd.Timestamp(session)][-1]
    window = market.close.loc[history.dates[0] : decision]
    assert history.close.to_numpy() == pytest.approx(window.to_numpy(), nan_ok=True)  # as traded
    inside = slice(history.dates[1], decision)  # the first bar has no bar before it to derive from
    for name in ("dividends", "splits"):
        got, want = getattr(history, name).loc[inside], getattr(market, name).loc[inside]
        # recovered from 4-decimal bars and snapped (cents, plain ratios): the venue's own actions,
        # exactly; a float tolerance found thousands of "dividends" in the rounding
        assert got.notna().equals(want.notna()), f"{name}: {int(got.notna().sum().sum())} vs {int(want.notna().sum().sum())}"
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy(), err_msg=name)
    paper = compute_signals(plugin, history).loc[decision]
    backtest = compute_signals(plugin, market).loc[decision]
    assert paper.notna().any()
    assert paper.to_numpy() == pytest.approx(backtest.to_numpy(), rel=1e-6, abs=1e-9, nan_ok=True)
    prices = SnapshotBuilder(history).at(decision).prices
    assert prices == pytest.approx(market.close.loc[decision].sort_index().to_numpy(), nan_ok=True)
    assert np.isfinite(prices).all()


def test_a_long_history_has_all_the_bars_asked_for(tmp_path) -> None:
    """XGBoost's 344-bar warm-up: the calendar days requested must cover 344 sessions whatever
    the holidays (7/5 of them plus 15 days gave 341, so paper decided on a short history)."""
    market = embedded()
    with embedded_sandbox(state=tmp_path / "s.sqlite", port=0, start="2019-05-01") as server:
        client = StockHistoricalDataClient("key", "secret", url_override=server.base_url)
        history = AlpacaBars(client).history(market.symbols, market.sectors, pd.Timestamp("2019-05-01"), 344)
        client._session.close()
    assert len(history.dates) == 344
    assert history.dates[-1] == pd.Timestamp("2019-04-30")


def test_a_split_processed_before_the_open_is_read_from_yesterdays_bar() -> None:
    """Alpaca applies a split on its ex-date before the open and adjusts the bars as of now: the
    cycle before that open sees yesterday's split-adjusted close a quarter of the raw one. The
    sandbox applies splits at the open, so only these frames can show it."""
    days = pd.bdate_range("2020-01-06", periods=3)
    raw = pd.DataFrame({"AAA": [400.0, 404.0, 408.0], "BBB": [50.0, 51.0, 52.0], "CCC": [9.0, 9.0, np.nan]},
                       index=days)
    split = raw.copy()
    split["AAA"] = raw["AAA"] / 4  # 4-for-1 going ex today
    split["CCC"] = raw["CCC"] * 1.000001  # float noise is no split

    found = splits_after_last_bar(raw, split)
    assert found == {"AAA": 4.0}
    assert splits_after_last_bar(raw, raw) == {}
    # the books hold the new shares: the decision prices are restated in them, volume the other way
    assert restate_in_todays_shares(raw, "close", found)["AAA"].tolist() == [100.0, 101.0, 102.0]
    assert restate_in_todays_shares(raw, "volume", found)["AAA"].tolist() == [1600.0, 1616.0, 1632.0]
    assert restate_in_todays_shares(raw, "close", found)["BBB"].equals(raw["BBB"])
