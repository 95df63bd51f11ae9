"""Paper sees what the backtest sees: AlpacaBars (real alpaca-py, against the sandbox) returns raw
bars with the actions derived from Alpaca's adjusted bars, so the signals and decision prices
of a session equal the backtest's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from alpaca.data.historical.stock import StockHistoricalDataClient

from brokers.alpaca.feeds import AlpacaBars
from brokers.sandbox import SandboxServer
from framework.data import load_market_data
from framework.market import SnapshotBuilder
from framework.registry import get_strategy
from framework.strategy import compute_signals


@pytest.mark.parametrize(("session", "strategy"), [
    ("2019-05-07", "momentum"),  # SO, the measured case: decided on 2019-05-06
    ("2015-08-20", "momentum"),  # NFLX's 7-for-1 split inside the paper window
])
def test_paper_history_gives_the_backtests_signals_and_raw_decision_prices(tmp_path, session, strategy) -> None:
    market = load_market_data()
    plugin = get_strategy(strategy)()
    bars_needed = max(plugin.warmup_bars + 1, 300)
    with SandboxServer(state=tmp_path / "s.sqlite", port=0, start=session) as server:
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
        assert got.notna().equals(want.notna()), name
        assert got.to_numpy()[got.notna().to_numpy()] == pytest.approx(want.to_numpy()[want.notna().to_numpy()],
                                                                      rel=1e-6)
    paper = compute_signals(plugin, history).loc[decision]
    backtest = compute_signals(plugin, market).loc[decision]
    assert paper.notna().any()
    assert paper.to_numpy() == pytest.approx(backtest.to_numpy(), rel=1e-6, abs=1e-9, nan_ok=True)
    prices = SnapshotBuilder(history).at(decision).prices
    assert prices == pytest.approx(market.close.loc[decision].sort_index().to_numpy(), nan_ok=True)
    assert np.isfinite(prices).all()
