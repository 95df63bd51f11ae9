"""Against the sandbox: `trade paper --once` killed while an order submission hangs, then
restarted. Nothing duplicated (per symbol), nothing lost (same orders as an uninterrupted run)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest
from alpaca_sandbox_helpers import KEY, SECRET, environment, start_sandbox

pytest.importorskip("brokers.sandbox")

TRADE = str(Path(sys.executable).with_name("trade"))
CONFIG = ("strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n"
          "orders:\n  request_timeout_seconds: 60\n")


def config(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "paper.yaml"
    path.write_text(CONFIG + f"paper:\n  journal: {folder / 'paper.sqlite'}\n")
    return path


def orders_by_symbol(sb) -> Counter:
    client = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)
    found = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))
    out: Counter = Counter()
    for o in found:  # summed, so a duplicate order shows as a larger quantity
        out[(o.symbol, o.side.value)] += Decimal(o.qty)
    return out


def trade_paper(cfg: Path, sb) -> subprocess.CompletedProcess:
    return subprocess.run([TRADE, "paper", "--once", "--config", str(cfg)],
                          env=dict(os.environ, **environment(sb)), capture_output=True, text=True,
                          timeout=120)


def test_killed_mid_submission_then_restarted(tmp_path):
    with start_sandbox(tmp_path / "clean") as sb:
        assert trade_paper(config(tmp_path / "a"), sb).returncode == 0
        expected = orders_by_symbol(sb)
    assert len(expected) >= 3

    cfg = config(tmp_path / "b")
    with start_sandbox(tmp_path / "killed") as sb:
        # held far beyond the time the test needs to see it and kill the runner (until the sandbox stops)
        sb.set_faults([{"kind": "slow", "route": "POST /v2/orders", "count": 1, "delay": 600.0}])
        proc = subprocess.Popen([TRADE, "paper", "--once", "--config", str(cfg)],
                                env=dict(os.environ, **environment(sb)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not sb.exchange.faults.fired and time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)  # paces the poll; the runner is not expected to exit
        assert sb.exchange.faults.fired, "the runner never reached the slow submission"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)

        again = trade_paper(cfg, sb)
        assert again.returncode == 0, again.stderr
        got = orders_by_symbol(sb)
    assert got == expected
