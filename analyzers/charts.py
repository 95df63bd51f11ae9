"""The tear sheet's figures, drawn with matplotlib and embedded as PNG.

Axes say their unit (percent with as many decimals as the range needs, never ``-0%``), dates
read at any span (matplotlib's concise formatter), short runs get markers, and halted stretches
are shaded, so a chart explains itself. Callers draw a chart only when it has data.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display, no IPython: figures go to PNG bytes

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analyzers.frames import pyfolio
from analyzers.halts import HaltEpisode

STRATEGY = "#1f6fb4"
BENCHMARK = "#8c8c8c"
LONG, SHORT, NET = "#2e9e4f", "#d1493f", "#222222"
HALT = "#f4b183"
MARKERS_UNTIL = 40  # sessions: shorter series are drawn with a marker at each point
WIDTH = 14  # inches at DPI: a figure as wide as a 1400 px window's content, scaled down in narrower ones
DPI = 100
IN_CASH_VOLATILITY = 0.005  # annualised: below it the rolling Sharpe is not drawn


@dataclass(frozen=True, slots=True)
class Chart:
    key: str  # a stable id for the page (tests and links find figures by it)
    title: str
    png: str  # base64
    caption: str = ""


def naive(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    return idx.tz_localize(None) if idx.tz is not None else idx


def percent(ax: plt.Axes, axis: str = "y") -> None:
    """Percent ticks with the decimals the visible range needs; a zero reads ``0%``."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def fmt(x: float, _pos: object) -> str:
        lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
        span = abs(hi - lo) * 100
        digits = 0 if span >= 5 else 1 if span >= 0.5 else 2 if span >= 0.05 else 3
        text = f"{x * 100:.{digits}f}%"
        return "0%" if float(text[:-1]) == 0 else text

    target.set_major_locator(MaxNLocator(nbins=6))
    target.set_major_formatter(FuncFormatter(fmt))


def dates(ax: plt.Axes) -> None:
    lo, hi = ax.dataLim.intervalx
    if np.isfinite(lo) and hi - lo < 4:  # a day or two of data: a week around it, not years
        ax.set_xlim(lo - 3, hi + 3)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def style(ax: plt.Axes) -> None:
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def marker(n: int) -> str | None:
    return "o" if n <= MARKERS_UNTIL else None


def _shade(ax: plt.Axes, halts: Sequence[HaltEpisode], last: pd.Timestamp) -> None:
    for i, h in enumerate(halts):
        end = pd.Timestamp(h.end) if h.end is not None else last
        start = pd.Timestamp(h.start)
        if end <= start:
            end = start + pd.Timedelta(days=1)
        ax.axvspan(start, end, color=HALT, alpha=0.35, linewidth=0, label="halted" if i == 0 else None)


def png(fig: plt.Figure) -> str:
    """The figure as base64 PNG (closed afterwards)."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _figure(height: float = 3.2, rows: int = 1) -> tuple[plt.Figure, np.ndarray]:
    fig, axes = plt.subplots(rows, 1, figsize=(WIDTH, height), squeeze=False, sharex=True)
    for ax in axes[:, 0]:
        style(ax)
    return fig, axes[:, 0]


def cumulative(returns: pd.Series, benchmark: pd.Series | None, bench_name: str,
               halts: Sequence[HaltEpisode]) -> Chart:
    fig, (ax,) = _figure(3.6)
    days = naive(returns.index)
    m = marker(len(days))
    ax.plot(days, (1 + returns.to_numpy()).cumprod() - 1, color=STRATEGY, lw=1.6, marker=m, ms=4, label="strategy")
    if benchmark is not None:
        ax.plot(days, (1 + benchmark.to_numpy()).cumprod() - 1, color=BENCHMARK, lw=1.2, marker=m, ms=3,
                label=bench_name)
    ax.axhline(0, color="#555555", lw=0.8)
    _shade(ax, halts, days[-1])
    percent(ax)
    dates(ax)
    ax.set_ylabel("cumulative return")
    ax.legend(loc="upper left", frameon=False)
    caption = "strategy vs " + bench_name if benchmark is not None else "no benchmark: no bars for the run's period"
    return Chart("cumulative", "Cumulative return", png(fig), caption)


def underwater(returns: pd.Series, halts: Sequence[HaltEpisode]) -> Chart:
    fig, (ax,) = _figure(2.6)
    days = naive(returns.index)
    wealth = (1 + returns.to_numpy()).cumprod()
    under = wealth / np.maximum.accumulate(wealth) - 1
    ax.fill_between(days, under, 0, color=SHORT, alpha=0.45)
    ax.plot(days, under, color=SHORT, lw=1.0, marker=marker(len(days)), ms=3)
    _shade(ax, halts, days[-1])
    percent(ax)
    dates(ax)
    ax.set_ylabel("below the peak")
    return Chart("underwater", "Drawdown (underwater)", png(fig), "fall from the running peak of equity")


def rolling(returns: pd.Series, benchmark: pd.Series | None, window: int, words: str,
            invested: pd.Series | None = None) -> Chart:
    """``invested``: by session, whether the book held anything; the Sharpe line is not drawn
    where it was flat (a window of cash has a Sharpe of noise)."""
    pts = pyfolio().timeseries
    rows = 3 if benchmark is not None else 2
    fig, axes = _figure(2.2 * rows, rows)
    days = naive(returns.index)
    r = pd.Series(returns.to_numpy(), index=days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vol = pts.rolling_volatility(r, window)
        sharpe = pts.rolling_sharpe(r, window)
    axes[0].plot(vol.index, vol, color=STRATEGY, lw=1.2)
    percent(axes[0])
    axes[0].set_ylabel("volatility (ann.)")
    flat = vol <= IN_CASH_VOLATILITY  # a book (nearly) in cash has no meaningful Sharpe
    if invested is not None:
        flat |= ~pd.Series(invested.to_numpy(), index=days)
    sharpe = sharpe.where(~flat)
    axes[1].plot(sharpe.index, sharpe, color=STRATEGY, lw=1.2)
    axes[1].axhline(0, color="#555555", lw=0.8)
    axes[1].set_ylabel("Sharpe (ann.)")
    if benchmark is not None:
        b = pd.Series(benchmark.to_numpy(), index=days)
        beta = r.rolling(window).cov(b) / b.rolling(window).var()
        axes[2].plot(beta.index, beta, color=STRATEGY, lw=1.2)
        axes[2].axhline(1, color=BENCHMARK, lw=0.8, ls="--")
        axes[2].set_ylabel("beta")
    dates(axes[-1])
    caption = f"each point uses the {window} sessions up to it"
    if flat.any():
        caption += "; no Sharpe line where the book was flat (all cash)"
    return Chart("rolling", f"Rolling volatility, Sharpe and beta ({words})", png(fig), caption)


def distribution(returns: pd.Series, benchmark: pd.Series | None, bench_name: str) -> Chart:
    fig, (ax,) = _figure(2.8)
    values = returns.to_numpy()
    both = np.concatenate([values, benchmark.to_numpy()]) if benchmark is not None else values
    bins = np.histogram_bin_edges(both, bins=min(60, max(5, len(values) // 3)))
    heights, _, _ = ax.hist(values, bins=bins, color=STRATEGY, alpha=0.75, label="strategy")
    others = 0.0
    if benchmark is not None:
        bench_heights, _, _ = ax.hist(benchmark.to_numpy(), bins=bins, histtype="step", color=NET, lw=1.2,
                                      label=bench_name)
        others = float(max(bench_heights))
    _clip_spike(ax, np.asarray(heights), bins, others)
    percent(ax, "x")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("sessions")
    ax.set_xlabel("daily return")
    ax.legend(loc="upper left", frameon=False)
    return Chart("distribution", "Distribution of daily returns", png(fig), f"{len(values)} sessions")


def _clip_spike(ax: plt.Axes, heights: np.ndarray, bins: np.ndarray, others: float) -> None:
    """Sessions in cash pile up at 0 and flatten the rest: cap the axis and label the tall bar."""
    ordered = np.sort(heights)
    rest = max(float(ordered[-2]) if len(ordered) > 1 else 0.0, others, 1.0)
    if len(ordered) < 3 or ordered[-1] <= 2 * rest:
        return
    cap = rest * 1.3
    ax.set_ylim(0, cap)
    i = int(np.argmax(heights))
    ax.annotate(f"{int(heights[i])} ↑", ((bins[i] + bins[i + 1]) / 2, cap), xytext=(0, -12),
                textcoords="offset points", ha="center", fontsize=8, color=NET)


def exposure(frame: pd.DataFrame) -> Chart:
    fig, (ax,) = _figure(2.8)
    days = naive(frame.index)
    step = "post" if len(days) <= MARKERS_UNTIL else None
    ax.fill_between(days, frame["long"], 0, color=LONG, alpha=0.5, label="long", step=step)
    if (frame["short"] < 0).any():
        ax.fill_between(days, frame["short"], 0, color=SHORT, alpha=0.5, label="short", step=step)
        ax.plot(days, frame["gross"], color=NET, lw=0.9, ls="--", label="gross")
    ax.plot(days, frame["net"], color=NET, lw=1.0, label="net", drawstyle="steps-post" if step else "default")
    percent(ax)
    dates(ax)
    ax.set_ylabel("of equity")
    ax.legend(loc="lower left", frameon=False, ncol=4)
    return Chart("exposure", "Exposure", png(fig), "positions' market value / equity at each close")


def holdings(count: pd.Series) -> Chart:
    fig, (ax,) = _figure(2.4)
    days = naive(count.index)
    ax.step(days, count.to_numpy(), where="post", color=STRATEGY, lw=1.3, marker=marker(len(days)), ms=4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    dates(ax)
    ax.set_ylabel("positions")
    return Chart("holdings", "Holdings count", png(fig), f"average {count.mean():.1f}, most {int(count.max())}")


def sectors(weights: pd.DataFrame, columns: int = 4) -> Chart:
    """Small multiples: one panel per sector on a shared scale (11 stacked colours cannot be read)."""
    days = naive(weights.index)
    ordered = weights[weights.abs().mean().sort_values(ascending=False).index]
    rows = -(-len(ordered.columns) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(WIDTH, 1.7 * rows + 0.4), squeeze=False, sharex=True,
                             sharey=True)
    step = "post" if len(days) <= MARKERS_UNTIL else None
    for ax, column in zip(axes.flat, ordered.columns, strict=False):
        style(ax)
        values = ordered[column].to_numpy()
        ax.fill_between(days, values, 0, color=np.where(values.mean() >= 0, LONG, SHORT).item(), alpha=0.55, step=step)
        ax.set_title(f"{column}  (avg {ordered[column].mean() * 100:.1f}%)", fontsize=9, loc="left")
        percent(ax)
    for ax in axes.flat[len(ordered.columns):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        dates(ax)
    return Chart("sectors", "Sector exposure", png(fig),
                 "net market value by sector / equity, one panel per sector on the same scale, largest first")


def turnover(daily: pd.Series) -> Chart:
    fig, (ax,) = _figure(2.6)
    days = naive(daily.index)
    ax.bar(days, daily.to_numpy(), width=1.0 if len(days) > MARKERS_UNTIL else 0.6, color=STRATEGY, alpha=0.6,
           label="daily")
    if len(days) >= 42:
        ax.plot(days, daily.rolling(21).mean(), color=NET, lw=1.1, label="21-session mean")
        ax.legend(loc="upper right", frameon=False)
    percent(ax)
    dates(ax)
    ax.set_ylabel("traded / equity")
    return Chart("turnover", "Daily turnover", png(fig), "value traded in the session / equity")


def execution_daily(daily: pd.DataFrame) -> Chart:
    """Slippage by decision day (top) and what execution cost over the run (bottom)."""
    fig, (ax, cost) = _figure(4.6, 2)
    days = naive(daily.index)
    m = marker(len(days))
    decision = daily["slippage_decision_bps"].to_numpy()
    ax.plot(days, decision, color=BENCHMARK, lw=0.6, marker=m or ".", ms=3, ls="-" if m else "none",
            label="vs decision (close of the signal day)")
    arrival = daily["slippage_arrival_bps"].to_numpy()
    if np.isfinite(arrival).any():
        ax.plot(days, arrival, color=STRATEGY, lw=1.2, marker=m, ms=4, label="vs arrival (the open it filled at)")
    ax.axhline(0, color="#555555", lw=0.8)
    finite_values = decision[np.isfinite(decision)]
    if len(finite_values) > MARKERS_UNTIL:
        lo, hi = np.percentile(finite_values, [2, 98])
        pad = (hi - lo) * 0.1 + 1
        ax.set_ylim(min(lo, 0) - pad, max(hi, 0) + pad)
    ax.set_ylabel("slippage, bps")
    ax.legend(loc="upper left", frameon=False, ncol=2, fontsize=8)
    cost.plot(days, daily["shortfall_usd"].cumsum().to_numpy(), color=SHORT, lw=1.4, marker=m, ms=3,
              label="implementation shortfall")
    cost.plot(days, daily["commission_usd"].fillna(0.0).cumsum().to_numpy(), color=NET, lw=1.1,
              marker=m, ms=3, label="commission & fees")
    cost.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"))
    cost.set_ylabel("cumulative")
    cost.legend(loc="upper left", frameon=False, ncol=2, fontsize=8)
    dates(cost)
    caption = "notional-weighted slippage of each day's orders (positive = cost)"
    if not np.isfinite(arrival).any():
        caption += "; no arrival prices were recorded, so no slippage vs arrival"
    if len(finite_values) > MARKERS_UNTIL:
        caption += "; the slippage axis shows the 2nd to 98th percentile of days"
    return Chart("execution-daily", "Slippage by day and execution cost over the run", png(fig), caption)


__all__ = [
    "Chart",
    "cumulative",
    "distribution",
    "execution_daily",
    "exposure",
    "holdings",
    "rolling",
    "sectors",
    "turnover",
    "underwater",
]
