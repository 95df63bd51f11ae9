"""`trade paper --once` end to end over loopback (real alpaca-py, real SQLite journal) against
the adapter's minimal fake: orders placed once, a second run for the same session sends none."""

import json

import pytest
from alpaca_fake_market import install_market
from alpaca_fake_server import FakeAlpaca
from cli_invoke import invoke

from framework.journal import Journal

KEY, SECRET = "AKRUNNERKEY00000001", "RUNNERSECRET0000001"
SESSION = "2019-06-04"


@pytest.fixture
def env(tmp_path, monkeypatch):
    fake = FakeAlpaca()
    install_market(fake, SESSION)
    with fake:
        monkeypatch.setenv("APCA_API_KEY_ID", KEY)
        monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
        for var in ("APCA_API_BASE_URL", "APCA_API_DATA_URL"):
            monkeypatch.setenv(var, fake.url)
        monkeypatch.setenv("APCA_API_STREAM_URL", "ws://127.0.0.1:9/stream")
        cfg = tmp_path / "paper.yaml"
        cfg.write_text(
            "strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"
            f"paper:\n  journal: {tmp_path / 'journal.sqlite'}\n  ack_deadline_seconds: 5\n"
        )
        yield fake, cfg, tmp_path


def run(argv, capsys):
    code, out, err = invoke(argv, capsys)
    return code, out + err


def test_dry_run_prints_orders_and_sends_nothing(env, capsys):
    fake, cfg, _ = env
    code, out = run(["paper", "--once", "--dry-run", "--config", str(cfg)], capsys)

    assert code == 0, out
    assert "would send" in out and fake.posts() == 0
    assert KEY not in out and SECRET not in out


def test_once_places_orders_once_per_session(env, capsys):
    fake, cfg, tmp = env
    code, out = run(["paper", "--once", "--config", str(cfg)], capsys)
    assert code == 0, out
    placed = dict(fake.orders)
    assert placed, out
    assert f"session: {SESSION}" in out and "signals of: 2019-06-03" in out

    journal = Journal(tmp / "journal.sqlite")
    journaled = {o.client_order_id: o for o in journal.orders()}
    assert set(journaled) == set(placed)
    assert all(o.broker_order_id == placed[c]["id"] for c, o in journaled.items())
    journal.close()

    code, out = run(["paper", "--once", "--config", str(cfg)], capsys)
    assert code == 0 and "already traded" in out
    assert dict(fake.orders) == placed  # nothing new, nothing duplicated
    assert KEY not in out and SECRET not in out
    assert KEY not in json.dumps(Journal(tmp / "journal.sqlite").table("runs").to_dict())


def test_stale_unsent_intent_is_withdrawn_not_sent(env, capsys):
    from datetime import UTC, datetime
    from decimal import Decimal

    from framework.enums import OrderSide, OrderStatus
    from framework.orders import Order

    fake, cfg, tmp = env
    journal = Journal(tmp / "journal.sqlite")
    old = Order(client_order_id="momentum-20190520-ZZZ-0-old", symbol="AAPL", side=OrderSide.BUY,
                qty=Decimal(1), created_at=datetime(2019, 5, 20, 12, tzinfo=UTC))
    journal.record_intent("paper-momentum", old)
    journal.close()

    code, out = run(["paper", "--once", "--config", str(cfg)], capsys)

    assert code == 0, out
    assert old.client_order_id not in fake.orders
    journal = Journal(tmp / "journal.sqlite")
    try:
        assert journal.order(old.client_order_id).status is OrderStatus.CANCELED
    finally:
        journal.close()
