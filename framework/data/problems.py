"""What validation finds in a price file, what a policy did about it, and the report of both.

Every check runs on the whole file and every finding is kept, so one run reports every
problem: a kind, how many, and the first few examples with the row (a line number for CSV,
a row number for Parquet), the date and the symbol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Examples kept per problem kind (the count is always the full count).
EXAMPLES = 5


class Severity(StrEnum):
    ERROR = "error"  # refuses the file unless data.on_problem drops or repairs it
    WARNING = "warning"  # printed and recorded; the data is used as it is


class ProblemKind(StrEnum):
    EMPTY_SYMBOL = "empty symbol"
    BAD_DATE = "unparsable date"
    MISSING_VALUE = "missing value"
    NOT_A_NUMBER = "not a number"
    NON_POSITIVE = "price not positive"
    NEGATIVE_VOLUME = "negative volume"
    DUPLICATE = "duplicate row"
    HIGH_BELOW_LOW = "high below low"
    OUTSIDE_RANGE = "open/close outside [low, high]"
    EXTRA_SESSION = "not an exchange session"
    SPIKE = "price spike"
    BAD_ACTION = "invalid corporate action"
    CONTRADICTION = "corporate actions contradict"
    MISSING_SESSIONS = "missing sessions"
    ZERO_VOLUME = "zero-volume run"
    STALE_PRICE = "stale price"

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self in _WARNINGS else Severity.ERROR


_WARNINGS = {ProblemKind.MISSING_SESSIONS, ProblemKind.ZERO_VOLUME, ProblemKind.STALE_PRICE}


class Policy(StrEnum):
    """``data.on_problem``: what to do with rows that have errors."""

    ERROR = "error"
    DROP = "drop"
    REPAIR = "repair"


@dataclass(frozen=True, slots=True)
class Example:
    where: str  # "line 7" (CSV), "row 7" (Parquet), "" for a finding that is no row
    date: str
    symbol: str
    message: str

    def __str__(self) -> str:
        place = " ".join(p for p in (self.symbol, self.date) if p)
        head = ", ".join(p for p in (self.where, place) if p)
        return f"{head}: {self.message}" if head else self.message


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    count: int
    examples: tuple[Example, ...]
    more: int = 0  # examples not shown (rows, or symbols for missing sessions)

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "severity": self.severity.value, "count": self.count,
                "examples": [str(e) for e in self.examples]}


@dataclass(frozen=True, slots=True)
class Repair:
    """What a policy did: ``action`` (dropped row, filled session, clipped, ...) for ``kind``."""

    kind: ProblemKind
    action: str
    count: int
    examples: tuple[Example, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "action": self.action, "count": self.count,
                "examples": [str(e) for e in self.examples]}


@dataclass(frozen=True)
class DataReport:
    source: str
    problems: tuple[Problem, ...] = ()
    repairs: tuple[Repair, ...] = ()
    policy: Policy = Policy.ERROR
    rows: int = 0
    symbols: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def clean(self) -> bool:
        return not self.problems

    def refusal(self) -> str:
        """One line naming every kind of error, with its first example."""
        errors = self.errors
        if len(errors) == 1 and errors[0].count == 1:
            return f"{self.source}: {errors[0].examples[0]}"
        total = sum(p.count for p in errors)
        parts = "; ".join(f"{p.kind.value} ×{p.count} (first: {p.examples[0]})" for p in errors)
        return (f"{self.source}: {total} problems of {len(errors)} kinds refuse this file "
                f"(data.on_problem: error): {parts}")

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "policy": self.policy.value,
            "rows": self.rows,
            "symbols": self.symbols,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
            "repairs": [r.to_json() for r in self.repairs],
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        """The report as text: a table by kind, then the examples."""
        out = [f"{self.source}: {self.rows} rows, {self.symbols} symbols"]
        if self.clean and not self.repairs:
            return [*out, "no problems found", *self.notes]
        if self.problems:
            out += ["", f"  {'severity':<8} {'problem':<32} {'count':>7}"]
            out += [f"  {p.severity.value:<8} {p.kind.value:<32} {p.count:>7}" for p in self.problems]
        if self.repairs:
            out += ["", f"  repairs (data.on_problem: {self.policy.value})"]
            out += [f"  {r.action:<20} {r.kind.value:<32} {r.count:>7}" for r in self.repairs]
        for p in self.problems:
            out += ["", f"{p.kind.value} ({p.severity.value}, {p.count}):"]
            out += [f"  {e}" for e in p.examples]
            if p.more > 0:
                out.append(f"  ... and {p.more} more")
        return [*out, *self.notes]


__all__ = ["EXAMPLES", "DataReport", "Example", "Policy", "Problem", "ProblemKind", "Repair", "Severity"]
