"""Halts as a story: when the engine stopped opening risk, why, for how long, and what lifts it.

A count ("halts 5") hides that a run sat out its last 13 months; each episode here says its
dates, the sessions it covered, the limit that fired (with how far past it the run was) and how
it ends. The journal records a halt and a resume as events on the pseudo order ``*``
(``Journal.set_halt``); episodes pair them up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from analyzers.units import pct

NEW_YORK = "America/New_York"

#: reason code → (words, the risk setting that holds its limit)
LIMITS = {
    "max_drawdown": ("max drawdown", "max_drawdown"),
    "daily_loss_limit": ("daily loss limit", "daily_loss_limit"),
    "intraday_loss": ("daily loss limit, intraday (loss watch)", "daily_loss_limit"),
}


@dataclass(frozen=True, slots=True)
class HaltEpisode:
    """One halt: fired at the close of ``start`` (venue date), lifted on ``end`` (None: still on).

    ``sessions`` counts the sessions traded under it: after ``start``, up to and including
    ``end`` (or the run's last session)."""

    start: date
    end: date | None
    sessions: int
    reason: str
    scope: str  # "session": lifts by itself at the next session; "persistent": only `trade resume`
    move: float | None = None  # the run's drawdown (or that session's change) when it fired


def _venue_date(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times, utc=True, format="ISO8601").dt.tz_convert(NEW_YORK).dt.date


def _move(reason: str, day: date, equity: pd.Series | None) -> float | None:
    """Drawdown from the peak (max drawdown) or the session's change (daily loss) at ``day``."""
    if equity is None or equity.empty:
        return None
    upto = equity[[d <= day for d in equity.index]]
    if upto.empty:
        return None
    if reason == "max_drawdown":
        return float(upto.iloc[-1] / upto.max() - 1.0)
    if reason == "daily_loss_limit" and len(upto) >= 2:
        return float(upto.iloc[-1] / upto.iloc[-2] - 1.0)
    return None


def episodes(events: pd.DataFrame, days: Sequence[date], equity: pd.Series | None = None) -> list[HaltEpisode]:
    """Pair each journaled halt with the resume that lifted it.

    ``events``: journal ``order_events`` rows (any; only ``*`` halt/resume rows are read);
    ``days``: the run's sessions (venue dates); ``equity``: equity by session date, optional.
    """
    rows = events[(events["client_order_id"] == "*") & events["event"].isin(["halt", "resume"])]
    rows = rows.assign(day=_venue_date(rows["time"])).sort_values("seq" if "seq" in rows else "time")
    found: list[HaltEpisode] = []
    open_halt: tuple[date, str, str] | None = None
    for event, scope, day, detail in zip(rows["event"], rows["status"], rows["day"], rows["detail"], strict=True):
        if event == "halt" and open_halt is None:
            open_halt = (day, str(detail), str(scope))
        elif event == "resume" and open_halt is not None:
            found.append(_episode(open_halt, day, days, equity))
            open_halt = None
    if open_halt is not None:
        found.append(_episode(open_halt, None, days, equity))
    return found


def _episode(
    halt: tuple[date, str, str], end: date | None, days: Sequence[date], equity: pd.Series | None
) -> HaltEpisode:
    start, reason, scope = halt
    covered = sum(1 for d in days if d > start and (end is None or d <= end))
    return HaltEpisode(start, end, covered, reason, scope, _move(reason, start, equity))


def _why(episode: HaltEpisode, risk: Mapping[str, object]) -> str:
    words, key = LIMITS.get(episode.reason, (episode.reason, ""))
    limit = risk.get(key) if key else None
    text = f"{words} {pct(limit, 0)} reached" if isinstance(limit, int | float) else words
    if episode.move is not None:
        text += f" ({pct(episode.move, 1)} {'from the peak' if episode.reason == 'max_drawdown' else 'that session'})"
    return text


def story(episode: HaltEpisode, risk: Mapping[str, object], *, paper: bool) -> str:
    """One line a trader reads: dates, sessions, the limit that fired, what lifts it."""
    n = f"{episode.sessions} session{'s' if episode.sessions != 1 else ''}"
    why = _why(episode, risk)
    if episode.scope == "session" and episode.end is not None:
        return f"halted {episode.start} for {n}: {why}; lifted at the next session"
    if episode.end is not None:
        return f"halted {episode.start} → {episode.end} ({n}): {why}; resumed"
    if paper:
        return f"halted {episode.start} → now ({n}): {why}; resume with `trade resume`"
    return f"halted {episode.start} → end ({n}): {why}; a backtest stays halted (paper: resume with `trade resume`)"


def stories(found: Sequence[HaltEpisode], risk: Mapping[str, object], *, paper: bool, limit: int = 6) -> list[str]:
    """Every persistent halt, and the latest session halts up to ``limit`` lines in all."""
    persistent = [e for e in found if e.scope != "session" or e.end is None]
    daily = [e for e in found if e not in persistent]
    room = max(limit - len(persistent), 0)
    shown = sorted(persistent + (daily[max(len(daily) - room, 0) :] if room else []), key=lambda e: e.start)
    lines = [story(e, risk, paper=paper) for e in shown]
    hidden = len(found) - len(shown)
    if hidden:
        lines.append(f"… and {hidden} earlier one-session halt{'s' if hidden != 1 else ''} (daily loss limit)")
    return lines


__all__ = ["HaltEpisode", "episodes", "stories", "story"]
