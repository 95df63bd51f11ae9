"""Waiting for something another thread or process does, without sleeping a fixed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

GENEROUS = 120.0  # seconds: a bound for waits that take milliseconds on an idle machine


def until(done: Callable[[], object], seconds: float = GENEROUS, every: float = 0.05) -> bool:
    """Wait for ``done()`` (checked ``every`` seconds) at most ``seconds``; whether it came true."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(every)
    return True
