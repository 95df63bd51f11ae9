"""Closing the broker ends its trade-updates stream at once, not after alpaca-py's 5 s read.

alpaca-py's consumer looks at its stop request only between reads of the socket, and each read
waits up to 5 s for a message: on a quiet account every ``AlpacaBroker.close()`` (every `trade
paper --once`, every test against the sandbox) cost up to 5 s. The stream is closed here right
after it connected (its first read has just begun) and given 3 s to end: before the fix it was
still reading.
"""

from __future__ import annotations

import time
from pathlib import Path

from market_once import embedded_sandbox

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import Credentials, Endpoints

KEY, SECRET = "AKSTREAMCLOSE00001", "STREAMCLOSESECRET1"


def test_closing_ends_the_stream_thread_without_waiting_for_its_read(tmp_path: Path) -> None:
    with embedded_sandbox(state=str(tmp_path / "sandbox.sqlite"), port=0) as sb:
        broker = AlpacaBroker(Credentials(KEY, SECRET), Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True),
                              timeout=5.0, poll_interval=0.2)
        broker.start()
        give_up = time.monotonic() + 30
        while not broker.stream_connected:
            assert time.monotonic() < give_up, "the trade-updates stream never connected"
            broker.dispatch(timeout=0.05)
        threads = list(broker.feed._threads)
        assert any(t.name == "alpaca-stream" and t.is_alive() for t in threads)
        broker.feed.close(join_timeout=3.0)
        broker.client._session.close()
        assert [t.name for t in threads if t.is_alive()] == []
        assert not broker.stream_connected
