"""The adapter on the real alpaca-py client over loopback: no hidden retries, no duplicates."""

from decimal import Decimal

import pytest
from alpaca_fake_server import FakeAlpaca

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints
from framework.config.execution import OrdersConfig
from framework.enums import OrderSide
from framework.errors import BrokerTimeout, BrokerUnavailable, RateLimited
from framework.journal import Journal
from framework.order_manager import OrderManager
from framework.orders import Order

KEY, SECRET = "AKFAKEKEY0000000001", "FAKESECRET000000001"


@pytest.fixture
def fake():
    with FakeAlpaca() as server:
        yield server


def adapter(fake: FakeAlpaca, timeout: float) -> AlpacaBroker:
    ends = Endpoints(fake.url, fake.url, "ws://127.0.0.1:9/stream", paper=True)
    return AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=timeout, stream=False)


@pytest.fixture
def broker(fake):
    # a generous timeout: no answer of these tests is held back
    broker = adapter(fake, 5.0)
    yield broker
    broker.close()


@pytest.fixture
def impatient(fake):
    """For a "lost" answer (held until the fake stops): its timeout is the test's wait, so a
    short one. Nothing else races it: the look-up that follows is a read, asked again when it
    times out too (brokers/alpaca/session.py), and the assertions count no reads."""
    broker = adapter(fake, 0.3)
    yield broker
    broker.close()


def an_order(coid: str = "mom-20200110-AAPL-0-abc") -> Order:
    return Order(client_order_id=coid, symbol="AAPL", side=OrderSide.BUY, qty=Decimal(5))


def manager(broker, tmp_path):
    cfg = OrdersConfig(max_retries=3, backoff_initial_seconds=0.01)
    return OrderManager(broker, Journal(tmp_path / "j.sqlite"), cfg, "run", sleep=lambda _s: None)


def test_alpaca_py_retry_is_off_429_surfaces_at_once(fake, broker):
    fake.faults.append("429")
    with pytest.raises(RateLimited) as info:
        broker.submit_order(an_order())
    assert fake.posts() == 1 and info.value.status_code == 429 and info.value.code == 42910000


def test_lost_submit_response_is_a_timeout_then_lookup_no_duplicate(fake, impatient, tmp_path):
    fake.faults.append("lost")
    om = manager(impatient, tmp_path)

    result = om.submit(an_order())

    assert result.looked_up and result.order.broker_order_id is not None
    assert fake.posts() == 1 and len(fake.orders) == 1


def test_lost_response_raw_adapter_raises_broker_timeout(fake, impatient):
    fake.faults.append("lost")
    with pytest.raises(BrokerTimeout):
        impatient.submit_order(an_order())
    assert fake.lost_arrived.wait(30)  # the order did land: the timeout hid an accepted order


@pytest.mark.parametrize("fault", ["429", "500"])
def test_transient_errors_are_retried_by_the_order_manager_once_each(fault, fake, broker, tmp_path):
    fake.faults.append(fault)
    om = manager(broker, tmp_path)

    result = om.submit(an_order())

    assert result.order.broker_order_id is not None
    assert len(fake.orders) == 1 and fake.posts() <= 2


def test_unknown_client_id_is_none_and_keys_never_in_errors(fake, broker):
    assert broker.get_order_by_client_id("nope") is None
    fake.faults.append("500")
    with pytest.raises(BrokerUnavailable) as info:
        broker.submit_order(an_order())
    assert KEY not in str(info.value) and SECRET not in str(info.value)
    assert fake.requests[0][2]["APCA-API-KEY-ID"] == KEY  # the keys did travel, in headers only
