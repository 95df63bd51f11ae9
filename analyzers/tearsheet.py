"""A self-contained HTML tear sheet of one run, backtest or paper, from its own records.

pyfolio-reloaded and empyrical compute (returns, drawdowns, positions, round trips); our
sections pick what a trader reads and say so in words where a run is too short for a figure;
jinja2 lays it out. Figures are embedded PNG and every style is inline, so the file opens
anywhere, offline, with nothing fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2
import markupsafe
import pandas as pd

from analyzers import benchmark as benchmarks
from analyzers import halts, sections
from analyzers.execution_quality import ExecutionQuality
from analyzers.frames import Frames, frames
from analyzers.records import RunRecords
from analyzers.run_header import RunHeader, header
from analyzers.sheet_model import Link, Section
from framework.data import MarketData


@dataclass(frozen=True)
class TearSheet:
    header: RunHeader
    sections: list[Section]
    html: str


def _code(text: str) -> markupsafe.Markup:
    """Escape, then show `command` spans as code."""
    parts = str(markupsafe.escape(text)).split("`")
    return markupsafe.Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analyzers", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = _code
    return env


def stylesheet() -> str:
    """The CSS the tear sheet and the sweep report share."""
    return _environment().get_template("_style.css.j2").render()


def _version() -> str:
    try:
        return version("trade")
    except PackageNotFoundError:
        return "dev"


def _benchmark(market: MarketData | None, f: Frames) -> pd.Series | None:
    if market is None:
        return None
    bench = benchmarks.equal_weight(market, f.days)
    if bench is None:
        return None
    return bench.set_axis(f.returns.index)


SIGNAL_FOLDER = "signals"  # where a run keeps its signal report: RUN/signals/signals.html


def signal_report_note(folder: Path, strategy: str) -> Link | str | None:
    """For a model plugin's run (one offering ``signal_diagnostics``, like xgboost_signal): a link
    to its signal report in the run folder, or the command that makes one."""
    from framework.registry import get_strategy

    try:
        plugin = get_strategy(strategy)
    except Exception:  # a plugin not installed here: the sheet is still built
        return None
    if not callable(getattr(plugin, "signal_diagnostics", None)):
        return None
    page = folder / SIGNAL_FOLDER / "signals.html"
    if page.is_file():
        return Link("signal-report", "Does the model predict anything? ", "its signal report",
                    f"{SIGNAL_FOLDER}/signals.html", " (out-of-sample AUC, IC, quantile returns, calibration).")
    return (f"No signal report: `trade signals {strategy} --out {folder / SIGNAL_FOLDER}` (with the backtest's "
            f"--data, --symbols and --config) judges the model's predictions before any backtest; then "
            f"`trade report {folder}` links it here.")


def inputs(records: RunRecords, market: MarketData | None, quality: ExecutionQuality,
           name: str | None = None) -> sections.Inputs:
    f = frames(records)
    equity = records.equity.set_index("day")["equity"]
    found = halts.episodes(records.events, records.days, equity.set_axis(records.days) if len(equity) else None)
    head = header(records, name)
    return sections.Inputs(
        frames=f,
        benchmark=_benchmark(market, f),
        sectors=market.sectors if market is not None else None,
        quality=quality,
        header=head,
        episodes=found,
        signal_report=signal_report_note(records.folder.parent / head.name, head.strategy),
        close=market.close if market is not None else None,
    )


def build(inp: sections.Inputs, advance: Callable[[], None] = lambda: None) -> TearSheet:
    """Every section (``advance`` after each: the caller's progress), then the page."""
    built = []
    for builder in sections.BUILDERS:
        built.append(builder(inp))
        advance()
    h = inp.header
    subtitle = f"{h.period} · {h.sessions} sessions · {h.venue}"
    footer = (f"Built by trade {_version()} from the run's journal. Slippage and shortfall: positive = cost. "
              "Turnover: value traded (buys + sells) a year / mean equity.")
    return TearSheet(h, built, render_page(h.title, subtitle, built, footer))


def render_page(title: str, subtitle: str, built: list[Section], footer: str) -> str:
    """Sections laid out as the tear sheet (the signal report uses it too)."""
    return _environment().get_template("tearsheet.html.j2").render(
        title=title, subtitle=subtitle, sections=built, footer=footer
    )


__all__ = ["TearSheet", "build", "inputs", "render_page", "stylesheet"]
