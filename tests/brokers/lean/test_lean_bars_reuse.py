"""A sweep's points reuse the window's bars (issue 31): the same journal as a run on fresh bars, no reuse across market objects, and no bars
kept once their market is gone."""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

import pytest
from market_once import configured

from brokers.lean import run_lean_backtest
from brokers.lean import runner as lean_runner
from brokers.lean.broker import Bars
from framework.config import Settings
from framework.data import MarketData
from framework.registry import get_strategy

SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM", "PFE", "AMZN"]
CONFIG = {"strategy": {"name": "momentum", "params": {"lookback": 63, "skip": 5}},
          "signals": {"rebalance_every": 1}, "data": {"symbols": SYMBOLS}}


def _dump(journal: Path) -> list[str]:
    with sqlite3.connect(journal) as db:
        return list(db.iterdump())


def _run(market: MarketData, journal: Path) -> list[str]:
    settings = Settings.model_validate(CONFIG)
    run_lean_backtest(market, get_strategy("momentum")(settings.strategy.params), settings, journal)
    return _dump(journal)


@pytest.fixture(scope="module")
def market() -> MarketData:
    return configured(Settings.model_validate(CONFIG).data).between("2019-01-02", None)


def _cached_for(market: MarketData) -> list[Bars]:
    return [bars for ref, bars in lean_runner._BARS.values() if ref() is market]


def test_a_second_point_on_the_window_reuses_its_bars_and_journals_the_same(market: MarketData,
                                                                            tmp_path: Path) -> None:
    lean_runner._BARS.clear()
    first = _run(market, tmp_path / "first.sqlite")
    [bars] = _cached_for(market)
    second = _run(market, tmp_path / "second.sqlite")
    assert _cached_for(market) == [bars]  # the same bars, not built again
    lean_runner._BARS.clear()
    fresh = _run(market, tmp_path / "fresh.sqlite")
    assert _cached_for(market) and _cached_for(market)[0] is not bars
    assert first == second == fresh


def test_bars_are_not_shared_across_market_objects_nor_kept_past_their_market(market: MarketData,
                                                                             tmp_path: Path) -> None:
    lean_runner._BARS.clear()
    _run(market, tmp_path / "a.sqlite")
    copy = market.between(None, None)  # the same data, another object
    assert copy is not market
    _run(copy, tmp_path / "b.sqlite")
    [ours], [theirs] = _cached_for(market), _cached_for(copy)
    assert ours is not theirs
    del copy
    gc.collect()
    assert len(lean_runner._BARS) == 1 and _cached_for(market) == [ours]
