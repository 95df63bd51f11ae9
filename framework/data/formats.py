"""Files people have, read into one long table: one row per (date, symbol).

Layouts: long (a date and a symbol column), yfinance's stacked download (``Date, Ticker, ...``,
in Parquet the two as index columns) and its wide download (a two-level header: field and
ticker, either order). Headers are matched ignoring case, spaces, dashes and dots, through
:data:`ALIASES`. Each row keeps a number that means something for its format: the line of a
CSV file (header = line 1; the date line of a wide file), the 1-based row of a Parquet table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from framework.errors import DataError

#: canonical column -> the headers accepted for it (after lower-casing, spaces/dashes/dots → _).
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "datetime", "timestamp", "time", "day", "t"),
    "symbol": ("symbol", "ticker", "sym", "code"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "last"),
    "volume": ("volume", "vol", "v"),
    "adj_close": ("adj_close", "adjclose", "adjusted_close", "adj"),
    "dividend": ("dividend", "dividends", "cash_dividend", "div"),
    "split_ratio": ("split_ratio", "stock_splits", "splits", "split", "split_factor"),
}
_CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
REQUIRED = ("date", "symbol", "open", "high", "low", "close", "volume")
OPTIONAL = ("adj_close", "dividend", "split_ratio")
_OFFSET = re.compile(r"^(?P<wall>.*?)\s*(?P<off>Z|[+-]\d{2}:?\d{2})$")
_PLAIN_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Table:
    """A file's rows in canonical columns (values still as read), each with its row number."""

    frame: pd.DataFrame  # canonical columns present in the file, values as read
    rows: np.ndarray  # the number of each row in its file (int)
    row_word: str  # "line" (CSV) or "row" (Parquet)

    def where(self, position: int) -> str:
        return f"{self.row_word} {int(self.rows[position])}"


def normalise(header: object) -> str:
    return re.sub(r"[\s\-.]+", "_", str(header).strip().lower()).strip("_")


def read_table(path: Path, columns: Mapping[str, str] | None = None) -> Table:
    """Read ``path`` (CSV, CSV.GZ or Parquet) in any supported layout into a :class:`Table`.

    ``columns`` (``data.columns``) maps a file's own headers to canonical names
    (``{"OpenPx": "open"}``) before the aliases are tried; a mapped header the file lacks is
    refused, naming it and the headers the file has."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        frame = _read(path, lambda: pd.read_parquet(path))
        if not isinstance(frame.columns, pd.MultiIndex) and not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()
        return _from_parquet(_mapped(frame, columns or {}, path), path)
    if name.endswith((".csv", ".csv.gz", ".gz")):
        return _from_csv(path, columns or {})
    raise DataError(f"{path}: unsupported file type (use .csv, .csv.gz or .parquet)")


def _mapped(frame: pd.DataFrame, columns: Mapping[str, str], path: Path) -> pd.DataFrame:
    """The file's headers renamed by ``data.columns``: exact header first, then ignoring case,
    spaces, dashes and dots."""
    if not columns:
        return frame
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError(f"{path}: data.columns maps the columns of a long file (date, symbol, fields); "
                        "this one has a two-level (wide) header")
    by_norm = {normalise(c): c for c in frame.columns}
    renamed: dict[object, str] = {}
    for theirs, ours in columns.items():
        found = theirs if theirs in frame.columns else by_norm.get(normalise(theirs))
        if found is None:
            shown = ", ".join(str(c) for c in list(frame.columns)[:12])
            raise DataError(f"{path}: data.columns names {theirs!r}, which the file does not have "
                            f"(its columns: {shown})")
        renamed[found] = ours
    taken = {_CANONICAL.get(normalise(c)) for c in frame.columns if c not in renamed}
    clash = [ours for ours in renamed.values() if ours in taken]
    if clash:
        other = next(c for c in frame.columns if c not in renamed and _CANONICAL.get(normalise(c)) == clash[0])
        raise DataError(f"{path}: data.columns maps a column to {clash[0]}, but the file's {other!r} already "
                        f"means {clash[0]}: map that one instead, or keep one")
    return frame.rename(columns=renamed)


def _read(path: Path, reader):
    try:
        return reader()
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, EOFError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{path}: cannot read: {first}") from None


def _from_csv(path: Path, columns: Mapping[str, str]) -> Table:
    head = _read(path, lambda: pd.read_csv(path, nrows=3, header=None, dtype=str))
    first = [normalise(v) for v in head.iloc[0].tolist()] if len(head) else []
    second = [normalise(v) for v in head.iloc[1].tolist()] if len(head) > 1 else []
    if _wide_header(first, second):
        frame = _read(path, lambda: pd.read_csv(path, header=[0, 1], index_col=0, dtype=str))
        # pandas takes yfinance's third line ("Date,,,") as the index name: data from line 4
        return _from_wide(frame, path, first_line=4 if frame.index.name else 3, word="line")
    # numbers parse in C; a column with junk in it stays text and is checked cell by cell
    frame = _read(path, lambda: pd.read_csv(path, skipinitialspace=True, low_memory=False,
                                                keep_default_na=False, na_values=[""]))
    return _canonical(_mapped(frame, columns, path), np.arange(len(frame)) + 2, "line", path)


def _wide_header(first: list[str], second: list[str]) -> bool:
    """yfinance's wide CSV: a line of fields (or tickers) over a line of tickers (or fields)."""
    if not first or not second:
        return False
    fields = {"open", "high", "low", "close", "volume", "adj_close"}
    return first[0] in ("price", "ticker", "") and (
        len(fields & set(first[1:])) >= 3 or len(fields & set(second[1:])) >= 3
    )


def _from_parquet(frame: pd.DataFrame, path: Path) -> Table:
    if isinstance(frame.columns, pd.MultiIndex):
        return _from_wide(frame, path, first_line=1, word="row")
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # yfinance's stacked Parquet: Date and Ticker in the index
    return _canonical(frame, np.arange(len(frame)) + 1, "row", path)


def _from_wide(frame: pd.DataFrame, path: Path, *, first_line: int, word: str) -> Table:
    """A two-level header (field, ticker) or (ticker, field) stacked into long rows."""
    levels = [[normalise(v) for v in frame.columns.get_level_values(i)] for i in range(2)]
    known = set(_CANONICAL)
    field_level = 0 if sum(v in known for v in levels[0]) >= sum(v in known for v in levels[1]) else 1
    dates = pd.Series(frame.index.astype(str), dtype=str)
    keep = ~dates.str.strip().str.lower().isin(["date", "", "nan", "none"])
    frame, dates = frame.loc[keep.to_numpy()], dates[keep]
    lines = np.flatnonzero(keep.to_numpy()) + first_line
    pieces = []
    for ticker in dict.fromkeys(frame.columns.get_level_values(1 - field_level)):
        part = frame.xs(ticker, axis=1, level=1 - field_level)
        part = part.rename(columns=lambda c: _CANONICAL.get(normalise(c), normalise(c)))
        part = part.loc[:, ~part.columns.duplicated()]
        values = part.reset_index(drop=True)
        values.insert(0, "symbol", str(ticker))
        values.insert(0, "date", dates.to_numpy())
        values["__row"] = lines
        values = values.dropna(how="all", subset=[c for c in values.columns if c in REQUIRED[2:]])
        pieces.append(values)
    if not pieces:
        raise DataError(f"{path}: no rows")
    long = pd.concat(pieces, ignore_index=True)
    rows = long.pop("__row").to_numpy()
    return _canonical(long, rows, word, path)


def _canonical(frame: pd.DataFrame, rows: np.ndarray, word: str, path: Path) -> Table:
    renamed: dict[str, str] = {}
    for column in frame.columns:
        canon = _CANONICAL.get(normalise(column))
        if canon is None:
            continue
        if canon in renamed.values():
            other = next(k for k, v in renamed.items() if v == canon)
            raise DataError(f"{path}: columns {other!r} and {column!r} both mean {canon}: keep one")
        renamed[column] = canon
    frame = frame.rename(columns=renamed)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        hint = _hint(missing, list(frame.columns))
        raise DataError(f"{path}: missing column(s): {', '.join(missing)}{hint}")
    if frame.empty:
        raise DataError(f"{path}: no rows")
    kept = [c for c in (*REQUIRED, *OPTIONAL) if c in frame.columns]
    return Table(frame[kept].reset_index(drop=True), np.asarray(rows, dtype=np.int64), word)


def _hint(missing: list[str], present: list[object]) -> str:
    if missing == ["symbol"]:
        return (" (a one-ticker download has none: add a Symbol column; other headers map with "
                "data.columns: {YourHeader: symbol})")
    return (f" (found {', '.join(str(c) for c in present[:10])}; map yours with data.columns, e.g. "
            f"{{{present[0] if present else 'OpenPx'}: {missing[0]}}}, or see the accepted headers in docs/data.md)")


# -- dates -------------------------------------------------------------------------------------


def session_dates(values: pd.Series, tz: ZoneInfo) -> pd.Series:
    """The session date of each value (NaT where unparsable).

    A stamp at midnight in its own zone names its day (vendors stamp a daily bar at midnight of
    the session date, in New York, UTC or their own zone); any other aware stamp is converted
    to the exchange's zone ``tz`` and its local date taken (a close stamped 21:00Z is that New
    York day, never the next UTC one). Naive stamps are the exchange's local time. Mixed zones
    in one column are fine.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return _from_datetimes(values, tz)
    text = values.astype("string").str.strip().fillna("")
    if text.str.fullmatch(_PLAIN_DAY).all():
        return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    parts = text.str.extract(_OFFSET)
    aware = parts["off"].notna().to_numpy(dtype=bool)
    wall_text = parts["wall"].where(aware, text).astype(object)
    wall = pd.to_datetime(pd.Series(wall_text).replace("", None), errors="coerce", format="mixed")
    shift = pd.to_timedelta(_offset_minutes(parts["off"].fillna("").astype(str).to_numpy()), unit="m")
    utc = (wall - shift).dt.tz_localize("UTC")
    local = utc.dt.tz_convert(tz).dt.tz_localize(None)
    midnight = (wall == wall.dt.normalize()).to_numpy()
    chosen = wall.where(~aware | midnight, local)
    return chosen.dt.normalize()


def _offset_minutes(off: np.ndarray) -> np.ndarray:
    """Minutes east of UTC of ``Z``, ``+05:30``, ``-0400``; 0 where there is no offset."""
    out = np.zeros(len(off))
    for i, text in enumerate(off):
        if text and text != "Z":
            digits = text.replace(":", "")
            out[i] = (-1 if digits[0] == "-" else 1) * (int(digits[1:3]) * 60 + int(digits[3:5]))
    return out


def _from_datetimes(values: pd.Series, tz: ZoneInfo) -> pd.Series:
    if getattr(values.dt, "tz", None) is None:
        return values.dt.normalize().astype("datetime64[ns]")
    wall = values.dt.tz_localize(None)
    local = values.dt.tz_convert(tz).dt.tz_localize(None)
    return wall.where(wall == wall.dt.normalize(), local).dt.normalize().astype("datetime64[ns]")


__all__ = ["ALIASES", "OPTIONAL", "REQUIRED", "Table", "normalise", "read_table", "session_dates"]
