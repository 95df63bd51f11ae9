"""Charts drawn on the server as inline SVG: nothing to fetch, nothing to run in the browser.

Each chart is an image to assistive technology (``role="img"`` with a title and a description
that states its numbers in words), so the tick labels inside it are part of a labelled figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import pandas as pd

from analyzers.units import usd
from framework.venue_time import human


@dataclass(frozen=True, slots=True)
class Reference:
    """A horizontal line across the chart: a baseline, a limit."""

    value: float
    label: str
    css: str


def line_chart(chart_id: str, points: Sequence[tuple[str, float]], *, title: str, width: int = 560,
               height: int = 170, references: Sequence[Reference] = ()) -> str:
    """An SVG line of ``points`` (ISO time, value), or a sentence when there are fewer than two."""
    if len(points) < 2:
        return (f'<p class="empty" id="{escape(chart_id)}">{escape(title)}: not enough points yet '
                f'({len(points)}).</p>')
    times = pd.to_datetime([t for t, _ in points], utc=True, format="ISO8601")
    values = [v for _, v in points]
    ref_values = [r.value for r in references]
    lo, hi = min([*values, *ref_values]), max([*values, *ref_values])
    pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 78, 10, 10, 24
    span = (times[-1] - times[0]).total_seconds() or 1.0

    def x(t: pd.Timestamp) -> float:
        return left + (t - times[0]).total_seconds() / span * (width - left - right)

    def y(v: float) -> float:
        return top + (hi - v) / (hi - lo) * (height - top - bottom)

    stamp = human if span < 3 * 86400 else (lambda t: human(t)[:10])  # daily points: dates

    path = " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v) in enumerate(zip(times, values,
                                                                                                        strict=True)))
    desc = (f"{len(values)} points from {human(times[0])} to {human(times[-1])}; first {usd(values[0], 2)}, "
            f"last {usd(values[-1], 2)}, low {usd(min(values), 2)}, high {usd(max(values), 2)}"
            + "".join(f"; {r.label} {usd(r.value, 2)}" for r in references))
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" class="plot"/>',
    ]
    for r in references:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(r.value):.1f}" y2="{y(r.value):.1f}" '
                     f'class="ref {escape(r.css)}"/>')
        parts.append(f'<text x="{width - right - 4}" y="{y(r.value) - 3:.1f}" class="ref-label" '
                     f'text-anchor="end">{escape(r.label)}</text>')
    parts += [
        f'<path d="{path}" class="line"/>',
        f'<circle cx="{x(times[-1]):.1f}" cy="{y(values[-1]):.1f}" r="3" class="last"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="tick">{escape(usd(hi - pad))}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" class="tick">{escape(usd(lo + pad))}</text>',
        f'<text x="{left}" y="{height - 6}" class="tick">{escape(stamp(times[0]))}</text>',
        f'<text x="{width - right}" y="{height - 6}" text-anchor="end" class="tick">{escape(stamp(times[-1]))}</text>',
        "</svg>",
    ]
    return "".join(parts)


__all__ = ["Reference", "line_chart"]
