"""The host strategy: every order notification reaches the hooks, in order, quick or not (the
simulator notifies no acceptance: the adapter acknowledged the order at submission)."""

from __future__ import annotations

import pandas as pd
import pytest
from bt_scenarios import market

from brokers.backtrader.host import EngineHost, HostHooks
from brokers.backtrader.runner import simulator
from framework.config.backtest import BacktestConfig
from framework.venue import Venue


@pytest.mark.parametrize("quicknotify", [False, True])
def test_every_order_notification_reaches_the_hooks(quicknotify: bool) -> None:
    mkt = market({"AAA": [100.0, 101.0, 102.0, 103.0, 104.0, 105.0]})
    cerebro, feeds = simulator(mkt, BacktestConfig.model_validate({"cash": 10_000.0}), Venue())
    cerebro.p.quicknotify = quicknotify
    hosts: list[EngineHost] = []
    sessions: list[pd.Timestamp] = []
    heard: list[tuple[int, str, float]] = []

    def on_session(day: pd.Timestamp) -> None:
        sessions.append(day)
        if len(sessions) == 1:
            hosts[0].buy(data=feeds["AAA"], size=5)
        elif len(sessions) == 3:
            hosts[0].sell(data=feeds["AAA"], size=5)

    class Host(EngineHost):
        def start(self) -> None:
            hosts.append(self)

    hooks = HostHooks(on_session, lambda o: heard.append((o.ref, o.getstatusname(), o.executed.size)))
    cerebro.addstrategy(Host, hooks=hooks)
    cerebro.run()
    assert sessions == list(mkt.dates)
    refs = sorted({ref for ref, _, _ in heard})
    assert len(refs) == 2
    for ref, size in zip(refs, (5.0, -5.0), strict=True):
        # The venue judged the order at submission: backtrader accepts it at once (no cash check),
        # and the acceptance, no news to the adapter, is not notified; its fill is.
        assert [(s, x) for r, s, x in heard if r == ref] == [("Completed", size)]
    assert hosts[0].broker.getposition(feeds["AAA"]).size == 0
