"""Prices that move inside a session: the sandbox's intraday path.

With ``--wall-clock`` the sandbox's market opens and closes by itself; this module makes it move
*within* the open half too, so a loss watch can see a position fall at 11:00. During session i's
open phase the venue's clock runs from 09:30 to 16:00 and each symbol's price walks its bar's
path, open → low → high → close on an up day (open → high → low → close on a down day), each leg
a third of the session; progress is the share of the open phase's wall time gone. A test may pin
the progress instead (``POST /_sandbox/clock/intraday {"progress": 0.5}``) to hold a price still.

Only marks move (positions' ``current_price``, the account's equity, ``/v2/clock``): fills keep
the venue model's rules. Without wall-clock mode and without a pin nothing changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from framework.data import MarketData


class Quoted(Protocol):
    """What the path reads of the exchange: today's session and bars, and the last close."""

    @property
    def session(self) -> int: ...

    @property
    def market(self) -> MarketData: ...

    def last_close(self, symbol: str) -> float: ...

SESSION = timedelta(hours=6, minutes=30)


def path_price(o: float, h: float, low: float, c: float, progress: float) -> float:
    """The bar's price at ``progress`` in [0, 1] along its conventional path."""
    p = min(max(progress, 0.0), 1.0)
    points = (o, low, h, c) if c >= o else (o, h, low, c)
    leg = min(int(p * 3), 2)
    share = p * 3 - leg
    start, end = points[leg], points[leg + 1]
    return start + (end - start) * share


class IntradayPath:
    """Where the open phase stands: driven by the wall clock, or pinned."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._opened_at: float | None = None
        self._span = 0.0
        self._pinned: float | None = None

    def opened(self, span: float) -> None:
        """A session just opened; its open phase lasts ``span`` wall seconds."""
        self._opened_at, self._span, self._pinned = self._clock(), span, None

    def pin(self, progress: float | None) -> None:
        self._pinned = None if progress is None else min(max(progress, 0.0), 1.0)

    @property
    def active(self) -> bool:
        return self._pinned is not None or self._opened_at is not None

    def progress(self) -> float:
        if self._pinned is not None:
            return self._pinned
        if self._opened_at is None or self._span <= 0:
            return 0.0
        return min(max((self._clock() - self._opened_at) / self._span, 0.0), 1.0)

    def now(self, open_at: datetime) -> datetime:
        return open_at + SESSION * self.progress()

    def price(self, exchange: Quoted, symbol: str) -> float:
        """The symbol's price now in today's session (its last close when it has no bar today)."""
        i = exchange.session
        m = exchange.market
        bar = [float(getattr(m, f)[symbol].iloc[i]) for f in ("open", "high", "low", "close")]
        if not all(math.isfinite(x) for x in bar):
            return exchange.last_close(symbol)
        return path_price(*bar, self.progress())


__all__ = ["IntradayPath", "Quoted", "path_price"]
