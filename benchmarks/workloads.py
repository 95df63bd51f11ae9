"""The benchmark's market data: the embedded sample, a version of it with late listings and
delistings, and a wide one (~480 symbols) made of renamed copies with perturbed prices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.data import FIELDS, MarketData

PRICE_FIELDS = ("open", "high", "low", "close")


def _frames(market: MarketData) -> dict[str, pd.DataFrame]:
    frames = {f: getattr(market, f) for f in FIELDS}
    for extra in ("dividends", "splits"):
        frames[extra] = getattr(market, extra)
    return frames


def _build(market: MarketData, frames: dict[str, pd.DataFrame], sectors: pd.Series, tag: str) -> MarketData:
    return MarketData(
        **frames, sectors=sectors, source=f"{market.source}+{tag}", fingerprint=f"{tag}-{market.fingerprint}"[:64],
        view=market.view, basis=market.basis,
    )


def with_listings(market: MarketData, late: int = 6, early: int = 6) -> MarketData:
    """``late`` symbols start trading only part-way through, ``early`` stop trading before the end
    (a delisting: no bars after their last session). Spread over the sample, deterministic."""
    frames = _frames(market)
    dates = market.dates
    symbols = market.symbols
    n = len(dates)
    for i, symbol in enumerate(symbols[:late]):
        first = dates[int(n * (0.25 + 0.5 * i / max(late, 1)))]
        for name in FIELDS:
            frames[name].loc[frames[name].index < first, symbol] = np.nan
    for i, symbol in enumerate(symbols[late : late + early]):
        last = dates[int(n * (0.3 + 0.6 * i / max(early, 1)))]
        for name in FIELDS:
            frames[name].loc[frames[name].index > last, symbol] = np.nan
    return _build(market, frames, market.sectors, "listings")


def widened(market: MarketData, copies: int = 11, seed: int = 20) -> MarketData:
    """``copies`` × the symbols: copy 0 is the data itself, copy k renames each symbol ``SYMkk``
    and multiplies its prices by a slow random walk of its own (the bar's shape, the splits and
    the volume stay). 44 symbols × 11 = 484."""
    rng = np.random.default_rng(seed)
    base = _frames(market)
    parts: dict[str, list[pd.DataFrame]] = {name: [frame] for name, frame in base.items()}
    sectors = [market.sectors]
    for k in range(1, copies):
        rename = {s: f"{s}{k:02d}" for s in market.symbols}
        walk = np.exp(np.cumsum(rng.normal(0.0, 0.004, size=(len(market.dates), len(market.symbols))), axis=0))
        for name, frame in base.items():
            values = frame * walk if name in PRICE_FIELDS else frame
            parts[name].append(values.rename(columns=rename))
        sectors.append(market.sectors.rename(index=rename))
    frames = {name: pd.concat(p, axis=1) for name, p in parts.items()}
    return _build(market, frames, pd.concat(sectors), f"wide{copies}")


def market_scale(market: MarketData, symbols: int, seed: int = 31, turnover: float = 0.1) -> MarketData:
    """A whole market of ``symbols`` symbols made from the embedded data (about 5,000 for the
    scale benchmark): :func:`widened` copies, the first ``symbols`` kept, then a share
    ``turnover`` of them listed part-way through and as many delisted early (both vectorised:
    a wide frame is written once per field, not once per symbol). Deterministic for a seed."""
    copies = -(-symbols // len(market.symbols))
    wide = widened(market, copies=copies, seed=seed) if copies > 1 else market
    wide = wide.select(wide.symbols[:symbols])
    n_dates, n_symbols = len(wide.dates), len(wide.symbols)
    rng = np.random.default_rng(seed)
    moved = rng.permutation(n_symbols)
    late, early = np.array_split(moved[: 2 * int(n_symbols * turnover)], 2)
    keep = np.ones((n_dates, n_symbols), dtype=bool)
    rows = np.arange(n_dates)[:, None]
    first = rng.integers(int(n_dates * 0.1), int(n_dates * 0.9), size=len(late))
    last = rng.integers(int(n_dates * 0.2), int(n_dates * 0.9), size=len(early))
    keep[:, late] &= rows >= first
    keep[:, early] &= rows <= last
    frames = _frames(wide)
    for name in (*FIELDS, "dividends", "splits"):
        frames[name] = frames[name].where(keep)
    return _build(wide, frames, wide.sectors, f"scale{symbols}")


def to_long(market: MarketData) -> pd.DataFrame:
    """The long table a user's file holds (``date, symbol, OHLCV, dividend, split_ratio``): one
    row per traded bar, the actions on their ex-dates."""
    long = market.to_long()
    long = long[long["close"].notna()].reset_index(drop=True)  # stack keeps NaN on recent pandas
    traded = long.set_index(["date", "symbol"]).index
    for column, frame in (("dividend", market.dividends), ("split_ratio", market.splits)):
        long[column] = frame.stack(future_stack=True).reindex(traded).to_numpy()
    return long
