"""Issue 30 item 2, the long-running `trade paper`: a cycle that fails on the venue, or a clock it
cannot read, names the venue and its host (the connection's announcement), as `--once` does."""

from __future__ import annotations

import logging

from market_once import embedded_sandbox
from ops_helpers import env_of, load, settings_file

from brokers.alpaca.connect import connect
from framework.live.operations import Operations
from framework.live.runner import PaperRunner

QUICK = "  alpaca:\n    read_deadline_seconds: 1\n"


def test_a_failed_cycle_in_the_loop_names_the_venue_and_host(tmp_path) -> None:
    settings = load(settings_file(tmp_path, "orders:\n  max_retries: 0\n", paper=QUICK))
    said: list[str] = []
    with embedded_sandbox(state=tmp_path / "sb.sqlite", port=0, start="2019-03-01") as sb:
        sb.set_faults([{"kind": "server_error", "route": "GET /v2/positions", "count": 10_000, "status": 503}])
        conn = connect(settings, env_of(sb), stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars)
        try:
            venue = conn.announce().removeprefix("venue: ")
            Operations(runner, None, cycles=True, say=said.append, venue=venue).step()  # the cycle is due
        finally:
            runner.close()
            conn.close()
    [failed] = [s for s in said if "failed, retrying" in s]
    assert "cannot reconcile with the broker" in failed
    assert failed.endswith(f"[{venue}]") and f"at {sb.base_url.rstrip('/')}" in venue, failed


def test_a_clock_the_loop_cannot_read_names_the_venue_and_host(tmp_path, caplog) -> None:
    settings = load(settings_file(tmp_path, "orders:\n  max_retries: 0\n  request_timeout_seconds: 1\n",
                                  paper=QUICK))
    dead = {"APCA_API_KEY_ID": "AKOPSTEST000000001", "APCA_API_SECRET_KEY": "OPSTESTSECRET00001",
            "APCA_API_BASE_URL": "http://127.0.0.1:9", "APCA_API_DATA_URL": "http://127.0.0.1:9"}  # nothing listens
    conn = connect(settings, dead, stream=False)
    runner = PaperRunner(settings, conn.broker, conn.bars)
    try:
        ops = Operations(runner, None, cycles=True, say=lambda _s: None,
                         venue=conn.announce().removeprefix("venue: "))
        with caplog.at_level(logging.WARNING, logger="trade.paper"):
            ops.step()
    finally:
        runner.close()
        conn.close()
    [line] = [r.getMessage() for r in caplog.records if "cannot read the venue's clock" in r.getMessage()]
    assert "[sandbox (loopback) at http://127.0.0.1:9 (" in line, line
