"""Synthetic daily bars on real XNYS sessions, and a file with every kind of problem in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from framework.data.sessions import sessions

SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")


def clean_long(first: str = "2018-01-02", last: str = "2019-12-31", symbols: tuple[str, ...] = SYMBOLS,
               seed: int = 7) -> pd.DataFrame:
    """A random walk per symbol on every XNYS session: consistent OHLC, positive volume."""
    days = sessions("XNYS", pd.Timestamp(first), pd.Timestamp(last))
    rng = np.random.default_rng(seed)
    frames = []
    for k, symbol in enumerate(symbols):
        close = np.round(50 * (k + 1) * np.exp(np.cumsum(rng.normal(0.0003, 0.015, len(days)))), 2)
        open_ = np.round(close * np.exp(rng.normal(0, 0.005, len(days))), 2)
        high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0.001, 0.01, len(days))), 2)
        low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0.001, 0.01, len(days))), 2)
        volume = rng.integers(100_000, 1_000_000, len(days))
        frames.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "symbol": symbol, "open": open_,
                                    "high": high, "low": low, "close": close, "volume": volume}))
    return pd.concat(frames, ignore_index=True)


def line_of(frame: pd.DataFrame, date: str, symbol: str) -> int:
    """The CSV line of a row (header = line 1)."""
    hit = np.flatnonzero(((frame["date"] == date) & (frame["symbol"] == symbol)).to_numpy())
    return int(hit[0]) + 2


#: the ten kinds of error put into :func:`ten_problems`, and the three warnings
ERRORS = ("empty symbol", "unparsable date", "missing value", "not a number", "price not positive",
          "negative volume", "duplicate row", "high below low", "open/close outside [low, high]",
          "not an exchange session", "price spike")
WARNINGS = ("missing sessions", "zero-volume run", "stale price")


def ten_problems() -> pd.DataFrame:
    """Clean bars with eleven kinds of error and three of warning, one or more rows each."""
    f = clean_long().astype({"open": object, "high": object, "close": object, "volume": object})
    at = lambda d, s: np.flatnonzero(((f["date"] == d) & (f["symbol"] == s)).to_numpy())[0]  # noqa: E731
    f.loc[at("2019-03-01", "AAA"), "symbol"] = ""  # empty symbol
    f.loc[at("2019-03-04", "AAA"), "date"] = "not-a-date"  # unparsable date
    f.loc[at("2019-03-05", "BBB"), "close"] = np.nan  # close is missing (NaN)
    f.loc[at("2019-03-06", "BBB"), "high"] = "abc"  # not a number
    f.loc[at("2019-03-07", "CCC"), "open"] = 0.0  # price not positive
    f.loc[at("2019-03-08", "CCC"), "volume"] = -10  # negative volume
    i = at("2019-03-11", "DDD")
    f.loc[i, "low"], f.loc[i, "high"] = float(f.loc[i, "high"]) + 1, float(f.loc[i, "low"])  # high < low
    i = at("2019-03-12", "DDD")
    f.loc[i, "close"] = float(f.loc[i, "high"]) + 5  # close > high
    i = at("2019-03-13", "EEE")
    f.loc[i, "close"] = float(f.loc[i, "close"]) * 100  # the 100x bad tick, back to normal the next day
    f.loc[i, "high"] = f.loc[i, "close"]
    weekend = f.iloc[[at("2019-03-15", "EEE")]].assign(date="2019-03-16")  # a Saturday
    dup = f.iloc[[at("2019-03-18", "FFF")]]  # a duplicate row
    f = f.drop(index=[at(d, "FFF") for d in ("2019-04-01", "2019-04-02", "2019-04-03")])  # missing sessions
    for d in ("2019-05-01", "2019-05-02", "2019-05-03", "2019-05-06"):
        f.loc[at(d, "AAA"), "volume"] = 0  # zero-volume run
    stale = float(f.loc[at("2019-06-03", "BBB"), "close"])
    for d in ("2019-06-04", "2019-06-05", "2019-06-06", "2019-06-07", "2019-06-10"):
        f.loc[at(d, "BBB"), ["open", "high", "low", "close"]] = stale  # stale price
    return pd.concat([f, weekend, dup], ignore_index=True)


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path
