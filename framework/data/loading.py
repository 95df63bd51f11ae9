"""Load a price file (default: the embedded dataset) into :class:`MarketData`, checked whole.

read (any layout) → parse → every check → corporate actions → ``data.on_problem`` → wide
frames as traded, actions beside them, and the :class:`DataReport` of what was found and done.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from framework.config.data import DataConfig
from framework.data import actions as ca
from framework.data.formats import Table, read_table
from framework.data.market_data import EMBEDDED, FIELDS, Adjustment, MarketData
from framework.data.problems import DataReport, Example, Policy, ProblemKind, Repair
from framework.data.repair import Decision, decide, row_errors
from framework.data.validation import (
    Finding,
    Parsed,
    Thresholds,
    check_calendar,
    check_runs,
    check_spikes,
    check_values,
    clean_order,
    examples,
    fmt,
    missing_cells,
    missing_finding,
    parse,
    problems,
)
from framework.errors import DataError

#: A given dividend and the one adj_close implies disagree beyond this (dollars, or share of it).
DIVIDEND_TOLERANCE = (0.01, 0.10)


def _embedded_dir() -> Path:
    return Path(str(resources.files("framework.datasets") / "us_equities_daily"))


def embedded_paths() -> tuple[Path, Path]:
    root = _embedded_dir()
    return root / "prices.csv.gz", root / "sectors.csv"


def thresholds(cfg: DataConfig) -> Thresholds:
    return Thresholds(cfg.calendar, cfg.spike_threshold, cfg.zero_volume_sessions, cfg.stale_sessions)


@dataclass
class Examination:
    """Everything one pass found, and the rows a policy keeps."""

    parsed: Parsed
    findings: list[Finding]
    decision: Decision
    order: np.ndarray  # kept rows, sorted by symbol then date
    dividends: np.ndarray  # per kept row (in ``order``), NaN where none
    splits: np.ndarray
    restore: np.ndarray  # per kept row: factor undoing split adjustment already in the prices


def examine(table: Table, cfg: DataConfig, policy: Policy) -> Examination:
    parsed, findings = parse(table, thresholds(cfg))
    return examine_parsed(parsed, findings, cfg, policy)


def examine_parsed(parsed: Parsed, findings: list[Finding], cfg: DataConfig, policy: Policy) -> Examination:
    """Every check after parsing (:func:`examine` without the file: its caller may let it go)."""
    findings = list(findings)
    findings += check_values(parsed)
    findings += check_calendar(parsed, thresholds(cfg))
    size = len(parsed.frame)
    dup_or_extra = row_errors([f for f in findings if f.kind in (ProblemKind.DUPLICATE, ProblemKind.EXTRA_SESSION)],
                              size)
    placed = ~np.isnat(parsed.frame["date"].to_numpy()) & (parsed.frame["symbol"] != "").to_numpy(dtype=bool)
    # the two columns it reads, not a copy of the table (and no str object per row: a whole market has millions)
    findings += missing_finding(missing_cells(parsed.frame.loc[placed & ~dup_or_extra, ["symbol", "date"]],
                                              parsed.sessions))
    clean = clean_order(parsed, row_errors(findings, size))
    findings += check_spikes(parsed, clean, thresholds(cfg))
    findings += check_runs(parsed, clean, thresholds(cfg))
    decision = decide(policy, parsed, findings)
    order = clean_order(parsed, ~decision.keep)
    dividends, splits, restore, action_findings = _actions(parsed, order)
    findings += action_findings
    return Examination(parsed, findings, decision, order, dividends, splits, restore)


def _actions(parsed: Parsed, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Finding]]:
    f = parsed.frame
    symbols = f["code"].to_numpy()[order]
    first = np.ones(len(order), bool)
    first[1:] = symbols[1:] != symbols[:-1]
    close = f["close"].to_numpy()[order]
    none = np.full(len(order), np.nan)
    given_splits = _given(f, "split_ratio", order, blank=(0.0, 1.0))
    given_divs = _given(f, "dividend", order, blank=(0.0,))
    restore = np.ones(len(order))
    if given_splits is not None:
        absorbed = ca.absorbed_splits(close, given_splits, first)
        if absorbed.any():  # else every factor is 1: nothing to undo (a file of raw prices)
            restore = _suffix_product(np.where(absorbed, given_splits, 1.0), symbols)
            close = close * restore
            if given_divs is not None:  # split-adjusted files (Yahoo) split-adjust dividends too
                given_divs = given_divs * restore
    found: list[Finding] = []
    if "adj_close" not in f.columns:
        return _or(given_divs, none), _or(given_splits, none), restore, found
    adj = f["adj_close"].to_numpy()[order]
    derived_divs, derived_splits, rises = ca.derive(close, adj, first)
    if np.isfinite(rises).any():
        at = np.isfinite(rises)
        found.append(Finding(ProblemKind.BAD_ACTION, order[at], _rise_word(order, rises)))
    if given_splits is not None:
        found += _contradictions(order, given_splits, derived_splits, "split_ratio", _split_mismatch)
    if given_divs is not None:
        found += _contradictions(order, given_divs, derived_divs, "dividend", _dividend_mismatch)
    return _or(given_divs, derived_divs), _or(given_splits, derived_splits), restore, found


def _given(f: pd.DataFrame, column: str, order: np.ndarray, blank: tuple[float, ...]) -> np.ndarray | None:
    if column not in f.columns:
        return None
    values = f[column].to_numpy()[order].astype(float, copy=False)  # a new array already: not copied again
    values[np.isin(values, blank)] = np.nan
    return values


def _or(given: np.ndarray | None, derived: np.ndarray) -> np.ndarray:
    return given if given is not None else derived


def _suffix_product(values: np.ndarray, symbols: np.ndarray) -> np.ndarray:
    """Per row: the product of ``values`` on the symbol's later rows."""
    log = np.log(values)
    after = pd.Series(log[::-1]).groupby(symbols[::-1]).cumsum().to_numpy()[::-1] - log
    return np.exp(after, out=after)


def _rise_word(order: np.ndarray, rises: np.ndarray):
    at = {int(order[i]): rises[i] for i in np.flatnonzero(np.isfinite(rises))}
    return lambda i: f"adj_close/close rises {at[i]:.2%} from the previous row without a split"


def _split_mismatch(given: float, derived: float) -> bool:
    if np.isnan(given) or np.isnan(derived):
        return not (np.isnan(given) and np.isnan(derived))
    return abs(np.log(given / derived)) > ca.RATIO_TOLERANCE


def _dividend_mismatch(given: float, derived: float) -> bool:
    g, d = (0.0 if np.isnan(given) else given), (0.0 if np.isnan(derived) else derived)
    absolute, share = DIVIDEND_TOLERANCE
    return abs(g - d) > max(absolute, share * max(g, d))


def _contradictions(order: np.ndarray, given: np.ndarray, derived: np.ndarray, column: str, differs) -> list[Finding]:
    candidates = np.flatnonzero(np.isfinite(given) | np.isfinite(derived))
    bad = [i for i in candidates if differs(given[i], derived[i])]
    if not bad:
        return []
    said = {int(order[i]): (given[i], derived[i]) for i in bad}

    def word(i: int) -> str:
        g, d = said[i]
        g_text = "none" if np.isnan(g) else fmt(round(g, 6))
        d_text = "none" if np.isnan(d) else fmt(round(d, 6))
        return f"{column} says {g_text} but adj_close/close implies {d_text}"

    return [Finding(ProblemKind.CONTRADICTION, order[bad], word)]


# -- building MarketData ------------------------------------------------------------------------


def report_of(exam: Examination, source: str, policy: Policy, repairs: tuple = ()) -> DataReport:
    f = exam.parsed.frame
    return DataReport(source, problems(exam.parsed, exam.findings), repairs, policy,
                      rows=len(f), symbols=int(f.loc[exam.parsed.ok, "symbol"].nunique()))


def build(table: Table, source: str, cfg: DataConfig, sectors: pd.Series) -> MarketData:
    policy = Policy(cfg.on_problem)
    parsed, findings = parse(table, thresholds(cfg))
    del table  # the file's columns, parsed now, are not kept through the checks (a whole market's: 100s of MiB)
    exam = examine_parsed(parsed, findings, cfg, policy)
    del parsed
    report = report_of(exam, source, policy)
    refusing = [p for p in report.errors if policy is Policy.ERROR or p.kind is ProblemKind.CONTRADICTION]
    if refusing:
        raise DataError(DataReport(source, tuple(refusing), (), policy).refusal())
    if exam.order.size == 0:
        raise DataError(f"{source}: no usable rows")
    frames, filled, actions = _wide(exam, policy is Policy.REPAIR)
    repairs = exam.decision.repairs + _ignored_rises(exam) + _fill_repairs(filled)
    report = report_of(exam, source, policy, repairs)
    sector_map = sectors.reindex([s for s in frames["close"].columns if s in sectors.index])
    view = Adjustment.ALL if cfg.adjust else Adjustment.RAW
    return MarketData(**frames, sectors=sector_map, source=source,
                      fingerprint=_fingerprint(frames, actions, filled, view),
                      dividends=actions["dividends"], splits=actions["splits"], filled=filled,
                      view=view, report=report)


def _wide(exam: Examination, fill: bool) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, pd.DataFrame]]:
    """The kept rows as wide frames (dates × symbols, symbols sorted), one field at a time.

    A whole market's file has millions of rows: no copy of the parsed table is made, symbols
    are placed by their integer codes (never a string per row), and each field's long column
    is dropped as soon as its frame is built."""
    f, order = exam.parsed.frame, exam.order

    def restored(c: str) -> np.ndarray:  # the split adjustment a file's prices carried, undone
        values = f[c].to_numpy(dtype=float)[order]  # a new array: undone in place
        if c == "volume":
            values /= exam.restore
        else:
            values *= exam.restore
        return values

    widen = exam.decision.widen[order]
    widened: dict[str, np.ndarray] = {}
    if widen.any():
        ohlc = np.vstack([restored(c) for c in ("open", "high", "low", "close")])
        widened = {"high": ohlc.max(axis=0), "low": ohlc.min(axis=0)}
        del ohlc

    def value(c: str) -> np.ndarray:
        values = restored(c)
        return np.where(widen, widened[c], values) if c in widened else values

    codes, names = pd.factorize(f["symbol"])
    codes = codes[order]
    present = np.unique(codes)
    labels = np.asarray(names, dtype=object)[present]
    by_name = np.argsort(labels)  # the order np.unique gives the names themselves
    position = np.full(len(names), -1)
    position[present[by_name]] = np.arange(len(present))
    symbols = pd.Index(labels[by_name])
    si = position[codes]
    dates = f["date"].to_numpy()[order]
    cells = missing_cells(pd.DataFrame({"symbol": f["symbol"].iloc[order].reset_index(drop=True), "date": dates}),
                          exam.parsed.sessions) if fill else None
    all_dates = pd.DatetimeIndex(np.unique(np.concatenate([dates, cells["date"].to_numpy()]) if cells is not None
                                           and len(cells) else dates), name="date")
    # each kept row's cell in a column-major (dates × symbols) grid: one flat index for every field
    cell = si * len(all_dates) + all_dates.get_indexer(dates)
    del dates, si

    def grid(column: np.ndarray) -> pd.DataFrame:
        out = np.full((len(all_dates), len(symbols)), np.nan, order="F")  # pandas' own layout: not copied
        out.reshape(-1, order="F")[cell] = column  # a view of ``out`` (Fortran order)
        return pd.DataFrame(out, index=all_dates, columns=list(symbols), copy=False)

    frames = {c: grid(value(c)) for c in FIELDS}
    actions = {"dividends": grid(exam.dividends), "splits": grid(exam.splits)}
    mask = np.zeros((len(all_dates), len(symbols)), bool)
    if cells is not None and len(cells):
        mask[all_dates.get_indexer(cells["date"].to_numpy()), symbols.get_indexer(cells["symbol"].to_numpy())] = True
    filled = pd.DataFrame(mask, index=all_dates, columns=list(symbols))
    return frames, filled, actions


def _ignored_rises(exam: Examination) -> tuple[Repair, ...]:
    """A factor rise derives no action: under drop and repair the rows stay, the rise is ignored."""
    kept = exam.decision.keep  # a negative dividend's row was dropped; a rise's rows stay
    found = [f for f in exam.findings if f.kind is ProblemKind.BAD_ACTION and len(f.rows) and kept[f.rows].all()]
    return tuple(Repair(f.kind, "ignored factor rise", len(f.rows), tuple(examples(exam.parsed, f)))
                 for f in found)


def _fill_repairs(filled: pd.DataFrame) -> tuple[Repair, ...]:
    count = int(filled.to_numpy().sum())
    if not count:
        return ()
    cells = filled.stack()
    cells = cells[cells]
    examples = tuple(Example("", str(d.date()), s, "filled with the previous close, not tradable")
                     for d, s in cells.index[:5])
    return (Repair(ProblemKind.MISSING_SESSIONS, "filled session", count, examples),)


_HASHED_ROWS = 64  # sessions hashed at once: the same bytes in the same order as the whole frame's


def _fingerprint(frames: dict[str, pd.DataFrame], actions: dict[str, pd.DataFrame], filled: pd.DataFrame,
                 view: Adjustment) -> str:
    digest = hashlib.sha256()
    for frame in (*frames.values(), *actions.values(), filled):
        values = frame.to_numpy()  # the frame's own (column-major) array: hashed as float64 rows, a block at a time
        for start in range(0, len(values), _HASHED_ROWS):
            digest.update(memoryview(np.ascontiguousarray(values[start:start + _HASHED_ROWS], dtype=float)))
    close = frames["close"]
    digest.update("|".join(close.columns).encode())
    digest.update(close.index.to_numpy(dtype="datetime64[ns]").tobytes())
    digest.update(view.value.encode())
    return digest.hexdigest()[:16]


# -- sectors and the public entry points -----------------------------------------------------


def load_sectors(path: Path) -> pd.Series:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        raw = pd.read_parquet(path) if path.name.lower().endswith((".parquet", ".pq")) else pd.read_csv(path, dtype=str)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise DataError(f"{path}: cannot read: {str(e).strip().splitlines()[0] if str(e).strip() else e}") from None
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ("symbol", "sector") if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s): {', '.join(missing)}")
    symbols = raw["symbol"].astype("string").str.strip().str.upper()
    empty = (symbols.isna() | (symbols == "") | raw["sector"].isna()).to_numpy()
    if empty.any():
        raise DataError(f"{path}: line {int(np.flatnonzero(empty)[0]) + 2}: empty symbol or sector")
    dup = symbols.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(f"{path}: line {i + 2}: duplicate symbol {symbols.iloc[i]}")
    return pd.Series(raw["sector"].astype(str).str.strip().to_numpy(), index=symbols.astype(str), name="sector")


def _sources(prices: Path | str | None, sectors: Path | str | None) -> tuple[Path, str, Path | None]:
    if prices is None:
        price_path, default_sectors = embedded_paths()
        return price_path, EMBEDDED, Path(sectors).expanduser() if sectors is not None else default_sectors
    price_path = Path(prices).expanduser()
    return price_path, str(price_path), Path(sectors).expanduser() if sectors is not None else None


def load_market_data(
    prices: Path | str | None = None,
    sectors: Path | str | None = None,
    *,
    adjust: bool = True,
    config: DataConfig | None = None,
) -> MarketData:
    """Load, check and shape prices (default: the embedded dataset) into :class:`MarketData`.

    Refuses (:class:`DataError`, one line naming every kind of error) unless ``config``'s
    ``on_problem`` drops or repairs; the result's ``report`` holds warnings and repairs.
    """
    cfg = config if config is not None else DataConfig(adjust=adjust)
    price_path, source, sector_path = _sources(prices, sectors)
    sector_map = load_sectors(sector_path) if sector_path is not None else pd.Series(dtype=str, name="sector")
    market = build(read_table(price_path, cfg.columns), source, cfg, sector_map)  # build lets the file go once parsed
    # The file's columns lived in Arrow's allocator, which keeps their pages once freed (half a
    # GiB for a whole market's file): hand them back to the system before the run allocates its own
    pa.default_memory_pool().release_unused()
    return market


def check_file(prices: Path | str, cfg: DataConfig | None = None, sectors: Path | str | None = None) -> DataReport:
    """Every problem in a price file, nothing refused or changed (``trade data check``); with
    ``sectors``, a note of the symbols it has no sector for."""
    cfg = cfg or DataConfig()
    path = Path(prices).expanduser()
    exam = examine(read_table(path, cfg.columns), cfg, Policy.ERROR)
    report = report_of(exam, str(path), Policy.ERROR)
    if sectors is None:
        return report
    known = load_sectors(Path(sectors).expanduser())
    symbols = sorted(set(exam.parsed.frame.loc[exam.parsed.ok, "symbol"]))
    lacking = [s for s in symbols if s not in known.index]
    note = (f"sectors: {len(lacking)} of {len(symbols)} symbols have no sector in {sectors}: "
            f"{', '.join(lacking[:10])}{', ...' if len(lacking) > 10 else ''}" if lacking
            else f"sectors: every symbol has a sector in {sectors}")
    return replace(report, notes=(*report.notes, note))


def load_configured(cfg: DataConfig) -> MarketData:
    """The market data a :class:`~framework.config.DataConfig` names, symbols selected."""
    market = load_market_data(cfg.prices, cfg.sectors, config=cfg)
    return market.select(cfg.symbols) if cfg.symbols else market


__all__ = [
    "build",
    "check_file",
    "embedded_paths",
    "examine",
    "examine_parsed",
    "load_configured",
    "load_market_data",
    "load_sectors",
]
