"""The engine plans what the account can do: in a cash account a short is no position (said once,
not refused every session), and a limit buy is sized to what the buying-power check accepts at its
limit price (not sized at the decision price, then refused by our own venue check)."""

from __future__ import annotations

import numpy as np
import pytest
from market_once import embedded

from brokers.backtrader.runner import run_backtest
from framework.config import load_settings
from framework.config.execution import SignalsConfig
from framework.journal import Journal
from framework.registry import get_strategy
from framework.risk import RiskInput
from framework.risk.buying_power import BuyingPower, growth_cost
from framework.signals import SignalProcessor


def _statuses(path) -> dict[str, int]:
    journal = Journal(path)
    try:
        orders = journal.table("orders")
    finally:
        journal.close()
    return orders["status"].value_counts().to_dict()


@pytest.mark.parametrize("strategy", ["mean_reversion", "momentum"])
def test_a_cash_account_with_limit_orders_sends_nothing_the_venue_refuses(tmp_path, strategy) -> None:
    settings = load_settings([], {
        "strategy": {"name": strategy},
        "venue": {"margin_multiplier": 1},
        "orders": {"type": "limit"},
        "sizing": {"fractional": True},
        "risk": {"stop_loss": 0.05, "trailing_stop": 0.1},
        "backtest": {"start": "2018-10-01", "end": "2019-03-29"},
    })
    plugin = get_strategy(strategy)(settings.strategy.params)
    result = run_backtest(embedded(), plugin, settings, tmp_path / "journal.sqlite")
    statuses = _statuses(result.journal_path)
    assert statuses.get("filled", 0) > 0
    assert statuses.get("rejected", 0) == 0, statuses
    if settings.signals.allow_short:
        tally = result.discards.to_json()["shorts_the_account_cannot_hold"]
        assert tally["signals"] > 0 and tally["first"] is not None
        assert "cannot sell them short" in result.discards.warnings(settings.signals)["unshortable"]


def test_limit_buys_are_valued_at_the_limit_the_venue_will_see() -> None:
    prices = np.array([100.004, 0.5, 37.21])
    target, current = np.array([10.0, 100.0, -5.0]), np.zeros(3)
    risk = RiskInput(("A", "B", "C"), current, prices, prices, 10_000.0, lambda: 10_000.0, False,
                     np.zeros(3, dtype=np.intp), 1, buy_markup=0.001)
    cost = growth_cost(target, risk)
    # 100.004 x 1.001 = 100.104004 -> a limit of at most 100.11; 0.5005 below $1 keeps 4 decimals
    assert cost.tolist() == pytest.approx([10 * 100.11, 100 * 0.5005, 5 * 37.21 * 1.03])
    tight = RiskInput(("A",), np.zeros(1), np.array([100.0]), np.array([100.0]), 10_000.0, lambda: 10_000.0, False,
                      np.zeros(1, dtype=np.intp), 1, buy_markup=0.001)
    adjusted = BuyingPower().apply(np.array([100.0]), tight)  # 100 x 100.10 > 10,000 of buying power
    assert adjusted is not None and float(growth_cost(adjusted.targets, tight).sum()) <= 10_000.0


def test_short_signals_are_flat_where_the_account_cannot_short() -> None:
    processor = SignalProcessor(SignalsConfig(allow_short=True, threshold=0.0))
    signals = np.array([0.5, -0.5, -0.2])
    shortable = np.array([True, False, True])
    weights = processor.target_weights(signals, shortable=shortable)
    assert weights[1] == 0.0 and weights[2] < 0 and weights[0] > 0
    found = processor.discarded(signals, shortable)
    assert found.unshortable is not None and found.unshortable.tolist() == [False, True, False]
