"""Account guards: the daily loss limit and the maximum drawdown, both evaluated every decision.

A day that breaches both is a drawdown halt: the persistent halt wins over the one-session halt, so
trading cannot resume the next session below the drawdown limit.
"""

from __future__ import annotations

from framework.config.execution import RiskConfig
from framework.risk.decisions import HaltReason


def breached(cfg: RiskConfig, equity: float, session_start: float, peak: float) -> list[HaltReason]:
    """Every guard breached, persistent ones first."""
    found = []
    if peak > 0 and (peak - equity) / peak >= cfg.max_drawdown:
        found.append(HaltReason.DRAWDOWN)
    if session_start > 0 and (session_start - equity) / session_start >= cfg.daily_loss_limit:
        found.append(HaltReason.DAILY_LOSS)
    return found


def scope_of(reason: HaltReason) -> str:
    """A daily-loss halt covers its session; every other halt stays until resumed."""
    return "session" if reason in (HaltReason.DAILY_LOSS, HaltReason.LOSS_WATCH) else "persistent"
