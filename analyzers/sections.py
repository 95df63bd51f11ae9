"""The tear sheet's sections, in the order a trader reads them.

Each builder takes the run's computed inputs and returns a :class:`Section` of formatted tables,
charts and notes. A chart is drawn only when it has something to show; otherwise the section
says why in words (a 9-session run has no rolling window, a run without trades no round trips).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import pandas as pd

from analyzers import charts, costs, execution_tables, halts, holdings, performance, roundtrips, trade_charts
from analyzers.benchmark import NAME as BENCHMARK_NAME
from analyzers.execution_quality import ExecutionQuality
from analyzers.frames import Frames
from analyzers.halts import HaltEpisode
from analyzers.run_header import RunHeader
from analyzers.sheet_model import Cell, Link, Section, Table, label, num, signed, versus
from analyzers.units import Unit, finite, pct, sessions, show, usd

MIN_DISTRIBUTION_CHART = 5  # sessions: fewer daily returns make no distribution


@dataclass(frozen=True)
class Inputs:
    frames: Frames
    benchmark: pd.Series | None  # indexed like frames.returns
    sectors: pd.Series | None  # symbol → sector
    quality: ExecutionQuality
    header: RunHeader
    episodes: list[HaltEpisode]
    signal_report: Link | str | None = None  # a model plugin's signal report, or how to make one
    close: pd.DataFrame | None = None  # the data's closes (sessions × symbols), for the price charts


def run_section(inp: Inputs) -> Section:
    h = inp.header
    rows = [
        ("Strategy", h.strategy),
        ("Parameters", h.parameters),
        ("Period", f"{h.period} ({sessions(h.sessions)}, trades on {h.sessions_traded})"),
        ("Starting cash → final equity", f"{usd(h.initial_cash)} → {usd(h.final_equity)}"),
        ("Venue and costs", h.venue),
        ("Data", h.data),
        ("Halts", "none" if not h.halts else f"{len(inp.episodes)}, listed below"),
    ]
    table = Table("run-header", [], [[label(k), Cell(v)] for k, v in rows])
    blocks: list[Table | charts.Chart | Link | str] = [table]
    blocks += [f"⚠ {line}" for line in h.halts]
    if inp.signal_report is not None:
        blocks.append(inp.signal_report)
    return Section("run", "Run", blocks)


def _stat_cells(stat: performance.Stat, active: performance.Stat | None = None) -> list[Cell]:
    bench = "" if stat.benchmark is None else show(stat.benchmark, stat.unit)
    cells = [label(stat.label + (" *" if stat.annualised else ""), stat.help), _toned(stat), num(bench)]
    if active is not None:
        cells.insert(2, _toned(active))
    return cells


def _toned(stat: performance.Stat) -> Cell:
    """Coloured against the benchmark's figure where there is one (alpha: by sign, it is already
    relative); a figure with no benchmark to compare, or not a return, stays neutral."""
    text = show(stat.strategy, stat.unit)
    if not stat.tone:
        return num(text)
    if stat.relative:
        return signed(text, stat.strategy)
    return versus(text, stat.strategy, stat.benchmark)


def _active(inp: Inputs) -> tuple[list[bool], int]:
    """Which sessions count as active: all but those spent halted *and* flat (a book held through
    a one-session halt is still at work; a run sitting out its last year in cash is not)."""
    f = inp.frames
    flags = halts.halted(inp.episodes, [d.date() for d in f.days])
    flat = (f.positions.drop(columns="cash").abs().sum(axis=1) == 0).to_numpy()
    idle = [h and bool(x) for h, x in zip(flags, flat, strict=True)]
    return [not i for i in idle], sum(idle)


def _active_stats(inp: Inputs, mask: list[bool]) -> list[performance.Stat]:
    f = inp.frames
    bench = inp.benchmark[mask] if inp.benchmark is not None else None
    return performance.stats(f.returns[mask], bench, f.positions[mask], _in_days(f.transactions, f.returns.index[mask]),
                             f.equity[mask])


def _in_days(transactions: pd.DataFrame, days: pd.Index) -> pd.DataFrame:
    return transactions[transactions.index.normalize().isin(days)]


def performance_section(inp: Inputs) -> Section:
    f = inp.frames
    found = performance.stats(f.returns, inp.benchmark, f.positions, f.transactions, f.equity)
    mask, n_halted = _active(inp)
    active = _active_stats(inp, mask) if n_halted and any(mask) else None
    bench_header = "Benchmark" if inp.benchmark is not None else "Benchmark (none)"
    n = len(f.returns)
    note = "* annualised with 252 sessions a year, risk-free rate 0."
    if n < performance.MIN_ANNUALISED:
        note = (f"Annualised figures need at least {performance.MIN_ANNUALISED} sessions; this run has {n}: "
                "a Sharpe ratio or CAGR from a few weeks is noise.")
    if n < performance.MIN_DISTRIBUTION:
        note += f" Value at risk, skew, beta and correlation need {performance.MIN_DISTRIBUTION} sessions."
    note += (" Strategy figures are green where they beat the benchmark's, red where they fall short, "
             "uncoloured where there is nothing to compare.")
    keep = [i for i, s in enumerate(found) if finite(s.strategy) or (s.benchmark is not None and finite(s.benchmark))]
    hidden = [s.label for i, s in enumerate(found) if i not in keep]
    if hidden:
        note += f" Not shown: {', '.join(hidden)}."
    headers = ["", "Whole run", bench_header]
    if active is not None:
        headers.insert(2, f"Active ({n - n_halted} of {n} sessions)")
        note += (f" The run spent {n_halted} of its {n} sessions halted and flat (in cash, opening nothing); "
                 "“Active” is the same figure over the other sessions.")
    rows = [_stat_cells(found[i], active[i] if active is not None else None) for i in keep]
    table = Table("stats", headers, rows, note=note)
    chart = charts.cumulative(f.returns, inp.benchmark, BENCHMARK_NAME, inp.episodes)
    blocks: list[Table | charts.Chart | str] = [table, chart]
    if inp.benchmark is None:
        blocks.append("No benchmark: the market data the run names does not cover its sessions.")
    return Section("performance", "Performance", blocks)


def drawdown_section(inp: Inputs) -> Section:
    found = performance.drawdowns(inp.frames.returns)
    if not found:
        return Section("drawdowns", "Drawdowns", ["No drawdown: equity never fell below a previous peak."])
    rows = [
        [signed(pct(d.depth), d.depth), num(str(d.peak.date())), num(str(d.valley.date())),
         num(str(d.recovery.date()) if d.recovery is not None else "not recovered"),
         num(sessions(d.sessions) + ("" if d.recovery is not None else " so far"))]
        for d in found
    ]
    table = Table("drawdowns", ["Depth", "Peak", "Valley", "Recovered", "Length"], rows,
                  caption="The worst drawdown" if len(found) == 1 else f"The {len(found)} worst drawdowns")
    return Section("drawdowns", "Drawdowns", [charts.underwater(inp.frames.returns, inp.episodes), table])


def _heat(value: float, scale: float) -> str:
    if value != value or scale <= 0 or abs(value) < 5e-4:
        return ""
    alpha = min(abs(value) / scale, 1.0) * 0.55 + 0.08
    rgb = "46,158,79" if value > 0 else "209,73,63"
    return f"background: rgba({rgb},{alpha:.2f})"


def _monthly_table(inp: Inputs) -> Table:
    months = performance.monthly_returns(inp.frames.returns)
    years = performance.annual_returns(inp.frames.returns)
    bench = performance.annual_returns(inp.benchmark) if inp.benchmark is not None else None
    scale = float(months.abs().max().max()) if months.notna().any().any() else 0.0
    rows = []
    for year, row in months.iterrows():
        cells = [label(str(year))]
        for month in range(1, 13):
            v = row[month]
            cells.append(Cell("" if pd.isna(v) else pct(v, 1), "num", _heat(v, scale)))
        cells.append(versus(pct(years[year], 1), years[year], bench.get(year) if bench is not None else None))
        cells.append(num(pct(bench[year], 1) if bench is not None else ""))
        rows.append(cells)
    headers = ["", *calendar.month_abbr[1:], "Year", "Benchmark"]
    return Table("monthly", headers, rows, caption="Returns by month and year (blank: outside the run)")


def returns_section(inp: Inputs) -> Section:
    blocks: list[Table | charts.Chart | str] = [_monthly_table(inp)]
    n = len(inp.frames.returns)
    if n >= MIN_DISTRIBUTION_CHART:
        blocks.append(charts.distribution(inp.frames.returns, inp.benchmark, BENCHMARK_NAME))
    else:
        blocks.append(f"A distribution of daily returns needs {MIN_DISTRIBUTION_CHART} sessions; this run has {n}.")
    return Section("returns", "Returns", blocks)


def rolling_section(inp: Inputs) -> Section:
    window = performance.rolling_window(len(inp.frames.returns))
    if window.window is None:
        return Section("rolling", "Rolling risk", [window.note.capitalize() + "."])
    invested = holdings.exposure(inp.frames)["gross"].abs() > 0
    chart = charts.rolling(inp.frames.returns, inp.benchmark, window.window, window.note, invested)
    return Section("rolling", "Rolling risk", [chart])


def _commission_by_symbol(inp: Inputs) -> pd.Series:
    orders = inp.quality.orders
    return orders.groupby("symbol")["commission"].sum() if len(orders) else pd.Series(dtype=float)


def _top_table(inp: Inputs) -> Table | str:
    top = holdings.top_positions(inp.frames, inp.sectors, _commission_by_symbol(inp))
    if not top:
        return "No positions were held."
    rows = [
        [label(p.symbol), Cell(p.sector), num(pct(p.avg_weight, 1)), num(pct(p.max_weight, 1)),
         num(sessions(p.sessions_held)), signed(usd(p.pnl), p.pnl)]
        for p in top
    ]
    return Table("top-positions", ["Symbol", "Sector", "Average weight", "Largest weight", "Held", "P&L"],
                 rows, caption=f"Top {len(top)} positions by average weight over the run; P&L after commission, "
                               "open positions at their last mark", text_columns=2)


def _sector_blocks(inp: Inputs) -> list[Table | charts.Chart | str]:
    weights = holdings.sector_weights(inp.frames, inp.sectors)
    if weights is None or weights.empty:
        return ["No sector exposure to show (no sectors in the data, or no positions)."]
    rows = [
        [label(str(s)), num(pct(weights[s].mean(), 1)), num(pct(weights[s].max(), 1)), num(pct(weights[s].iloc[-1], 1))]
        for s in weights.abs().mean().sort_values(ascending=False).index
    ]
    table = Table("sectors", ["Sector", "Average", "Highest", "At the end"], rows, caption="Sector weight (of equity)")
    return [charts.sectors(weights), table]


def positions_section(inp: Inputs) -> Section:
    held = inp.frames.positions.drop(columns="cash")
    if held.empty or not (held != 0).any().any():
        return Section("positions", "Positions", ["No positions were held."])
    blocks: list[Table | charts.Chart | str] = [
        charts.exposure(holdings.exposure(inp.frames)),
        charts.holdings(holdings.holdings_count(inp.frames)),
        _top_table(inp),
    ]
    return Section("positions", "Positions", blocks + _sector_blocks(inp))


def _trip_rows(trips: pd.DataFrame) -> list[list[Cell]]:
    return [
        [label(str(t.symbol)), Cell("long" if t.long else "short"), num(str(t.open_dt.date())),
         num(str(t.close_dt.date())), signed(usd(t.pnl), t.pnl), signed(pct(t.rt_returns), t.rt_returns)]
        for t in trips.itertuples()
    ]


def _price_block(inp: Inputs) -> charts.Chart | str:
    f = inp.frames
    if inp.close is None:
        return "No price chart: the market data the run names is not at hand."
    symbols = [s for s in trade_charts.top_traded(f.transactions) if s in inp.close.columns]
    if not symbols:
        return "No price chart: the traded symbols are not in the market data."
    first, last = f.days[0], f.days[-1]
    return trade_charts.prices(inp.close.loc[first:last], f.transactions, symbols)


def trading_section(inp: Inputs) -> Section:
    f = inp.frames
    if f.transactions.empty:
        return Section("trading", "Trading", ["No trades."])
    traded = (f.transactions["amount"].abs() * f.transactions["price"]).groupby(f.transactions.index.normalize()).sum()
    daily = (traded.reindex(f.equity.index).fillna(0.0) / f.equity).rename("turnover")
    blocks: list[Table | charts.Chart | str] = [charts.turnover(daily)]
    blocks.append(_price_block(inp))
    found = roundtrips.round_trips(f)
    if found.trips.empty:
        blocks.append(f"Round trips: {found.note[0].lower()}{found.note[1:]}.")
        return Section("trading", "Trading", blocks)
    summary = roundtrips.summary(found.trips)
    rows = [[label(s.label), num(show(s.value, s.unit))] for s in summary]
    blocks.append(Table("round-trips", [], rows, caption="Round trips (FIFO, pyfolio)", note=found.note + "."))
    extremes = roundtrips.extremes(found.trips)
    blocks.append(Table("round-trip-extremes", ["Symbol", "Side", "Opened", "Closed", "P&L", "Return"],
                        _trip_rows(extremes), caption="Best and worst round trips", text_columns=2))
    return Section("trading", "Trading", blocks)


def _grouped_table(
    table_id: str, key: str, frame: pd.DataFrame, caption: str, note: str = "",
    columns: tuple[tuple[str, str, Unit], ...] = execution_tables.COLUMNS, collapse: bool = False,
) -> Table:
    """One row per value of ``key``; with ``collapse``, a column equal on every row (of several)
    leaves the table and is said once in the note (44 rows of "100%" tell nothing)."""
    offered = columns
    columns = list(offered)
    same: list[str] = []
    if collapse and len(frame) > 1:
        for column, header, unit in offered:
            values = [_text(v, unit) for v in frame.get(column, pd.Series(dtype=float))]
            if len(set(values)) == 1:
                columns.remove((column, header, unit))
                same.append(f"{header} {values[0]}")
    headers = [key.capitalize()] + [h for _, h, _ in columns]
    rows = []
    for record in frame.to_dict("records"):
        cells = [label(str(record[key]))]
        for column, _, unit in columns:
            value = record.get(column)
            text = _text(value, unit)
            cells.append(signed(text, -value) if unit is Unit.BPS and isinstance(value, float) else num(text))
        rows.append(cells)
    if same:
        note = (note + " " if note else "") + f"The same for every {key}: {'; '.join(same)}."
    return Table(table_id, headers, rows, caption=caption, note=note)


def _text(value: object, unit: Unit) -> str:
    return pct(value, 1) if unit is Unit.PERCENT else show(value, unit)


def _cost_blocks(inp: Inputs) -> list[Table | charts.Chart | str]:
    f = inp.frames
    if f.transactions.empty or len(f.equity) < 2:
        return []
    curves = costs.sensitivity(f, costs.own_costs(inp.quality.orders, f.equity.index))
    initial = inp.header.initial_cash
    finals = {f"{name} a fill": float(curve.iloc[-1]) for name, curve in curves.items()}
    finals["as run"] = float(f.equity.iloc[-1])
    rows = [[label(name), num(usd(final)), num(pct(final / initial - 1, 1))] for name, final in finals.items()]
    table = Table("cost-sensitivity", ["Cost a fill", "Final equity", "Total return"], rows,
                  caption="What costs take: the same trades at other costs")
    return [trade_charts.cost_sensitivity(curves, f.equity), table]


def execution_section(inp: Inputs) -> Section:
    q = inp.quality
    if q.orders.empty:
        return Section("execution", "Execution quality", ["No orders."])
    overall = [[label(lbl, help_), num(pct(q.overall.get(key), 1) if unit is Unit.PERCENT else
                                       show(q.overall.get(key), unit))]
               for key, lbl, unit, help_ in execution_tables.OVERALL]
    blocks: list[Table | charts.Chart | str] = [
        Table("execution-overall", [], overall, caption="All orders"),
        _grouped_table("execution-by-symbol", "symbol", execution_tables.by(q.orders, "symbol"), "By symbol",
                       collapse=True),
    ]
    daily = execution_tables.daily_series(q.orders)
    if len(daily):
        blocks.append(charts.execution_daily(daily))
    by_day = execution_tables.by_day(q.orders)
    blocks.append(_grouped_table("execution-by-day", "day", by_day.rows, "By decision day", by_day.note))
    blocks.append(_grouped_table("execution-by-side", "side", execution_tables.by(q.orders, "side"), "By side"))
    blocks.append(_grouped_table("execution-by-tag", "tag", execution_tables.by(q.orders, "tag"),
                                 "By reason (the order's tag)"))
    blocks.append(_grouped_table("execution-by-style", "style", execution_tables.by(q.orders, "style"),
                                 "By execution style (orders.style)", columns=execution_tables.STYLE_COLUMNS))
    blocks.append("Positive slippage and shortfall are costs. Slippage vs decision = side × (fill − close the "
                  "signal was made on) / that close; vs arrival = against the price when the order reached the "
                  "market (the next open in a backtest). Implementation shortfall adds commission and the "
                  "opportunity cost of what never filled. Commission and fees as charged by the venue or the "
                  "simulator.")
    return Section("execution", "Execution quality", blocks + _cost_blocks(inp))


BUILDERS = (
    run_section,
    performance_section,
    drawdown_section,
    returns_section,
    rolling_section,
    positions_section,
    trading_section,
    execution_section,
)

__all__ = ["BUILDERS", "Inputs"]
