"""The signal report's figures (matplotlib, embedded PNG): IC by day, IC decay over horizons,
mean return by quantile, feature importance, calibration."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analyzers.charts import STRATEGY, Chart
from analyzers.sweep_figures import png

ROLLING = 63  # sessions: the smoothed IC line


def ic_by_day(ic: pd.Series, horizon: int) -> Chart:
    def draw(fig) -> None:
        ax = fig.add_subplot()
        days = pd.DatetimeIndex(ic.index).tz_localize(None) if ic.index.tz is not None else ic.index
        ax.plot(days, ic.to_numpy(), lw=0.6, color="#9dbbdb", label="IC of the day")
        ax.plot(days, ic.rolling(ROLLING, min_periods=ROLLING // 2).mean().to_numpy(), color=STRATEGY, lw=1.6,
                label=f"{ROLLING}-session mean")
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_ylabel("rank IC")
        ax.legend(loc="upper left", frameon=False)

    return Chart("ic-by-day", f"Rank IC by day, {horizon}-session forward return", png(draw),
                 "Spearman correlation across symbols of the signal and the forward return")


def ic_decay(horizons: Sequence[int], means: Sequence[float], errors: Sequence[float]) -> Chart:
    def draw(fig) -> None:
        ax = fig.add_subplot()
        x = np.arange(len(horizons))
        ax.bar(x, means, color=STRATEGY, yerr=[2 * e for e in errors], capsize=4, ecolor="#555555")
        ax.set_xticks(x, [str(h) for h in horizons])
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_xlabel("horizon (sessions)")
        ax.set_ylabel("mean rank IC")

    return Chart("ic-decay", "IC decay over horizons", png(draw, (7.0, 3.2)),
                 "mean IC per horizon, bars ±2 Newey–West standard errors")


def quantile_bars(means_bps: pd.Series, horizon: int) -> Chart:
    def draw(fig) -> None:
        ax = fig.add_subplot()
        colours = ["#d1493f" if v < 0 else "#2e9e4f" for v in means_bps.to_numpy()]
        ax.bar([f"Q{q}" for q in means_bps.index], means_bps.to_numpy(), color=colours)
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_ylabel(f"mean {horizon}-session return (bps)")

    return Chart("quantile-returns", f"Mean forward return by signal quantile ({horizon} sessions)",
                 png(draw, (7.0, 3.2)), "Q1 = lowest signal, the last = highest")


def importance(gain: pd.Series) -> Chart:
    def draw(fig) -> None:
        ax = fig.add_subplot()
        shown = gain.iloc[::-1]
        ax.barh(list(shown.index), shown.to_numpy(), color=STRATEGY)
        ax.set_xlabel("mean gain across the folds' models")

    return Chart("importance", "Feature importance", png(draw, (7.0, 0.3 * len(gain) + 1.2)),
                 "XGBoost gain, averaged over the walk-forward models")


def calibration(frame: pd.DataFrame, realised: str) -> Chart:
    def draw(fig) -> None:
        ax = fig.add_subplot()
        ax.plot(frame["predicted"], frame["realised"], marker="o", color=STRATEGY, label="out of sample")
        low = float(min(frame["predicted"].min(), frame["realised"].min()))
        high = float(max(frame["predicted"].max(), frame["realised"].max()))
        ax.plot([low, high], [low, high], color="#8c8c8c", lw=1, ls="--", label="perfectly calibrated")
        ax.set_xlabel("mean predicted")
        ax.set_ylabel("mean realised")
        ax.legend(loc="upper left", frameon=False)

    return Chart("calibration", "Calibration: predicted against realised", png(draw, (6.0, 4.0)),
                 f"predictions in equal-count bins; realised: {realised}")


__all__ = ["calibration", "ic_by_day", "ic_decay", "importance", "quantile_bars"]
