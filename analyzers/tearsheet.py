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

import jinja2
import markupsafe
import pandas as pd

from analyzers import benchmark as benchmarks
from analyzers import halts, sections
from analyzers.execution_quality import ExecutionQuality
from analyzers.frames import Frames, frames
from analyzers.records import RunRecords
from analyzers.run_header import RunHeader, header
from analyzers.sheet_model import Section
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


def inputs(records: RunRecords, market: MarketData | None, quality: ExecutionQuality,
           name: str | None = None) -> sections.Inputs:
    f = frames(records)
    equity = records.equity.set_index("day")["equity"]
    found = halts.episodes(records.events, records.days, equity.set_axis(records.days) if len(equity) else None)
    return sections.Inputs(
        frames=f,
        benchmark=_benchmark(market, f),
        sectors=market.sectors if market is not None else None,
        quality=quality,
        header=header(records, name),
        episodes=found,
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
    page = _environment().get_template("tearsheet.html.j2").render(
        title=h.title, subtitle=subtitle, sections=built, footer=footer
    )
    return TearSheet(h, built, page)


__all__ = ["TearSheet", "build", "inputs", "stylesheet"]
