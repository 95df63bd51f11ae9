"""A market snapshot at one session's decision time, for the engine tests."""

from __future__ import annotations

import pandas as pd

from framework.data import session_time
from framework.market import MarketSnapshot


def snapshot(date: str, prices: dict[str, float], vol: float = 0.2) -> MarketSnapshot:
    return MarketSnapshot.of(session_time(pd.Timestamp(date)), prices, dict.fromkeys(prices, vol))
