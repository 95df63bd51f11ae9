"""What `trade backtest` and `trade report` print: a short report, aligned, every figure in its unit.

Drawn with rich: colour on a terminal, plain text when the output is a file or a pipe, or when
``NO_COLOR`` is set (rich honours both by itself). Lines are never wrapped, so a path can be
copied from a log whole.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from analyzers.performance import MIN_ANNUALISED
from analyzers.reports import ReportSummary
from analyzers.units import bps, count, duration, pct, ratio, sessions, times, usd
from framework.order_outcomes import in_words


def console(stream: IO[str] | None = None) -> Console:
    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=True, emoji=False)


def _tone(value: object) -> str:
    if not isinstance(value, int | float) or value != value:
        return ""
    return "green" if value > 0 else "red" if value < 0 else ""


def _rows(rows: Iterable[tuple[str, str, str, str]]) -> Group:
    """(label, value, style of the value, note) as three aligned columns, indented; no line
    carries trailing blanks (a rich Table pads every row to its widest)."""
    rows = list(rows)
    wide_label = max((len(r[0]) for r in rows), default=0)
    wide_value = max((len(r[1]) for r in rows), default=0)
    lines = []
    for label, value, style, note in rows:
        line = Text.assemble("  ", (label.ljust(wide_label), "bold"), "  ", (value.rjust(wide_value), style))
        if note:
            line.append("  " + note, style="dim")
        lines.append(line)
    return Group(*lines)


def _halts(stories: Iterable[str]) -> list[RenderableType]:
    return [Text("  " + line, style="yellow") for line in stories]


def _annualised(value: object, n: int, fmt) -> tuple[str, str]:
    if n < MIN_ANNUALISED:
        return "n/a", f"{sessions(n)}: too few to annualise (needs {MIN_ANNUALISED})"
    return fmt(value), ""


def backtest_summary(summary: Mapping[str, Any], stories: list[str]) -> RenderableType:
    """The figures of summary.json as a report, then the halt story."""
    f = summary["figures"]
    n = int(summary.get("sessions") or 0)
    final = float(summary.get("initial_cash") or 0.0) * (1 + float(f.get("total_return") or 0.0))
    venue = (summary.get("venue") or {}).get("profile")
    title = Text.assemble(
        ("backtest ", "bold"), (str(summary["strategy"]), "bold cyan"),
        f"  {summary['start']} → {summary['end']}  ({sessions(n)}, "
        f"{usd(summary.get('initial_cash'))} → {usd(final)})" + (f"  venue {venue}" if venue else ""),
    )
    cagr, cagr_note = _annualised(f.get("cagr"), n, pct)
    sharpe, sharpe_note = _annualised(f.get("sharpe"), n, ratio)
    rows = [
        ("total return", pct(f.get("total_return")), _tone(f.get("total_return")), ""),
        ("CAGR", cagr, _tone(f.get("cagr")) if cagr != "n/a" else "", cagr_note or "a year, compounded"),
        ("Sharpe", sharpe, _tone(f.get("sharpe")) if sharpe != "n/a" else "",
         sharpe_note or "annualised, daily returns, risk-free 0"),
        ("max drawdown", pct(f.get("max_drawdown")), "red" if (f.get("max_drawdown") or 0) < 0 else "",
         "worst fall from a peak"),
        ("turnover", times(f.get("turnover")) if n >= MIN_ANNUALISED else "n/a",
         "", "value traded a year / mean equity" if n >= MIN_ANNUALISED else "too few sessions to annualise"),
        ("orders", count(f.get("orders")), "", _outcomes(f)),
        ("avg slippage", bps(f.get("avg_slippage_bps")), "", "vs the decision price (close of the signal day)"),
        ("halts", count(f.get("halts")), "yellow" if f.get("halts") else "", "" if f.get("halts") else "none"),
    ]
    return Group(title, _rows(rows), *_halts(stories))


def _outcomes(f: Mapping[str, Any]) -> str:
    """How the orders ended, adding up to the count (older summaries: fills and rejects)."""
    counts = f.get("order_outcomes")
    if not isinstance(counts, Mapping):
        return f"{count(f.get('fills'))} fills, {count(f.get('rejects'))} rejected"
    return in_words(dict(counts))


def _quality_rows(e: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        ("fill rate", pct(e.get("fill_rate"), 1), "", "filled / ordered quantity"),
        ("partially filled", pct(e.get("partial_fill_rate"), 1), "", "of orders"),
        ("rejected", pct(e.get("reject_rate"), 1), "", "of orders, refused by the venue"),
        ("canceled or expired", pct(e.get("cancel_rate"), 1), "", "of orders, ended unfilled"),
        ("slippage vs decision", bps(e.get("slippage_decision_bps")), "", "fill vs the close the signal was made on"),
        ("slippage vs arrival", bps(e.get("slippage_arrival_bps")), "",
         "fill vs the price when the order reached the market"),
        ("implementation shortfall", usd(e.get("shortfall_usd")), "",
         f"{bps(e.get('shortfall_bps'))} of the decided notional (slippage + costs + unfilled)"),
        ("commission & fees", usd(e.get("commission_usd")), "",
         f"{bps(e.get('commission_bps'))} of the traded notional"),
        ("median time to fill", duration(e.get("median_time_to_fill_s")), "", "from submission to first fill"),
    ]


def report_summary(s: ReportSummary) -> RenderableType:
    """`trade report`: the run in a line, its headline figures, execution quality, halts."""
    h = s.header
    title = Text.assemble(("report ", "bold"), (h.title, "bold cyan"), f"  {h.period} ({sessions(h.sessions)})")
    n = s.sessions
    sharpe, note = _annualised(s.sharpe, n, ratio)
    headline = [
        ("total return", pct(h.final_equity / h.initial_cash - 1 if h.initial_cash else float("nan")),
         _tone(h.final_equity - h.initial_cash), f"{usd(h.initial_cash)} → {usd(h.final_equity)}"),
        ("Sharpe", sharpe, _tone(s.sharpe) if sharpe != "n/a" else "", note or "annualised, daily returns"),
        ("max drawdown", pct(s.max_drawdown), "red" if s.max_drawdown < 0 else "", "worst fall from a peak"),
    ]
    quality = _quality_rows(s.execution)
    orders = int(s.execution.get("orders") or 0)
    return Group(
        title,
        _rows(headline),
        Text(f"execution quality ({count(orders)} orders; positive slippage and shortfall are costs)", style="bold"),
        _rows(quality),
        *_halts(h.halts),
    )


def print_renderable(renderable: RenderableType, stream: IO[str] | None = None) -> None:
    console(stream).print(renderable)


__all__ = ["backtest_summary", "console", "print_renderable", "report_summary"]
