"""The backtrader adapter on its own: scripted orders through a real Cerebro run.

backtrader keeps positions in floats: a position built and unwound in fractions can be left at
±1e-15 shares, and an order crossing it executes that dust as a separate closing bit, then may
be refused for cash. These tests pin what the core hears in those cases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import backtrader as bt
from bt_scenarios import market

from brokers.backtrader.broker import BacktraderBroker
from brokers.backtrader.runner import simulator
from brokers.backtrader.sim_broker import snapshot
from framework.broker import OrderUpdate
from framework.config.backtest import BacktestConfig
from framework.enums import OrderEvent, OrderSide, OrderStatus, TimeInForce
from framework.orders import Order

T = datetime(2020, 1, 2, 21, tzinfo=UTC)


def _order(cid: str, side: OrderSide, qty: str) -> Order:
    return Order(
        client_order_id=cid, symbol="AAA", side=side, qty=Decimal(qty), time_in_force=TimeInForce.GTC, created_at=T
    )


def _run(plan: dict[int, list[Order]], cash: float, gap_at: int) -> tuple[list[OrderUpdate], BacktraderBroker]:
    """Submit ``plan[bar]`` at the close of bar 1, 2, ...; fills come at the next bar's open.

    Every price is 100 but the open of bar ``gap_at``, 150: orders that passed backtrader's cash
    check at submission (at the close) may find the cash short when they execute.
    """
    n = max(plan) + 3
    mkt = market({"AAA": [100.0] * n}, opens={"AAA": [150.0 if i == gap_at - 1 else 100.0 for i in range(n)]})
    cfg = BacktestConfig.model_validate(
        {"cash": cash, "slippage": {"mode": "fixed", "value": 0.0}, "commission": {"mode": "percent", "percent": 0.0}}
    )
    updates: list[OrderUpdate] = []
    adapter: list[BacktraderBroker] = []
    cerebro, feeds = simulator(mkt, cfg)  # as the runner has it

    class Script(bt.Strategy):
        def start(self) -> None:
            adapter.append(BacktraderBroker(self, feeds, lambda: T))
            adapter[0].subscribe(updates.append)

        def notify_order(self, order: bt.Order) -> None:
            adapter[0].notify(order)

        def next(self) -> None:
            for order in plan.get(len(self), []):
                adapter[0].submit_order(order)

    cerebro.addstrategy(Script)
    cerebro.run()
    return updates, adapter[0]


def _of(updates: list[OrderUpdate], cid: str) -> list[tuple[OrderEvent, OrderStatus, Decimal | None]]:
    return [(u.event, u.order.status, u.fill.qty if u.fill else None) for u in updates if u.order.client_order_id == cid]


def test_float_dust_is_not_a_fill_and_a_refused_order_is_rejected() -> None:
    # -0.1 - 0.2 + 0.3 leaves backtrader short 5.6e-17 shares; the buy of 9 crosses that dust
    # (executed as a closing bit of its own), then the gap to 150 makes 9 shares cost more than
    # the cash: refused.
    plan = {
        1: [_order("s1", OrderSide.SELL, "0.1")],
        2: [_order("s2", OrderSide.SELL, "0.2")],
        3: [_order("b1", OrderSide.BUY, "0.3")],
        4: [_order("big", OrderSide.BUY, "9")],
    }
    updates, adapter = _run(plan, cash=1_000.0, gap_at=5)
    bits = [bit.size for bit in adapter._bt["big"].executed.exbits]
    assert len(bits) == 1 and 0 < abs(bits[0]) < 1e-12  # backtrader did execute the dust
    assert _of(updates, "b1")[-1] == (OrderEvent.FILL, OrderStatus.FILLED, Decimal("0.3"))
    assert _of(updates, "big") == [(OrderEvent.REJECTED, OrderStatus.REJECTED, None)]
    assert adapter.get_positions() == []  # dust is no position
    filled = [u.fill.qty * u.fill.side.sign for u in updates if u.fill]
    assert sum(filled) == 0


def test_refused_remainder_after_a_partial_fill_is_canceled_with_the_fill_kept() -> None:
    # Short 5 (cash 1,500), then buy 14: at the close's 100 it fits; at the gapped open of 150 the
    # 5 that close the short execute (750), and the 9 that would open a long need 1,350 of the
    # 750 left. The fill stands; the rest is canceled.
    plan = {1: [_order("short", OrderSide.SELL, "5")], 3: [_order("flip", OrderSide.BUY, "14")]}
    updates, adapter = _run(plan, cash=1_000.0, gap_at=4)
    assert _of(updates, "flip") == [
        (OrderEvent.PARTIAL_FILL, OrderStatus.PARTIALLY_FILLED, Decimal(5)),
        (OrderEvent.CANCELED, OrderStatus.CANCELED, None),
    ]
    final = adapter.get_order_by_client_id("flip")
    assert final is not None and final.filled_qty == Decimal(5) and final.status is OrderStatus.CANCELED
    assert adapter.get_positions() == []


def test_snapshot_is_what_clone_gives() -> None:
    """SimBroker's notification snapshot equals backtrader's ``order.clone()``, attribute by
    attribute (the same objects), on orders that went through a whole run."""
    plan = {1: [_order("a", OrderSide.BUY, "3")], 2: [_order("b", OrderSide.SELL, "1.5")]}
    _, adapter = _run(plan, cash=1_000.0, gap_at=0)
    for order in adapter._bt.values():
        pending = order.executed.p1, order.executed.p2
        cloned = order.clone()
        order.executed.p1, order.executed.p2 = pending  # both mark the pending bits: same start
        snap = snapshot(order)
        assert type(snap) is type(cloned) and type(snap.executed) is type(cloned.executed)
        assert vars(snap).keys() == vars(cloned).keys()
        assert all(vars(snap)[k] is v for k, v in vars(cloned).items() if k != "executed")
        assert vars(snap.executed).keys() == vars(cloned.executed).keys()
        assert all(vars(snap.executed)[k] is v for k, v in vars(cloned.executed).items())
        assert list(snap.executed.iterpending()) == list(cloned.executed.iterpending())
