"""Can the configured caps hold the book the signals target? A small universe under a per-position
cap is silently mostly cash (3 symbols at 10% each: at most 30% invested); this says so, naming
the settings, before anything trades.

Pure policy: the settings and the symbols in, the sentence (or nothing) out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from framework.config.settings import Settings

FAR_FROM_INVESTED = 0.8  # the caps allow less than this share of the target: say so


def investable(settings: Settings, symbols: Sequence[str], sectors: pd.Series | None = None) -> float:
    """The most the caps let the book hold, as a fraction of equity."""
    sig, risk = settings.signals, settings.risk
    picks = len(symbols) if sig.top_n is None else min(sig.top_n, len(symbols))
    by_positions = picks * risk.max_position_weight
    by_sectors = float("inf")
    if sectors is not None and len(sectors):
        groups = pd.Series([sectors.get(s, s) for s in symbols]).value_counts()
        by_sectors = float(sum(min(n * risk.max_position_weight, risk.max_sector_exposure) for n in groups))
    return min(by_positions, by_sectors, risk.max_gross_exposure)


def capacity_warning(settings: Settings, symbols: Sequence[str], sectors: pd.Series | None = None) -> str | None:
    """One line when the caps keep the book far below ``signals.gross_target``, naming the setting
    that binds; None when they do not."""
    target = settings.signals.gross_target
    most = investable(settings, symbols, sectors)
    if most >= FAR_FROM_INVESTED * target:
        return None
    risk = settings.risk
    n = len(symbols) if settings.signals.top_n is None else min(settings.signals.top_n, len(symbols))
    by_positions = n * risk.max_position_weight
    if most >= by_positions - 1e-12:
        why = (f"{n} symbol{'s' if n != 1 else ''} each capped at risk.max_position_weight "
               f"{risk.max_position_weight:.0%}")
        fix = "raise risk.max_position_weight or trade more symbols"
    elif most >= risk.max_gross_exposure - 1e-12:
        why, fix = f"risk.max_gross_exposure {risk.max_gross_exposure:.0%}", "raise risk.max_gross_exposure"
    else:
        why = f"risk.max_sector_exposure {risk.max_sector_exposure:.0%} over these symbols' sectors"
        fix = "raise risk.max_sector_exposure or trade other sectors"
    return (f"the caps let the book hold at most {most:.0%} of equity ({why}) against signals.gross_target "
            f"{target:.0%}: the rest stays in cash; {fix}")


__all__ = ["FAR_FROM_INVESTED", "capacity_warning", "investable"]
