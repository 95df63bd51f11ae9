"""Whether two backtests' journals agree: the same fills (day, symbol, side, quantity, price, in
order) and the same final value to 1e-6. The lean path's proof against the backtrader path."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Traded:
    fills: tuple[tuple[str, str, str, float, float], ...]  # day, symbol, side, qty, price
    final_value: float


def traded(journal: Path) -> Traded:
    """A journal's fills in execution order and its last equity."""
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        fills = tuple(
            (str(t)[:10], s, side, float(q), float(p))
            for t, s, side, q, p in db.execute("SELECT time, symbol, side, qty, price FROM fills ORDER BY seq")
        )
        row = db.execute("SELECT equity FROM equity ORDER BY time DESC LIMIT 1").fetchone()
    return Traded(fills, float(row[0]) if row else float("nan"))


def differences(a: Traded, b: Traded, tolerance: float = TOLERANCE) -> list[str]:
    """What differs between two runs (empty: equal), the first differing fill named."""
    out = []
    if len(a.fills) != len(b.fills):
        out.append(f"{len(a.fills)} fills against {len(b.fills)}")
    for i, (x, y) in enumerate(zip(a.fills, b.fills, strict=False)):
        if x[:3] != y[:3] or abs(x[3] - y[3]) > tolerance or abs(x[4] - y[4]) > tolerance:
            out.append(f"fill {i + 1}: {x} against {y}")
            break
    if not abs(a.final_value - b.final_value) <= tolerance:
        out.append(f"final value {a.final_value!r} against {b.final_value!r}")
    return out


__all__ = ["TOLERANCE", "Traded", "differences", "traded"]
