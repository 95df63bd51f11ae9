"""A restarted engine trails its stops from the same high as one that never stopped.

`trade paper --once` is a fresh process every session: the books are rebuilt from the journal's
fills, which alone know only the entry price. The best mark since entry must come back too, or a
trailing stop drops after every restart (found by `trade rehearse` with `risk.trailing_stop`:
paper's GOOG stop fell from 1120.03 to 1104.19 the session after the high while the backtest's held).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from inmemory_broker import InMemoryBroker
from snapshots import snapshot

from framework.config import Settings

SIGNALS = pd.Series({"AAA": 1.0, "BBB": 0.0, "CCC": 0.0, "DDD": 0.0})
DAYS = ["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"]


@pytest.mark.parametrize("closes", [(100.0, 130.0, 120.0), (100.0, 95.0, 90.0), (100.0, 110.0, 125.0)])
def test_restart_restores_the_best_mark_since_entry(closes, make_engine, tmp_path) -> None:
    settings = Settings.model_validate({"signals": {"rebalance_every": 1}, "risk": {"trailing_stop": 0.05}})
    broker = InMemoryBroker()
    engine = make_engine(broker, settings)
    prices = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0, "DDD": 10.0}
    engine.on_bar(pd.Timestamp(DAYS[0]), snapshot(DAYS[0], prices), SIGNALS)
    broker.fill_open(prices, at=datetime(2020, 1, 7, 14, 30, tzinfo=UTC))  # opened on the 7th
    for day, close in zip(DAYS[1:], closes, strict=True):
        engine.on_bar(pd.Timestamp(day), snapshot(day, {**prices, "AAA": close}), SIGNALS)
    held = engine.portfolio.holdings["AAA"]

    restarted = make_engine(broker, settings, path=tmp_path / "journal.sqlite")
    restarted.rebuild_books()

    again = restarted.portfolio.holdings["AAA"]
    assert again.qty == held.qty
    assert again.high_water == held.high_water == max(100, *closes)


def test_a_started_engine_restores_the_loss_guards_memory(make_engine, tmp_path) -> None:
    # The runner used to set engine.peak_equity and session_start_equity itself after a restart;
    # the engine restores its own guards when it starts (and restore_guards() alone).
    settings = Settings.model_validate({"signals": {"rebalance_every": 1}})
    broker = InMemoryBroker()
    engine = make_engine(broker, settings)
    prices = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0, "DDD": 10.0}
    engine.on_bar(pd.Timestamp(DAYS[0]), snapshot(DAYS[0], prices), SIGNALS)
    broker.fill_open(prices, at=datetime(2020, 1, 7, 14, 30, tzinfo=UTC))
    for day, close in zip(DAYS[1:], (130.0, 110.0, 105.0), strict=True):
        engine.on_bar(pd.Timestamp(day), snapshot(day, {**prices, "AAA": close}), SIGNALS)
    curve = engine.journal.equity_curve(engine.run_id)["equity"]

    restarted = make_engine(broker, settings, path=tmp_path / "journal.sqlite")
    assert restarted.peak_equity == 0.0 and restarted.session_start_equity is None
    restarted.start(reconcile=False)
    assert restarted.peak_equity == engine.peak_equity == float(curve.max())
    assert restarted.session_start_equity == float(curve.iloc[-1])
