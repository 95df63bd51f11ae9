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

from framework.data.bars import BAR_COLUMNS, DailyBarSource
from framework.errors import DataError, InputError
from framework.progress import progress

PAGE_BARS = 10_000  # Alpaca's largest page: one request per chunk of symbols
META_KEY = b"trade.fetch"
COLUMNS = BAR_COLUMNS


@dataclass(frozen=True)
class Cache:
    frame: pd.DataFrame  # COLUMNS, one row per (date, symbol)
    covered: dict[str, tuple[date, date]]  # symbol -> first and last day asked for
    feed: str

    @classmethod
    def empty(cls, feed: str) -> Cache:
        return cls(pd.DataFrame(columns=COLUMNS), {}, feed)


def read_cache(path: Path, feed: str) -> Cache:
    if not path.exists():
        return Cache.empty(feed)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise DataError(f"{path}: cannot read the cache: {str(e).splitlines()[0]}") from None
    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
    if not meta:
        raise InputError(f"{path}: not a cache written by `trade data fetch`; choose another --out")
    if meta["feed"] != feed:
        raise InputError(f"{path}: the cache holds the {meta['feed']} feed, not {feed}; use --feed {meta['feed']}")
    covered = {s: (date.fromisoformat(a), date.fromisoformat(b)) for s, (a, b) in meta["covered"].items()}
    return Cache(table.to_pandas(), covered, feed)


def write_cache(path: Path, cache: Cache) -> None:
    frame = cache.frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    table = pa.Table.from_pandas(frame[COLUMNS], preserve_index=False)
    meta = {"feed": cache.feed, "covered": {s: [a.isoformat(), b.isoformat()] for s, (a, b) in cache.covered.items()}}
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


def chunks(symbols: list[str], start: date, end: date) -> list[list[str]]:
    """Symbols in groups whose bars over [start, end] fit one page."""
    sessions = max(1, int(np.busday_count(start, end + timedelta(days=1))))
    size = max(1, PAGE_BARS // sessions)
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


__all__ = ["Cache", "chunks", "fetch", "missing_ranges", "read_cache", "write_cache"]
