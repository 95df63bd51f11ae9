"""SimBroker is BackBroker, faster: the same orders on the same bars leave the same state.

Each script runs twice on a real Cerebro, once on backtrader's BackBroker and once on ours, and
every bar's cash, values, leverage, positions and every notification are compared exactly.
"""

from __future__ import annotations

from typing import Any

import backtrader as bt
from bt_scenarios import market
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.backtrader.commission import configure_broker
from brokers.backtrader.runner import simulator
from brokers.backtrader.sim_broker import SimBroker
from framework.config.backtest import BacktestConfig
from framework.config.venue import VenueConfig
from framework.data import MarketData
from framework.venue import venue_from_config

SYMBOLS = ("AAA", "BBB", "CCC")
BARS = 12
COSTS = BacktestConfig.model_validate({"cash": 10_000.0})
VENUE = venue_from_config(
    VenueConfig.model_validate(
        {
            "profile": "per_share",
            "slippage": {"mode": "percent", "value": 0.001},
            "commission": {"mode": "per_share", "per_share": 0.01, "minimum": 1.0, "maximum_pct": 0.01},
        }
    )
)

Script = dict[int, list[tuple[str, int]]]  # bar -> (symbol, signed size) market orders at its close


def _trace(broker: bt.brokers.BackBroker, mkt: MarketData, script: Script, interest: float | None = None) -> list[Any]:
    """``interest``: None for the configured costs, else backtrader's percent scheme with it."""
    cerebro, feeds = simulator(mkt, COSTS, VENUE)
    cerebro.broker = broker
    configure_broker(broker, VENUE, COSTS.cash, COSTS.volume_cap)
    if interest is not None:
        broker.setcommission(commission=0.001, interest=interest)
    trace: list[Any] = []

    class Replay(bt.Strategy):
        def notify_order(self, order: bt.Order) -> None:
            done = order.executed
            trace.append(("order", order.data._name, order.getstatusname(), done.size, done.price, done.comm))

        def next(self) -> None:
            b = self.broker
            held = sorted((d._name, p.size, p.price) for d, p in b.positions.items() if p)
            trace.append(
                (
                    "bar",
                    len(self),
                    b.getcash(),
                    b.getvalue(),
                    b.get_value(mkt=True),
                    b.get_value(lever=True),
                    b.get_leverage(),
                    b._unrealized,
                    held,
                )
            )
            for symbol, size in script.get(len(self), []):
                (self.buy if size > 0 else self.sell)(data=feeds[symbol], size=abs(size))

    cerebro.addstrategy(Replay)
    cerebro.run()
    return trace


def _market(paths: list[list[float]]) -> MarketData:
    return market(
        dict(zip(SYMBOLS, paths, strict=True)),
        opens={s: [p * 1.003 for p in path] for s, path in zip(SYMBOLS, paths, strict=True)},
    )


prices = st.lists(st.floats(10, 200, allow_nan=False), min_size=BARS, max_size=BARS)
orders = st.lists(st.tuples(st.sampled_from(SYMBOLS), st.integers(-40, 40).filter(bool)), max_size=3)


@settings(max_examples=25, deadline=None)
@given(paths=st.lists(prices, min_size=3, max_size=3), script=st.dictionaries(st.integers(1, BARS - 1), orders))
def test_same_state_as_backbroker_bar_by_bar(paths: list[list[float]], script: Script) -> None:
    mkt = _market(paths)
    ours = SimBroker()
    assert _trace(ours, mkt, script) == _trace(bt.brokers.BackBroker(), mkt, script)
    assert ours.carry_free()  # the configured costs take the short bar step


def test_carrying_costs_take_backbrokers_bar_step() -> None:
    """Interest on a short held for days: SimBroker must charge it exactly as BackBroker does."""
    mkt = _market([[100.0 + i for i in range(BARS)], [50.0] * BARS, [20.0 - i for i in range(BARS)]])
    script: Script = {1: [("AAA", -30), ("BBB", 10)], 4: [("CCC", -50)], 8: [("AAA", 30)]}
    ours = SimBroker()
    with_interest = _trace(ours, mkt, script, interest=0.25)
    assert not ours.carry_free()
    assert with_interest == _trace(bt.brokers.BackBroker(), mkt, script, interest=0.25)
    free = SimBroker()
    without = _trace(free, mkt, script, interest=0.0)
    assert free.carry_free()

    def cash(trace: list[Any]) -> float:
        return [row[2] for row in trace if row[0] == "bar"][-1]

    assert cash(with_interest) < cash(without)  # the interest was charged
