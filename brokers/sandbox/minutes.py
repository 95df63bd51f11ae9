"""Minute bars of the sandbox's simulated sessions (``GET /v2/stocks/bars?timeframe=1Min``).

The sandbox replays daily bars; its minutes are drawn to agree with them: 390 one-minute bars
from 09:30 to 15:59 New York time, the first opening at the day's open, the last closing at its
close, the path touching the day's high and low and never leaving them, the day's volume spread
over the minutes in the U shape of a real session (heavier at the open and the close). The path
is a Brownian bridge seeded by (symbol, day), so a session's minutes are the same on every
request. Only raw prices (``adjustment=raw``): what a TWAP trades.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
MINUTES = 390


def _rng(symbol: str, day: pd.Timestamp) -> np.random.Generator:
    seed = int.from_bytes(hashlib.sha256(f"{symbol}|{day.date()}".encode()).digest()[:8], "big")
    return np.random.default_rng(seed)


def session_minutes(symbol: str, day: pd.Timestamp, o: float, h: float, low: float, c: float,
                    volume: float) -> pd.DataFrame:
    """One session's minute bars (index: the minute's start, UTC), agreeing with the daily bar."""
    rng = _rng(symbol, day)
    steps = rng.normal(0.0, 1.0, MINUTES)
    walk = np.concatenate([[0.0], np.cumsum(steps)])
    bridge = walk - np.linspace(0.0, 1.0, MINUTES + 1) * walk[-1]  # 0 at both ends
    line = np.linspace(o, c, MINUTES + 1)
    up, down = max(bridge.max(), 1e-12), min(bridge.min(), -1e-12)
    room_up, room_down = h - np.maximum(line, max(o, c)).max(), np.minimum(line, min(o, c)).min() - low
    path = line + np.where(bridge > 0, bridge / up * max(room_up, 0.0), -bridge / down * max(room_down, 0.0))
    path = np.clip(path, low, h)
    opens, closes = path[:-1], path[1:]
    opens[0], closes[-1] = o, c
    highs, lows = np.maximum(opens, closes), np.minimum(opens, closes)
    highs[int(np.argmax(path[1:]))] = h  # the day's extremes are printed on some minute
    lows[int(np.argmin(path[1:]))] = low
    shape = 1.0 + 2.0 * (np.linspace(-1.0, 1.0, MINUTES) ** 2)
    vols = np.floor(volume * shape / shape.sum())
    vols[-1] += volume - vols.sum()  # the minutes add up to the day
    start = datetime.combine(day.date(), time(9, 30), NEW_YORK)
    index = pd.date_range(start, periods=MINUTES, freq="1min").tz_convert("UTC")
    return pd.DataFrame({"open": opens, "high": highs, "low": lows, "close": closes, "volume": vols}, index=index)


__all__ = ["MINUTES", "session_minutes"]
