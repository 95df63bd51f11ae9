"""Market data: the embedded dataset or a user's file, validated, as wide date × symbol frames.

Symbols may start late or stop early (listings, delistings): a symbol's cells are NaN on
dates it did not trade, and nothing downstream may assume a rectangular panel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from framework.config.data import DataConfig
from framework.errors import DataError, InputError

REQUIRED_COLUMNS = ("date", "symbol", "open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close")
FIELDS = ("open", "high", "low", "close", "volume")
EMBEDDED = "embedded:us_equities_daily"
NEW_YORK = ZoneInfo("America/New_York")


def session_time(date: pd.Timestamp | datetime) -> datetime:
    """The aware UTC timestamp of a daily bar: New York midnight, as Alpaca stamps it."""
    day = pd.Timestamp(date).date()
    return _midnight_new_york(day.year, day.month, day.day)


@lru_cache(maxsize=16384)
def _midnight_new_york(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=NEW_YORK).astimezone(UTC)


@dataclass(frozen=True)
class MarketData:
    """Daily OHLCV as wide frames (index: session dates, columns: symbols) plus sectors."""

    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame
    sectors: pd.Series
    source: str = EMBEDDED
    fingerprint: str = ""

    @property
    def symbols(self) -> list[str]:
        return list(self.close.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.close.index)

    def _map(self, pick) -> MarketData:
        frames = {f: pick(getattr(self, f)) for f in FIELDS}
        return replace(self, **frames)

    def truncate(self, end: pd.Timestamp | str) -> MarketData:
        """History up to and including ``end``: what a causal strategy may see at ``end``."""
        return self._map(lambda f: f.loc[: pd.Timestamp(end)])

    def between(self, start: pd.Timestamp | str | None, end: pd.Timestamp | str | None) -> MarketData:
        start_ts = pd.Timestamp(start) if start is not None else None
        end_ts = pd.Timestamp(end) if end is not None else None
        if start_ts is not None and end_ts is not None and end_ts < start_ts:
            raise InputError(f"end {end_ts.date()} is before start {start_ts.date()}")
        sliced = self._map(lambda f: f.loc[start_ts:end_ts])
        if sliced.close.empty:
            raise InputError(
                f"no data between {start or 'the beginning'} and {end or 'the end'} "
                f"(data covers {self.dates[0].date()} to {self.dates[-1].date()})"
            )
        return sliced

    def select(self, symbols: list[str] | tuple[str, ...]) -> MarketData:
        wanted = [s.strip().upper() for s in symbols]
        unknown = [s for s in wanted if s not in self.close.columns]
        if unknown:
            raise InputError(f"unknown symbol(s) {', '.join(unknown)} in {self.source}")
        picked = self._map(lambda f: f[wanted])
        return replace(picked, sectors=self.sectors.reindex(wanted).dropna())

    def last_valid_dates(self) -> pd.Series:
        """Each symbol's last traded date (a delisting shows as a date before the end)."""
        return self.close.apply(lambda col: col.last_valid_index())

    def to_long(self) -> pd.DataFrame:
        frames = {f: getattr(self, f).stack() for f in FIELDS}
        long = pd.DataFrame(frames)
        long.index.names = ["date", "symbol"]
        return long.reset_index()


# -- loading ---------------------------------------------------------------------------------


def _embedded_dir() -> Path:
    return Path(str(resources.files("framework.datasets") / "us_equities_daily"))


def embedded_paths() -> tuple[Path, Path]:
    root = _embedded_dir()
    return root / "prices.csv.gz", root / "sectors.csv"


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    name = path.name.lower()
    try:
        if name.endswith(".parquet") or name.endswith(".pq"):
            return pd.read_parquet(path)
        if name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".gz"):
            return pd.read_csv(path, dtype={"symbol": "string"}, skipinitialspace=True)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{path}: cannot read: {first}") from None
    raise DataError(f"{path}: unsupported file type (use .csv, .csv.gz or .parquet)")


def _row(frame: pd.DataFrame, mask: np.ndarray | pd.Series) -> tuple[int, pd.Series]:
    """File line number (header is line 1) and content of the first row where mask holds."""
    position = int(np.flatnonzero(np.asarray(mask))[0])
    return position + 2, frame.iloc[position]


def _validate_prices(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s): {', '.join(missing)}")
    if raw.empty:
        raise DataError(f"{path}: no rows")
    columns = [*REQUIRED_COLUMNS, *(["adj_close"] if "adj_close" in raw.columns else [])]
    df = raw[columns].copy()
    symbol = df["symbol"].astype("string").str.strip().str.upper()
    if symbol.isna().any() or (symbol == "").any():
        line, _ = _row(df, symbol.isna() | (symbol == ""))
        raise DataError(f"{path}: row {line}: empty symbol")
    df["symbol"] = symbol.astype(str)
    dates = pd.to_datetime(df["date"].astype(str), errors="coerce", format="mixed")
    if dates.isna().any():
        line, row = _row(df, dates.isna())
        raise DataError(f"{path}: row {line}: unparsable date {row['date']!r}")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    df["date"] = dates.dt.normalize()
    for column in columns[2:]:
        numeric = pd.to_numeric(df[column], errors="coerce")
        bad = numeric.isna() | ~np.isfinite(numeric.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            line, row = _row(df, bad)
            raise DataError(
                f"{path}: row {line} ({row['symbol']}): {column} is not a number: {row[column]!r}"
            )
        df[column] = numeric.astype(float)
    _check_values(df, path)
    return df


def _check_values(df: pd.DataFrame, path: Path) -> None:
    where = lambda r: f"{r['symbol']} {pd.Timestamp(r['date']).date()}"  # noqa: E731
    dup = df.duplicated(["date", "symbol"], keep="first")
    if dup.any():
        line, row = _row(df, dup)
        raise DataError(f"{path}: row {line}: duplicate row for {where(row)}")
    for column in (*PRICE_COLUMNS, *(["adj_close"] if "adj_close" in df else [])):
        bad = df[column] <= 0
        if bad.any():
            line, row = _row(df, bad)
            raise DataError(f"{path}: row {line} ({where(row)}): {column} must be > 0, got {row[column]}")
    bad = df["high"] < df["low"]
    if bad.any():
        line, row = _row(df, bad)
        raise DataError(f"{path}: row {line} ({where(row)}): high {row['high']} < low {row['low']}")
    bad = df["volume"] < 0
    if bad.any():
        line, row = _row(df, bad)
        raise DataError(f"{path}: row {line} ({where(row)}): negative volume {row['volume']}")


def _adjust(df: pd.DataFrame) -> pd.DataFrame:
    """Split/dividend-adjust O/H/L/C by adj_close/close; volume inversely (constant $ volume)."""
    factor = df["adj_close"] / df["close"]
    out = df.copy()
    for column in PRICE_COLUMNS:
        out[column] = df[column] * factor
    out["volume"] = df["volume"] / factor
    return out


def load_sectors(path: Path) -> pd.Series:
    raw = _read_table(path).rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ("symbol", "sector") if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s): {', '.join(missing)}")
    symbols = raw["symbol"].astype("string").str.strip().str.upper()
    empty = symbols.isna() | (symbols == "") | raw["sector"].isna()
    if empty.any():
        line, _ = _row(raw, empty)
        raise DataError(f"{path}: row {line}: empty symbol or sector")
    dup = symbols.duplicated()
    if dup.any():
        line, _ = _row(raw, dup)
        raise DataError(f"{path}: row {line}: duplicate symbol {symbols[dup].iloc[0]}")
    return pd.Series(raw["sector"].astype(str).str.strip().to_numpy(), index=symbols.astype(str), name="sector")


def _fingerprint(long: pd.DataFrame, adjusted: bool) -> str:
    hashed = pd.util.hash_pandas_object(long, index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update(b"adjusted" if adjusted else b"raw")
    return digest.hexdigest()[:16]


def load_market_data(
    prices: Path | str | None = None,
    sectors: Path | str | None = None,
    *,
    adjust: bool = True,
) -> MarketData:
    """Load and validate prices (default: the embedded dataset) into :class:`MarketData`."""
    if prices is None:
        price_path, default_sectors = embedded_paths()
        sectors = default_sectors if sectors is None else sectors
        source = EMBEDDED
    else:
        price_path = Path(prices).expanduser()
        source = str(price_path)
    long = _validate_prices(_read_table(price_path), price_path)
    adjusted = adjust and "adj_close" in long.columns
    if adjusted:
        long = _adjust(long)
    long = long.sort_values(["date", "symbol"], kind="stable")
    frames = {f: long.pivot(index="date", columns="symbol", values=f) for f in FIELDS}
    for frame in frames.values():
        frame.columns.name = None
        frame.index.name = "date"
    sector_map = load_sectors(Path(sectors).expanduser()) if sectors is not None else pd.Series(
        dtype=str, name="sector"
    )
    sector_map = sector_map.reindex([s for s in frames["close"].columns if s in sector_map.index])
    return MarketData(
        **frames,
        sectors=sector_map,
        source=source,
        fingerprint=_fingerprint(long[list(REQUIRED_COLUMNS)], adjusted),
    )


def load_configured(cfg: DataConfig) -> MarketData:
    """The market data a :class:`~framework.config.DataConfig` names, symbols selected."""
    market = load_market_data(cfg.prices, cfg.sectors, adjust=cfg.adjust)
    return market.select(cfg.symbols) if cfg.symbols else market
