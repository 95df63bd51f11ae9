"""Kill `trade paper --once` between a submission and its ack, then restart: the broker's
orders are adopted, nothing is sent twice, nothing is lost."""

import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from alpaca_fake_market import install_market
from alpaca_fake_server import FakeAlpaca
from cli_invoke import run_trade

from framework.journal import Journal

TRADE = str(Path(sys.executable).with_name("trade"))
SESSION = "2019-06-04"
CONFIG = "strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"


def credentials(fake: FakeAlpaca) -> dict[str, str]:
    return {"APCA_API_KEY_ID": "AKKILLKEY000000001", "APCA_API_SECRET_KEY": "KILLSECRET0001",
            "APCA_API_BASE_URL": fake.url, "APCA_API_DATA_URL": fake.url}


def environment(fake: FakeAlpaca) -> dict[str, str]:
    """The child process's: this one's environment and the fake's credentials."""
    return dict(os.environ, **credentials(fake))


def config(tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(CONFIG + f"orders:\n  request_timeout_seconds: 60\n"
                    f"paper:\n  journal: {tmp / name}.sqlite\n  ack_deadline_seconds: 5\n")
    return path


def quantities(orders) -> Counter:
    out: Counter = Counter()
    for o in orders:
        out[(o["symbol"], o["side"])] += Decimal(o["qty"])
    return out


def test_kill_between_submit_and_ack_then_restart(tmp_path):
    clean = FakeAlpaca()
    install_market(clean, SESSION)
    with clean:  # the run without a kill, in this process: only the killed run needs its own
        cfg = config(tmp_path, "clean")
        assert run_trade(["paper", "--once", "--config", str(cfg)], credentials(clean)) == 0
    expected = quantities(clean.orders.values())
    assert len(expected) >= 3

    fake = FakeAlpaca()
    install_market(fake, SESSION)
    fake.faults.extend(["", "", "lost"])  # the third order is accepted, its answer held back
    cfg = config(tmp_path, "killed")
    with fake:
        proc = subprocess.Popen([TRADE, "paper", "--once", "--config", str(cfg)],
                                env=environment(fake), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert fake.lost_arrived.wait(120), "the runner never reached the third order"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert len(fake.orders) == 3

        # the restart, in this process: a new runner on the killed run's journal
        assert run_trade(["paper", "--once", "--config", str(cfg)], credentials(fake)) == 0

    assert quantities(fake.orders.values()) == expected  # nothing duplicated, nothing missing
    journal = Journal(f"{tmp_path / 'killed'}.sqlite")
    try:
        journaled = {o.client_order_id: o for o in journal.orders()}
        assert set(journaled) == set(fake.orders)
        assert all(o.broker_order_id == fake.orders[c]["id"] for c, o in journaled.items())
    finally:
        journal.close()
