"""The service loop re-prices a resting marketable limit (issue 29), against the sandbox: the
delay counts on the venue's clock, which the test moves (the sandbox's intraday pin), never on
the wall clock; the replacement goes out at the sandbox's latest trade ± the collar under an id
derived from the replaced order, and once re-priced ``reprice_times`` times the order is canceled.
Each step is a loop started afresh (its first step watches and re-prices at once)."""

from __future__ import annotations

from decimal import Decimal

import requests
from market_once import embedded_sandbox
from ops_helpers import env_of, settings_file

from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from framework.config import load_settings
from framework.enums import OrderSide, OrderStatus, OrderType
from framework.live.operations import Operations
from framework.live.runner import PaperRunner
from framework.orders import Order
from framework.repricing import replacement_id

ORDERS = "orders:\n  style: marketable_limit\n  reprice_after_minutes: 5\n  reprice_times: 1\n  collar_bps: 10\n"
SESSION_MINUTES = 390


def pin(sb: SandboxServer, minute: int) -> str:
    """The venue's clock at ``minute`` minutes after the open; returns its time of day."""
    answer = requests.post(f"{sb.base_url}/_sandbox/clock/intraday", json={"progress": minute / SESSION_MINUTES},
                           timeout=30).json()
    return answer["clock"]["timestamp"][11:16]


def step(runner: PaperRunner, said: list[str]) -> None:
    """One step of a loop started now; what it says of re-pricing is added to ``said``."""
    lines: list[str] = []
    Operations(runner, None, cycles=True, say=lines.append).step()
    said += [line for line in lines if line.startswith("re-priced or canceled")]


def test_the_loop_reprices_a_resting_marketable_limit_on_the_venues_clock(tmp_path) -> None:
    settings = load_settings([settings_file(tmp_path, ORDERS)])
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start="2019-06-04") as sb:
        sb.advance("open")
        assert pin(sb, 0) == "09:30"
        conn = connect(settings, env_of(sb), stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars)
        try:
            engine = runner.ensure_engine()
            now = runner.clock.now()
            resting = engine.orders.submit(Order(
                client_order_id="momentum-20190604-AAPL-rebalanc-0123456789", symbol="AAPL", side=OrderSide.BUY,
                type=OrderType.LIMIT, qty=Decimal(3), limit_price=Decimal("100.00"), created_at=now)).order
            assert resting.is_open  # far under the market: it rests

            said: list[str] = []
            step(runner, said)  # 09:30: not due
            assert pin(sb, 4) == "09:34"
            step(runner, said)  # 4 minutes: not due yet
            assert said == [] and conn.broker.get_order(resting.broker_order_id).status is OrderStatus.NEW

            assert pin(sb, 6) == "09:36"
            step(runner, said)  # 6 minutes on the venue's clock: re-priced
            new_id = replacement_id(resting.client_order_id)
            assert len(said) == 1 and new_id in said[0]
            assert conn.broker.get_order(resting.broker_order_id).status is OrderStatus.REPLACED
            moved = conn.broker.get_order_by_client_id(new_id)
            assert moved is not None and moved.is_open
            latest = conn.bars.latest_trades(["AAPL"])["AAPL"]
            assert moved.limit_price == engine.venue.round_price(Decimal(str(round(latest * 1.001, 8))))
            intents = runner.journal.table("intents")
            assert new_id in set(intents["client_order_id"])  # journaled before the replace

            step(runner, said)  # a restarted loop at the same minute: nothing replaced twice
            assert len(said) == 1 and len(conn.broker.get_orders("all")) == 2

            assert pin(sb, 12) == "09:42"
            step(runner, said)  # the replacement rested 6 minutes, re-priced once already: canceled
            assert len(said) == 2 and "canceled" in said[1]
            assert conn.broker.get_order(moved.broker_order_id).status is OrderStatus.CANCELED
            events = runner.journal.table("order_events")
            assert "reprice_cancel" in set(events[events["client_order_id"] == new_id]["event"])
        finally:
            runner.close()
            conn.close()
