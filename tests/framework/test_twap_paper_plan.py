"""TWAP on the venue's clock (issue 29), the pure part: which journaled children the paper service
sends, cancels or withdraws at a moment (framework.twap.plan_children), and the order manager
keeping an order stamped later than now journaled, unsent, until it is due (a venue that places
orders on their minutes itself, the backtest's, gets them at once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from cli_invoke import invoke
from inmemory_broker import InMemoryBroker

from framework.broker import BrokerCapabilities
from framework.config import OrdersConfig
from framework.enums import OrderSide, OrderStatus
from framework.journal import Journal
from framework.order_manager import OrderManager
from framework.orders import Order
from framework.twap import plan_children, slice_parent

NY = ZoneInfo("America/New_York")
OPEN = datetime(2024, 3, 5, 9, 30, tzinfo=NY)


def children(qty: int = 30, slices: int = 3, window: int = 15) -> list[Order]:
    parent = Order(client_order_id="mom-20240304-AAA-rebalance-0123456789", symbol="AAA", side=OrderSide.BUY,
                   qty=Decimal(qty), created_at=OPEN - timedelta(minutes=30), decision_price=Decimal(100))
    return slice_parent(parent, slices=slices, window_minutes=window, start=OPEN)


def sent(child: Order) -> Order:
    return child.transition(OrderStatus.NEW, broker_order_id=f"b-{child.client_order_id[-4:]}")


def test_before_the_open_nothing_is_due_and_the_first_child_is_next() -> None:
    kids = children()
    plan = plan_children(kids, OPEN - timedelta(minutes=30), 15)
    assert (plan.send, plan.cancel, plan.withdraw) == ((), (), ()) and plan.next_at == OPEN


def test_each_child_is_sent_at_its_minute_and_canceled_when_the_next_one_is_due() -> None:
    k0, k1, k2 = children()
    assert plan_children([k0, k1, k2], OPEN, 15).send == (k0,)
    at_5 = plan_children([sent(k0), k1, k2], OPEN + timedelta(minutes=5), 15)
    assert at_5.send == (k1,) and [o.client_order_id for o in at_5.cancel] == [k0.client_order_id]
    gone = sent(k0).transition(OrderStatus.CANCELED)
    between = plan_children([gone, sent(k1), k2], OPEN + timedelta(minutes=7), 15)
    assert (between.send, between.cancel) == ((), ()) and between.next_at == OPEN + timedelta(minutes=10)


def test_the_last_child_works_until_the_windows_end_and_a_filled_child_is_left_alone() -> None:
    k0, k1, k2 = children()
    done = k0.transition(OrderStatus.NEW, broker_order_id="b0").transition(OrderStatus.FILLED, filled_qty=k0.qty)
    plan = plan_children([done, sent(k1), sent(k2)], OPEN + timedelta(minutes=14), 15)
    assert [o.client_order_id for o in plan.cancel] == [k1.client_order_id] and plan.next_at == OPEN + \
        timedelta(minutes=15)
    end = plan_children([done, sent(k1), sent(k2)], OPEN + timedelta(minutes=15), 15)
    assert {o.client_order_id for o in end.cancel} == {k1.client_order_id, k2.client_order_id}


def test_a_child_never_sent_before_its_turn_ended_is_withdrawn_not_sent_late() -> None:
    k0, k1, k2 = children()
    plan = plan_children([k0, k1, k2], OPEN + timedelta(minutes=6), 15)  # the service was down at 09:30
    assert plan.withdraw == (k0,) and plan.send == (k1,)


def test_a_parent_smaller_than_its_slices_gives_its_last_child_the_rest_of_the_window() -> None:
    kids = children(qty=2, slices=3)  # two children: the third slice would be empty
    assert len(kids) == 2
    first = sent(kids[0]).transition(OrderStatus.FILLED, filled_qty=kids[0].qty)
    plan = plan_children([first, sent(kids[1])], OPEN + timedelta(minutes=10), 15)
    assert plan.cancel == () and plan.next_at == OPEN + timedelta(minutes=15)  # as the backtest fills it


class Clocked(InMemoryBroker):
    def __init__(self, timed: bool) -> None:
        super().__init__()
        self.timed = timed

    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(native_stop=False, native_trailing_stop=False, timed_orders=self.timed)


@pytest.mark.parametrize("timed", [False, True])
def test_an_order_stamped_later_is_journaled_now_and_sent_when_due_unless_the_venue_times_it(tmp_path, timed) -> None:
    broker, now = Clocked(timed), [OPEN - timedelta(minutes=30)]
    om = OrderManager(broker, Journal(tmp_path / "j.sqlite"), OrdersConfig(), "r", clock=lambda: now[0])
    kids = children()
    results = om.submit_many(kids)
    assert set(om.journal.table("intents")["client_order_id"]) == {k.client_order_id for k in kids}
    if timed:  # the backtest's simulator places each child on its minute itself
        assert broker.submit_calls == [k.client_order_id for k in kids]
        return
    assert broker.submit_calls == [] and all(r.order.status is OrderStatus.CREATED for r in results)
    assert om.resolve_pending() == [] and broker.submit_calls == []  # a restart sends nothing early either
    now[0] = OPEN.astimezone(UTC)
    om.submit_many(kids)
    assert broker.submit_calls == [kids[0].client_order_id]


def test_an_ordinary_order_stamped_after_a_restarted_clock_is_still_sent(tmp_path) -> None:
    """Regression: only a TWAP child waits for its stamp. A decision's order stamped 09:00:03 by a
    process killed mid-cycle is due for the restarted one, whose fresh reading of a venue clock
    standing still before the open (the sandbox's) is 09:00:00."""
    broker, now = Clocked(False), OPEN - timedelta(minutes=30)
    om = OrderManager(broker, Journal(tmp_path / "j.sqlite"), OrdersConfig(), "r", clock=lambda: now)
    decided = Order(client_order_id="mom-20240304-AAA-rebalance-0123456789", symbol="AAA", side=OrderSide.BUY,
                    qty=Decimal(5), created_at=now + timedelta(seconds=3))
    om.submit_many([decided])
    assert broker.submit_calls == [decided.client_order_id]


def test_trade_paper_once_refuses_twap_in_one_line_before_anything_is_written(tmp_path, capsys) -> None:
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(f"orders:\n  style: twap\npaper:\n  journal: {tmp_path / 'journal.sqlite'}\n")
    code, _out, err = invoke(["paper", "--once", "--config", str(cfg)], capsys)
    assert code == 2 and err.strip().count("\n") == 0
    assert "orders.style twap" in err and "without --once" in err
    assert not (tmp_path / "journal.sqlite").exists()


def test_trade_rehearse_refuses_twap_in_one_line_before_anything_is_written(tmp_path, capsys) -> None:
    cfg = tmp_path / "twap.yaml"
    cfg.write_text("orders:\n  style: twap\n")
    folder = tmp_path / "rehearsal"
    code, _out, err = invoke(["rehearse", "--start", "2019-05-01", "--config", str(cfg), "--out", str(folder)],
                             capsys)
    assert code == 2 and err.strip().count("\n") == 0 and "trade rehearse runs single paper cycles" in err
    assert not folder.exists()
