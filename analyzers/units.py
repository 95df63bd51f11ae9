"""How a number reads: one formatting rule per unit, shared by the tear sheet and the console.

A report that prints ``0.2719`` beside ``27.185614`` makes the reader do the units; here every
figure says what it is (``-27.19%``, ``4.6 bps``, ``$3,317``, ``17 h 30 min``) and a value that
is not a number (too little data, division by zero) reads ``n/a``, never ``nan`` or ``inf``.
"""

from __future__ import annotations

import math
from enum import StrEnum

NA = "n/a"


class Unit(StrEnum):
    PERCENT = "percent"  # a fraction shown as percent
    BPS = "bps"
    USD = "usd"
    RATIO = "ratio"  # a dimensionless ratio (Sharpe, beta)
    TIMES = "times"  # a multiple (turnover ×)
    COUNT = "count"
    SESSIONS = "sessions"
    SECONDS = "seconds"  # a duration
    DAYS = "days"  # a calendar duration


def finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _signed_zero(text: str) -> str:
    """``-0.00`` reads as a loss that is not there."""
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def pct(value: object, digits: int = 2) -> str:
    scaled = value * 100 if finite(value) else None  # type: ignore[operator]
    return _signed_zero(f"{scaled:,.{digits}f}%") if finite(scaled) else NA  # a huge fraction overflows to inf


def bps(value: object, digits: int = 1) -> str:
    return _signed_zero(f"{value:,.{digits}f} bps") if finite(value) else NA


def usd(value: object, digits: int = 0) -> str:
    if not finite(value):
        return NA
    text = _signed_zero(f"{abs(value):,.{digits}f}")  # type: ignore[arg-type]
    return f"-${text}" if value < 0 and text.strip("0.,") else f"${text}"  # type: ignore[operator]


def ratio(value: object, digits: int = 2) -> str:
    return _signed_zero(f"{value:,.{digits}f}") if finite(value) else NA


def times(value: object, digits: int = 1) -> str:
    return _signed_zero(f"{value:,.{digits}f} ×") if finite(value) else NA


def count(value: object) -> str:
    return _signed_zero(f"{int(value):,}") if finite(value) else NA  # type: ignore[arg-type]


def sessions(value: object) -> str:
    if not finite(value):
        return NA
    n = int(value)  # type: ignore[arg-type]
    return f"{n:,} session{'s' if n != 1 else ''}"


def days(value: object) -> str:
    if not finite(value):
        return NA
    return _signed_zero(f"{value:,.0f} day{'s' if round(value) != 1 else ''}")  # type: ignore[arg-type]


def duration(seconds: object) -> str:
    """``17 h 30 min``, ``2.5 s``, ``3 d 4 h``: the largest two units that matter (a negative
    duration is not one: n/a)."""
    if not finite(seconds) or seconds < 0:  # type: ignore[operator]
        return NA
    s = float(seconds) + 0.0  # type: ignore[arg-type]  # -0.0 (not < 0) printed "-0.0 s"
    if s < 60:
        return f"{s:.1f} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def show(value: object, unit: Unit) -> str:
    """``value`` in ``unit``, as every report prints it."""
    return {
        Unit.PERCENT: pct,
        Unit.BPS: bps,
        Unit.USD: usd,
        Unit.RATIO: ratio,
        Unit.TIMES: times,
        Unit.COUNT: count,
        Unit.SESSIONS: sessions,
        Unit.SECONDS: duration,
        Unit.DAYS: days,
    }[unit](value)


__all__ = [
    "NA", "Unit", "bps", "count", "days", "duration", "finite", "pct", "ratio", "sessions", "show", "times", "usd",
]
