"""What the tear sheet's template lays out: sections of tables, charts and notes, all text.

Numbers are formatted before they get here (:mod:`analyzers.units`), so the template only
arranges strings and cannot print a raw float.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzers.charts import Chart


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    css: str = ""  # "num", "pos", "neg", "muted"
    style: str = ""  # inline style (heatmap colour)
    title: str = ""  # hover text (definitions)


@dataclass(frozen=True)
class Table:
    id: str
    headers: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    note: str = ""
    text_columns: int = 1  # leading columns of words (left-aligned headers)


@dataclass(frozen=True, slots=True)
class Link:
    """A note paragraph with one link in it (relative to the page)."""

    id: str
    before: str
    text: str
    href: str
    after: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: list[Table | Chart | Link | str] = field(default_factory=list)  # str: a note paragraph


def signed(text: str, value: float | None) -> Cell:
    """A numeric cell coloured by its sign."""
    css = "num"
    if value is not None and value == value:  # not NaN
        css += " pos" if value > 0 else " neg" if value < 0 else ""
    return Cell(text, css)


def versus(text: str, value: float | None, benchmark: float | None) -> Cell:
    """A numeric cell coloured against the benchmark's figure (green: better), neutral without one.

    Colour by sign put a 0.2% return in green beside a 95% benchmark; the question a reader asks
    is "did it beat the alternative", not "was it above zero"."""
    css = "num"
    if value is not None and benchmark is not None and value == value and benchmark == benchmark:
        css += " pos" if value > benchmark else " neg" if value < benchmark else ""
    return Cell(text, css)


def num(text: str, title: str = "") -> Cell:
    return Cell(text, "num", title=title)


def label(text: str, title: str = "") -> Cell:
    return Cell(text, "label", title=title)


__all__ = ["Cell", "Link", "Section", "Table", "label", "num", "signed", "versus"]
