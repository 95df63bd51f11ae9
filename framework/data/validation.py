"""One pass over a price table that finds every problem (see :class:`ProblemKind`).

Each check is vectorised over the whole table and returns :class:`Finding`s: the kind, the
rows (positions in the table) and how to word one of them. Nothing here drops, repairs or
refuses: :mod:`framework.data.repair` applies ``data.on_problem`` to the findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from framework.data.formats import OPTIONAL, Table, session_dates
from framework.data.problems import EXAMPLES, Example, Problem, ProblemKind
from framework.data.sessions import calendar_timezone, holidays_and_weekends, sessions

NUMERIC = ("open", "high", "low", "close", "volume")
_MISSING_TEXT = {"", "nan", "na", "n/a", "null", "none", "<na>"}
#: Robust volatility floor for the spike check: a flat series is no licence for false alarms.
MIN_SIGMA = 0.005


@dataclass(frozen=True)
class Thresholds:
    """The checks' limits, from ``data.*`` (:class:`framework.config.data.DataConfig` holds their
    one definition and default: ``framework.data.loading.thresholds``)."""

    calendar: str
    spike_threshold: float
    zero_volume_sessions: int
    stale_sessions: int


@dataclass
class Finding:
    """Rows of one kind of problem and how to word one of them (by table position)."""

    kind: ProblemKind
    rows: np.ndarray
    word: Callable[[int], str]
    cells: pd.DataFrame | None = None  # missing sessions: (symbol, date) cells, no rows
    count: int | None = None


@dataclass
class Parsed:
    """The table with typed columns; ``ok`` marks rows whose every value parsed."""

    table: Table
    frame: pd.DataFrame  # date (datetime64, NaT if bad), symbol (str), numeric columns (float)
    ok: np.ndarray
    sessions: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))


def fmt(value: float) -> str:
    return f"{value:g}"


def parse(table: Table, thresholds: Thresholds) -> tuple[Parsed, list[Finding]]:
    raw = table.frame
    findings: list[Finding] = []
    symbol = _symbols(raw["symbol"])
    no_symbol = (symbol.isna() | (symbol == "")).to_numpy()
    if no_symbol.any():
        findings.append(Finding(ProblemKind.EMPTY_SYMBOL, np.flatnonzero(no_symbol), lambda i: "symbol is empty"))
    dates = session_dates(raw["date"], calendar_timezone(thresholds.calendar))
    bad_date = dates.isna().to_numpy()
    if bad_date.any():
        text = raw["date"]
        findings.append(Finding(ProblemKind.BAD_DATE, np.flatnonzero(bad_date),
                                lambda i: f"date {str(text.iloc[i])!r} is not a date"))
    names = symbol.fillna("")
    columns: dict[str, object] = {"date": dates.to_numpy(dtype="datetime64[ns]"), "symbol": names,
                                  "code": pd.factorize(names)[0]}  # integer symbol: fast sorts and groups
    ok = ~(no_symbol | bad_date)
    for column in (*NUMERIC, *(c for c in OPTIONAL if c in raw.columns)):
        values, missing, junk = _numbers(raw[column])
        columns[column] = values
        if column in NUMERIC or column == "adj_close":
            if missing.any():
                findings.append(Finding(ProblemKind.MISSING_VALUE, np.flatnonzero(missing),
                                        lambda i, c=column: f"{c} is missing (NaN)"))
            ok &= ~missing
        if junk.any():
            source = raw[column]
            findings.append(Finding(ProblemKind.NOT_A_NUMBER, np.flatnonzero(junk),
                                    lambda i, c=column, s=source: f"{c} is not a number: {str(s.iloc[i])!r}"))
            ok &= ~junk
    # one frame over the columns as made: a float column of the file is shared, not copied (a
    # whole market's file is millions of rows; nothing writes to either frame)
    frame = pd.DataFrame(columns, copy=False)
    # the file's rows are numbered by ``table``; its values are not kept beside the parsed ones
    # (a problem's wording holds the column it quotes)
    return Parsed(replace(table, frame=raw.iloc[:0]), frame, ok), findings


def _symbols(column: pd.Series) -> pd.Series:
    """Symbols stripped and upper-cased, each distinct one once: a whole market's file repeats
    a few thousand symbols millions of times, and a string per row would cost ~60 bytes each."""
    codes, uniques = pd.factorize(column.astype("string"), use_na_sentinel=True)
    names = pd.Series(uniques, dtype="string").str.strip().str.upper().array
    return pd.Series(names.take(codes, allow_fill=True), index=column.index, dtype="string")


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values as floats, and masks of missing cells and of cells that are not numbers."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        return values, missing, np.isinf(values)
    text = column.astype("string").str.strip()
    missing = (text.isna() | text.str.lower().isin(_MISSING_TEXT)).to_numpy()
    values = pd.to_numeric(text.where(~pd.Series(missing, index=text.index)), errors="coerce")
    values = values.to_numpy(dtype=float, na_value=np.nan)
    junk = ~missing & ~np.isfinite(values)
    return values, missing, junk


def check_values(parsed: Parsed) -> list[Finding]:
    """Duplicates, non-positive prices, negative volume, high < low, open/close outside the range."""
    f, ok = parsed.frame, parsed.ok
    rows = parsed.table.rows
    out: list[Finding] = []
    dup = np.zeros(len(f), bool)
    dup[ok] = f.loc[ok, ["date", "code"]].duplicated(keep="first").to_numpy()  # code: the symbol as an integer
    if dup.any():
        firsts = f.loc[ok].drop_duplicates(["date", "symbol"]).reset_index()
        first_row = dict(zip(zip(firsts["date"], firsts["symbol"], strict=True), firsts["index"], strict=True))
        unit = parsed.table.row_word
        out.append(Finding(ProblemKind.DUPLICATE, np.flatnonzero(dup), lambda i: (
            f"duplicate of {unit} {rows[first_row[(f['date'].iloc[i], f['symbol'].iloc[i])]]}")))
    prices = [c for c in ("open", "high", "low", "close", "adj_close") if c in f.columns]
    values = {c: f[c].to_numpy() for c in (*prices, "volume")}
    for column in prices:
        bad = ok & (values[column] <= 0)
        if bad.any():
            out.append(Finding(ProblemKind.NON_POSITIVE, np.flatnonzero(bad),
                               lambda i, c=column: f"{c} must be > 0, got {fmt(values[c][i])}"))
    bad = ok & (values["volume"] < 0)
    if bad.any():
        out.append(Finding(ProblemKind.NEGATIVE_VOLUME, np.flatnonzero(bad),
                           lambda i: f"negative volume {fmt(values['volume'][i])}"))
    high, low = values["high"], values["low"]
    inverted = ok & (high < low)
    if inverted.any():
        out.append(Finding(ProblemKind.HIGH_BELOW_LOW, np.flatnonzero(inverted),
                           lambda i: f"high {fmt(high[i])} < low {fmt(low[i])}"))
    positive = np.logical_and.reduce([values[c] > 0 for c in prices])
    outside = np.zeros(len(f), bool)
    for column in ("open", "close"):
        outside |= ok & positive & ~inverted & ((values[column] > high) | (values[column] < low))
    if outside.any():
        out.append(Finding(ProblemKind.OUTSIDE_RANGE, np.flatnonzero(outside), lambda i: _outside(values, i)))
    for column, rule in (("dividend", "dividend must be >= 0"), ("split_ratio", "split_ratio must be > 0")):
        if column in f.columns:
            v = f[column].to_numpy()
            bad = (v < 0) if column == "dividend" else (v <= 0) & (v != 0)
            bad = ok & bad
            if bad.any():
                out.append(Finding(ProblemKind.BAD_ACTION, np.flatnonzero(bad),
                                   lambda i, w=rule, v=v: f"{w}, got {fmt(v[i])}"))
    return out


def _outside(values: dict[str, np.ndarray], i: int) -> str:
    for column in ("close", "open"):
        if values[column][i] > values["high"][i]:
            return f"{column} {fmt(values[column][i])} > high {fmt(values['high'][i])}"
        if values[column][i] < values["low"][i]:
            return f"{column} {fmt(values[column][i])} < low {fmt(values['low'][i])}"
    return "open/close outside [low, high]"


def check_calendar(parsed: Parsed, thresholds: Thresholds) -> list[Finding]:
    """Rows on dates that are not sessions of the exchange (weekends, holidays)."""
    f = parsed.frame
    dated = ~np.isnat(f["date"].to_numpy())
    if not dated.any():
        return []
    first, last = f["date"][dated].min(), f["date"][dated].max()
    parsed.sessions = sessions(thresholds.calendar, first, last)
    extra = dated & ~f["date"].isin(parsed.sessions).to_numpy()
    if not extra.any():
        return []
    days = pd.DatetimeIndex(f["date"].to_numpy()[extra])
    why = dict(zip(np.flatnonzero(extra), holidays_and_weekends(days), strict=True))
    name = thresholds.calendar
    return [Finding(ProblemKind.EXTRA_SESSION, np.flatnonzero(extra),
                    lambda i: f"{f['date'].iloc[i].date()} is {why[i]}, not an {name} session")]


def clean_order(parsed: Parsed, excluded: np.ndarray) -> np.ndarray:
    """Positions of usable rows, sorted by symbol then date."""
    usable = np.flatnonzero(parsed.ok & ~excluded)
    f = parsed.frame
    order = np.lexsort((f["date"].to_numpy()[usable], f["code"].to_numpy()[usable]))
    return usable[order]


def _firsts(symbols: np.ndarray) -> np.ndarray:
    first = np.ones(len(symbols), bool)
    first[1:] = symbols[1:] != symbols[:-1]
    return first


def check_spikes(parsed: Parsed, order: np.ndarray, thresholds: Thresholds) -> list[Finding]:
    """A close that jumps beyond ``spike_threshold`` robust deviations and reverts the next bar."""
    f = parsed.frame
    symbols = f["code"].to_numpy()[order]
    close = f["close"].to_numpy()[order]
    first = _firsts(symbols)
    lr = np.full(len(close), np.nan)
    lr[1:] = np.log(close[1:] / close[:-1])
    lr[first] = np.nan
    nxt = np.full(len(close), np.nan)
    nxt[:-1] = lr[1:]
    groups = pd.Series(lr).groupby(symbols)
    centre = groups.transform("median").to_numpy()
    mad = pd.Series(np.abs(lr - centre)).groupby(symbols).transform("median").to_numpy()
    sigma = np.maximum(1.4826 * mad, MIN_SIGMA)
    with np.errstate(invalid="ignore"):
        big = np.abs(lr - centre) > thresholds.spike_threshold * sigma
        reverts = np.abs(lr + nxt) <= 0.25 * np.abs(lr)
    spike = big & reverts
    if not spike.any():
        return []
    where = order[spike]
    before = dict(zip(where, close[np.flatnonzero(spike) - 1], strict=True))
    return [Finding(ProblemKind.SPIKE, where, lambda i: (
        f"close {fmt(f['close'].iloc[i])} is {f['close'].iloc[i] / before[i]:.3g}× the previous "
        f"close {fmt(before[i])} and reverts the next session"))]


def _runs(flag: np.ndarray, symbols: np.ndarray, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of runs of True at least ``minimum`` long, within each symbol."""
    starts = flag & (np.r_[True, ~flag[:-1]] | _firsts(symbols))
    run_id = np.cumsum(starts)
    lengths = np.bincount(run_id[flag], minlength=run_id.max() + 1 if len(run_id) else 1)
    start_idx = np.flatnonzero(starts)
    length = lengths[run_id[start_idx]]
    keep = length >= minimum
    return start_idx[keep], length[keep]


def check_runs(parsed: Parsed, order: np.ndarray, thresholds: Thresholds) -> list[Finding]:
    """Zero-volume runs and stale closes (unchanged for many sessions)."""
    f = parsed.frame
    symbols = f["code"].to_numpy()[order]
    dates = f["date"].to_numpy()[order]
    out: list[Finding] = []
    volume = f["volume"].to_numpy()[order]
    starts, lengths = _runs(volume == 0, symbols, thresholds.zero_volume_sessions)
    if len(starts):
        quiet = {int(order[s]): (n, dates[s + n - 1]) for s, n in zip(starts, lengths, strict=True)}
        out.append(Finding(ProblemKind.ZERO_VOLUME, order[starts], lambda i: (
            f"volume 0 for {quiet[i][0]} sessions, to {pd.Timestamp(quiet[i][1]).date()}")))
    close = f["close"].to_numpy()[order]
    same = np.r_[False, close[1:] == close[:-1]] & ~_firsts(symbols)
    # a run of k unchanged closes after a bar: the close stood for k + 1 sessions
    starts, lengths = _runs(same, symbols, max(thresholds.stale_sessions - 1, 1))
    if len(starts):
        stood = {int(order[s - 1]): (n + 1, dates[s + n - 1]) for s, n in zip(starts, lengths, strict=True)}
        out.append(Finding(ProblemKind.STALE_PRICE, order[starts - 1], lambda i: (
            f"close unchanged at {fmt(f['close'].iloc[i])} for {stood[i][0]} sessions, "
            f"to {pd.Timestamp(stood[i][1]).date()}")))
    return out


def missing_cells(frame: pd.DataFrame, calendar: pd.DatetimeIndex) -> pd.DataFrame:
    """(symbol, date) sessions inside each symbol's first..last date that have no row."""
    if frame.empty or calendar.empty:
        return pd.DataFrame({"symbol": [], "date": pd.DatetimeIndex([])})
    pos = calendar.searchsorted(frame["date"].to_numpy())
    codes, names = pd.factorize(frame["symbol"])
    grouped = pd.DataFrame({"code": codes, "pos": pos}).groupby("code")["pos"]
    span = grouped.agg(["min", "max", "nunique"])
    gaps = span[span["max"] - span["min"] + 1 > span["nunique"]]
    cells = []
    for code, (lo, hi, _) in gaps.iterrows():
        symbol = names[code]
        have = np.unique(pos[codes == code])
        lacking = np.setdiff1d(np.arange(lo, hi + 1), have)
        cells.append(pd.DataFrame({"symbol": symbol, "date": calendar[lacking]}))
    if not cells:
        return pd.DataFrame({"symbol": [], "date": pd.DatetimeIndex([])})
    return pd.concat(cells, ignore_index=True)


def missing_finding(cells: pd.DataFrame) -> list[Finding]:
    if cells.empty:
        return []
    return [Finding(ProblemKind.MISSING_SESSIONS, np.array([], int), lambda i: "", cells=cells, count=len(cells))]


def problems(parsed: Parsed, findings: list[Finding]) -> tuple[Problem, ...]:
    """The report's view of the findings: kind, count and worded examples, in kind order."""
    order = list(ProblemKind)
    out = []
    for finding in sorted(findings, key=lambda x: order.index(x.kind)):
        shown = tuple(examples(parsed, finding))
        items = finding.cells["symbol"].nunique() if finding.cells is not None else _count(finding)
        out.append(Problem(finding.kind, _count(finding), shown, items - len(shown)))
    merged: dict[ProblemKind, Problem] = {}
    for p in out:
        if p.kind in merged:
            m = merged[p.kind]
            both = m.examples + p.examples
            merged[p.kind] = Problem(p.kind, m.count + p.count, both[:EXAMPLES],
                                     m.more + p.more + max(len(both) - EXAMPLES, 0))
        else:
            merged[p.kind] = p
    return tuple(merged.values())


def _count(finding: Finding) -> int:
    return finding.count if finding.count is not None else len(finding.rows)


def examples(parsed: Parsed, finding: Finding) -> list[Example]:
    if finding.cells is not None:
        out = []
        for symbol, dates in finding.cells.groupby("symbol")["date"]:
            shown = ", ".join(str(d.date()) for d in dates.iloc[:3]) + (", ..." if len(dates) > 3 else "")
            out.append(Example("", "", str(symbol), f"{len(dates)} session(s) missing: {shown}"))
            if len(out) == EXAMPLES:
                break
        return out
    f, table = parsed.frame, parsed.table
    rows = np.sort(finding.rows)[:EXAMPLES]
    out = []
    for i in rows:
        date = f["date"].iloc[i]
        out.append(Example(table.where(int(i)), "" if pd.isna(date) else str(pd.Timestamp(date).date()),
                           str(f["symbol"].iloc[i]), finding.word(int(i))))
    return out


__all__ = [
    "Finding",
    "Parsed",
    "Thresholds",
    "check_calendar",
    "check_runs",
    "check_spikes",
    "check_values",
    "clean_order",
    "missing_cells",
    "missing_finding",
    "parse",
    "problems",
]
