"""`trade data fetch`: a venue's daily bars into a local Parquet cache usable as ``--data``.

The cache holds prices as traded plus ``dividend`` and ``split_ratio`` on ex-dates (as the
source derives them, :class:`framework.data.bars.DailyBarSource`), and in its Parquet metadata
the range fetched for each symbol. A fetch asks only for what the cache lacks (before its first
or after its last date per symbol); each request carries at most :data:`PAGE_BARS` bars and is
paced by the source.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from framework.data.bars import BAR_COLUMNS, DailyBarSource, MinuteBarSource
from framework.errors import DataError, InputError
from framework.progress import progress

PAGE_BARS = 10_000  # Alpaca's largest page: one request per chunk of symbols
META_KEY = b"trade.fetch"
COLUMNS = BAR_COLUMNS
DAILY, MINUTE = "1Day", "1Min"
#: minute bars: one row per (time, symbol), the minute's start in UTC, prices as traded
MINUTE_COLUMNS = ["time", "symbol", "open", "high", "low", "close", "volume"]
MINUTES_PER_SESSION = 390


@dataclass(frozen=True)
class Cache:
    frame: pd.DataFrame  # COLUMNS (MINUTE_COLUMNS), one row per (date (time), symbol)
    covered: dict[str, tuple[date, date]]  # symbol -> first and last day asked for
    feed: str
    timeframe: str = DAILY

    @classmethod
    def empty(cls, feed: str, timeframe: str = DAILY) -> Cache:
        return cls(pd.DataFrame(columns=_columns(timeframe)), {}, feed, timeframe)


def _columns(timeframe: str) -> list[str]:
    return MINUTE_COLUMNS if timeframe == MINUTE else COLUMNS


def read_cache(path: Path, feed: str, timeframe: str = DAILY) -> Cache:
    if not path.exists():
        return Cache.empty(feed, timeframe)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise DataError(f"{path}: cannot read the cache: {str(e).splitlines()[0]}") from None
    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
    if not meta:
        raise InputError(f"{path}: not a cache written by `trade data fetch`; choose another --out")
    if meta["feed"] != feed:
        raise InputError(f"{path}: the cache holds the {meta['feed']} feed, not {feed}; use --feed {meta['feed']}")
    held = meta.get("timeframe", DAILY)
    if held != timeframe:
        raise InputError(f"{path}: the cache holds {held} bars, not {timeframe}; choose another --out")
    covered = {s: (date.fromisoformat(a), date.fromisoformat(b)) for s, (a, b) in meta["covered"].items()}
    return Cache(table.to_pandas(), covered, feed, timeframe)


def write_cache(path: Path, cache: Cache) -> None:
    columns = _columns(cache.timeframe)
    frame = cache.frame.sort_values(["symbol", columns[0]], kind="stable").reset_index(drop=True)
    table = pa.Table.from_pandas(frame[columns], preserve_index=False)
    meta: dict[str, object] = {
        "feed": cache.feed, "covered": {s: [a.isoformat(), b.isoformat()] for s, (a, b) in cache.covered.items()}}
    if cache.timeframe != DAILY:  # a daily cache's metadata stays as it was
        meta["timeframe"] = cache.timeframe
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)  # a reader never sees half a cache


def missing_ranges(cache: Cache, symbols: list[str], start: date, end: date) -> dict[tuple[date, date], list[str]]:
    """Ranges to ask for, each with its symbols. A range next to cached data starts (or ends)
    on the cached boundary day, so an action on the first new day can be derived."""
    plan: dict[tuple[date, date], list[str]] = {}
    for symbol in symbols:
        have = cache.covered.get(symbol)
        if have is None:
            wanted = [(start, end)]
        else:
            wanted = ([(start, have[0])] if start < have[0] else []) + ([(have[1], end)] if end > have[1] else [])
        for r in wanted:
            plan.setdefault(r, []).append(symbol)
    return plan


def chunks(symbols: list[str], start: date, end: date, per_session: int = 1) -> list[list[str]]:
    """Symbols in groups whose bars over [start, end] fit one page (``per_session`` bars a
    session: 1 daily, 390 minutes); a group of one may need several pages (the client pages)."""
    sessions = max(1, int(np.busday_count(start, end + timedelta(days=1))))
    size = max(1, PAGE_BARS // (sessions * per_session))
    return [symbols[i : i + size] for i in range(0, len(symbols), size)]


def _merge(cache: Cache, new: pd.DataFrame) -> pd.DataFrame:
    """New rows win, except a symbol's first row of a request when the cache has that day:
    it was asked for only to derive the next day's action."""
    if cache.frame.empty:
        return new
    new = new.sort_values(["symbol", "date"])
    first = ~new["symbol"].duplicated()
    known = pd.MultiIndex.from_frame(cache.frame[["date", "symbol"]])
    at = pd.MultiIndex.from_frame(new[["date", "symbol"]]).isin(known)
    new = new[~(first.to_numpy() & at)]
    old = cache.frame.set_index(["date", "symbol"])
    old = old[~old.index.isin(pd.MultiIndex.from_frame(new[["date", "symbol"]]))].reset_index()
    return pd.concat([old, new], ignore_index=True)[COLUMNS]


def fetch(bars: DailyBarSource, path: Path, symbols: list[str], start: date, end: date, *,
          echo: Callable[[str], None] = print) -> tuple[int, int]:
    """Bring the cache at ``path`` up to [start, end] for ``symbols``. Returns (requests, rows added).
    Requests are paced by the source (Alpaca's: one budget for the data API, shared with every
    other client of the process: brokers/alpaca/session.py)."""
    if end < start:
        raise InputError(f"--end {end} is before --start {start}")
    cache = read_cache(path, bars.feed_name)
    plan = missing_ranges(cache, symbols, start, end)
    work = [(r, group) for r, syms in sorted(plan.items()) for group in chunks(syms, *r)]
    if not work:
        echo(f"{path}: up to date for {len(symbols)} symbols, {start} .. {end}: nothing fetched")
        return 0, 0
    pieces, requests = [], 0
    with progress(len(work), "fetch", unit="chunk") as tracker:
        for (lo, hi), group in work:
            piece = bars.daily_bars(group, lo, hi)
            requests += bars.requests_per_call
            if piece is not None:
                pieces.append(piece)
            tracker.advance()
    new = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=COLUMNS)
    before = len(cache.frame)
    merged = _merge(cache, new) if len(new) else cache.frame
    covered = dict(cache.covered)
    for symbol in symbols:
        had = covered.get(symbol)
        covered[symbol] = (min(start, had[0]), max(end, had[1])) if had else (start, end)
    write_cache(path, Cache(merged, covered, cache.feed))
    added = len(merged) - before
    echo(f"{path}: {requests} requests, {added} new bars, {len(merged)} in the cache")
    return requests, added


def fetch_minutes(bars: MinuteBarSource, path: Path, symbols: list[str], start: date, end: date, *,
                  echo: Callable[[str], None] = print) -> tuple[int, int]:
    """:func:`fetch` for minute bars (``--timeframe 1Min``): prices as traded, no actions; a
    minute already cached is replaced by the newly served one. Returns (requests, rows added)."""
    if end < start:
        raise InputError(f"--end {end} is before --start {start}")
    cache = read_cache(path, bars.feed_name, MINUTE)
    plan = missing_ranges(cache, symbols, start, end)
    work = [(r, group) for r, syms in sorted(plan.items()) for group in chunks(syms, *r, MINUTES_PER_SESSION)]
    if not work:
        echo(f"{path}: up to date for {len(symbols)} symbols, {start} .. {end}: nothing fetched")
        return 0, 0
    pieces = []
    with progress(len(work), "fetch", unit="chunk") as tracker:
        for (lo, hi), group in work:
            piece = bars.minute_bars(group, lo, hi)
            if piece is not None:
                pieces.append(piece)
            tracker.advance()
    before = len(cache.frame)
    frames = [f for f in (cache.frame, *pieces) if len(f)]
    merged = (pd.concat(frames, ignore_index=True).drop_duplicates(["time", "symbol"], keep="last")
              if frames else cache.frame)
    covered = dict(cache.covered)
    for symbol in symbols:
        had = covered.get(symbol)
        covered[symbol] = (min(start, had[0]), max(end, had[1])) if had else (start, end)
    write_cache(path, Cache(merged[MINUTE_COLUMNS], covered, cache.feed, MINUTE))
    added = len(merged) - before
    echo(f"{path}: {len(work)} requests, {added} new minute bars, {len(merged)} in the cache")
    return len(work), added


def read_minutes(path: Path, symbol: str) -> pd.DataFrame:
    """One symbol's cached minute bars (index: the minute's start, UTC): what a TWAP simulates on."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    meta = json.loads((pq.read_schema(path).metadata or {}).get(META_KEY, b"{}"))
    if meta.get("timeframe") != MINUTE:
        raise InputError(f"{path}: not a minute-bar cache (trade data fetch --timeframe 1Min)")
    frame = pq.read_table(path).to_pandas()
    frame = frame[frame["symbol"] == symbol]
    return frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame["time"], utc=True), name="time")).drop(
        columns=["time", "symbol"])


__all__ = ["Cache", "chunks", "fetch", "fetch_minutes", "missing_ranges", "read_cache", "read_minutes",
           "write_cache"]
