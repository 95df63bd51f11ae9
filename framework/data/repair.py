"""``data.on_problem``: what happens to rows with errors, every change counted.

- ``error``: nothing; the loader refuses a file with any error.
- ``drop``: every row with an error is dropped (a bad tick, a weekend row, a NaN close ...).
- ``repair``: rows whose open or close lies outside [low, high] keep their open and close (the
  prices trades and decisions use) and get high/low widened to contain them; extra sessions
  and other bad rows are dropped; then every session missing inside a symbol's life (dropped
  or absent) is filled with the previous close, untradable (see ``MarketData.filled``).

Warnings (missing sessions under error/drop, zero-volume runs, stale prices) never change the
data. Contradicting corporate-action columns cannot be repaired: they always refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from framework.data.problems import Policy, ProblemKind, Repair, Severity
from framework.data.validation import Finding, Parsed, examples

_ACTIONS = {
    ProblemKind.EXTRA_SESSION: "dropped session",
    ProblemKind.DUPLICATE: "dropped duplicate",
    ProblemKind.SPIKE: "dropped bad tick",
}


@dataclass(frozen=True)
class Decision:
    keep: np.ndarray  # rows (table positions) that stay
    widen: np.ndarray  # rows whose high/low are widened to contain open and close
    repairs: tuple[Repair, ...]


def row_errors(findings: list[Finding], size: int, *, but: set[ProblemKind] | None = None) -> np.ndarray:
    """Rows with an error of any kind (except ``but``)."""
    bad = np.zeros(size, bool)
    for f in findings:
        if f.kind.severity is Severity.ERROR and f.cells is None and f.kind not in (but or set()):
            bad[f.rows] = True
    return bad


def decide(policy: Policy, parsed: Parsed, findings: list[Finding]) -> Decision:
    size = len(parsed.frame)
    widen = np.zeros(size, bool)
    if policy is Policy.REPAIR:
        for f in findings:
            if f.kind is ProblemKind.OUTSIDE_RANGE:
                widen[f.rows] = True
    keep = parsed.ok & ~row_errors(findings, size, but={ProblemKind.OUTSIDE_RANGE} if policy is Policy.REPAIR else None)
    if policy is Policy.ERROR:
        return Decision(keep, widen, ())
    repairs = []
    for f in findings:
        if f.kind.severity is not Severity.ERROR or f.cells is not None or not len(f.rows):
            continue
        if f.kind is ProblemKind.OUTSIDE_RANGE and policy is Policy.REPAIR:
            action = "widened high/low"
        else:
            action = _ACTIONS.get(f.kind, "dropped row")
        repairs.append(Repair(f.kind, action, len(f.rows), tuple(examples(parsed, f))))
    return Decision(keep, widen, tuple(repairs))


__all__ = ["Decision", "decide", "row_errors"]
