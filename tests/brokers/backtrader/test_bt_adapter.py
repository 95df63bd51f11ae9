"""The backtrader adapter on its own: scripted orders through a real Cerebro run.

backtrader keeps positions in floats: a position built and unwound in fractions can be left at
±1e-15 shares; that dust is no position, for the core nor for the venue. What the venue accepted
at submission fills, as at Alpaca: a gap that makes a buy cost more than the cash leaves the
cash negative (a margin loan), and a position flip is one execution, charged once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import backtrader as bt
import pytest
from bt_scenarios import market

from brokers.backtrader.broker import BacktraderBroker
from brokers.backtrader.runner import simulator
from brokers.backtrader.sim_broker import snapshot
from framework.broker import OrderUpdate
from framework.config.backtest import BacktestConfig
from framework.config.venue import VenueConfig
from framework.enums import OrderEvent, OrderSide, OrderStatus, TimeInForce
from framework.orders import Order
from framework.venue import Venue, venue_from_config

T = datetime(2020, 1, 2, 21, tzinfo=UTC)
FREE = {"slippage": {"mode": "fixed", "value": 0.0}}


def _order(cid: str, side: OrderSide, qty: str) -> Order:
    return Order(
        client_order_id=cid, symbol="AAA", side=side, qty=Decimal(qty), time_in_force=TimeInForce.DAY, created_at=T
    )


def _venue(**cfg: object) -> Venue:
    return venue_from_config(VenueConfig.model_validate({**FREE, **cfg}))


def _run(
    plan: dict[int, list[Order]], cash: float, gap_at: int, venue: Venue | None = None
) -> tuple[list[OrderUpdate], BacktraderBroker, float]:
    """Submit ``plan[bar]`` at the close of bar 1, 2, ...; fills come at the next bar's open.

    Every price is 100 but the open of bar ``gap_at``, 150. Returns the updates, the adapter and
    the cash at the end.
    """
    n = max(plan) + 3
    mkt = market({"AAA": [100.0] * n}, opens={"AAA": [150.0 if i == gap_at - 1 else 100.0 for i in range(n)]})
    updates: list[OrderUpdate] = []
    adapter: list[BacktraderBroker] = []
    venue = venue or _venue()
    cerebro, feeds = simulator(mkt, BacktestConfig(cash=cash), venue)  # as the runner has it

    class Script(bt.Strategy):
        def start(self) -> None:
            adapter.append(BacktraderBroker(self, feeds, lambda: T, venue))
            adapter[0].subscribe(updates.append)

        def notify_order(self, order: bt.Order) -> None:
            adapter[0].notify(order)

        def next(self) -> None:
            for order in plan.get(len(self), []):
                adapter[0].submit_order(order)

    cerebro.addstrategy(Script)
    cerebro.run()
    return updates, adapter[0], cerebro.broker.getcash()


def _of(updates: list[OrderUpdate], cid: str) -> list[tuple[OrderEvent, OrderStatus, Decimal | None]]:
    return [(u.event, u.order.status, u.fill.qty if u.fill else None) for u in updates if u.order.client_order_id == cid]


def test_float_dust_is_no_position_and_no_fill() -> None:
    # 0.1 + 0.2 - 0.3 leaves backtrader long 5.6e-17 shares: for the venue that is flat, so the
    # sell of 9 opens a short (it is not a sell beyond a long), and fills 9, not 9 plus dust.
    plan = {
        1: [_order("b1", OrderSide.BUY, "0.1")],
        2: [_order("b2", OrderSide.BUY, "0.2")],
        3: [_order("s1", OrderSide.SELL, "0.3")],
        5: [_order("short", OrderSide.SELL, "9")],
    }
    updates, adapter, _ = _run(plan, cash=10_000.0, gap_at=0)
    assert _of(updates, "s1")[-1] == (OrderEvent.FILL, OrderStatus.FILLED, Decimal("0.3"))
    assert _of(updates, "short") == [(OrderEvent.FILL, OrderStatus.FILLED, Decimal(9))]
    assert [(p.symbol, p.qty) for p in adapter.get_positions()] == [("AAA", Decimal(-9))]


def test_an_accepted_buy_fills_even_when_a_gap_makes_it_cost_more_than_the_cash() -> None:
    # $10,000 of cash on margin (multiplier 2): 150 shares at the close's 100 ($15,000) are within
    # the $20,000 the venue grants. The open gaps to 150: $22,500, more than the cash. Alpaca
    # (and the sandbox) fill it on margin; so does the simulator.
    updates, _, cash = _run({1: [_order("big", OrderSide.BUY, "150")]}, cash=10_000.0, gap_at=2)
    assert _of(updates, "big") == [(OrderEvent.FILL, OrderStatus.FILLED, Decimal(150))]
    assert cash == pytest.approx(10_000.0 - 150 * 150.0, abs=1e-6)


def test_a_position_flip_is_one_execution_and_pays_one_commission() -> None:
    # From flat, a short of 5 and a buy of 14 go out at the same close (each opens a position, so
    # the venue takes both); at the open the short executes first and the buy flips it: backtrader
    # executes 5 closing and 9 opening shares in one execution, which the venue charges once:
    # max(14 x $0.005, $1) = $1, not $1 for each bit.
    per_share = _venue(profile="per_share")
    plan = {1: [_order("short", OrderSide.SELL, "5"), _order("flip", OrderSide.BUY, "14")]}
    updates, adapter, cash = _run(plan, cash=10_000.0, gap_at=0, venue=per_share)
    fills = [u.fill for u in updates if u.fill and u.order.client_order_id == "flip"]
    assert [(f.qty, f.commission) for f in fills] == [(Decimal(14), Decimal(1))]
    assert [(p.symbol, p.qty) for p in adapter.get_positions()] == [("AAA", Decimal(9))]
    assert cash == pytest.approx(10_000.0 + 5 * 100 - 1.0 - 14 * 100 - 1.0, abs=1e-6)


def test_an_order_the_venue_refuses_never_reaches_backtrader() -> None:
    def script() -> None:
        _run({1: [_order("gtc", OrderSide.BUY, "0.5").evolve(time_in_force=TimeInForce.GTC)]}, 10_000.0, 0)

    from framework.errors import FractionalNotAllowed

    with pytest.raises(FractionalNotAllowed, match="fractional orders must be DAY orders"):
        script()


def test_snapshot_is_what_clone_gives() -> None:
    """SimBroker's notification snapshot equals backtrader's ``order.clone()``, attribute by
    attribute (the same objects), on orders that went through a whole run."""
    plan = {1: [_order("a", OrderSide.BUY, "3")], 2: [_order("b", OrderSide.SELL, "1.5")]}
    _, adapter, _ = _run(plan, cash=1_000.0, gap_at=0)
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
