"""The sweep report's figures, drawn by matplotlib into base64 PNG (embedded, so the page works offline).

Each function takes plain values (numbers, and tick labels already formatted for people) and
returns the PNG as base64 text; what to show and how to label it is the report's business.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: figures go to PNG bytes

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def png(draw: Callable[[plt.Figure], None], size: tuple[float, float] = (9.0, 3.6)) -> str:
    fig = plt.figure(figsize=size)
    draw(fig)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def heatmap(cells: np.ndarray, x_ticks: Sequence[str], y_ticks: Sequence[str], x: str, y: str, metric: str) -> str:
    """``cells[i, j]``: the metric at y value i and x value j (NaN: no point there)."""

    def draw(fig: plt.Figure) -> None:
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(cells), cmap="viridis", aspect="auto", origin="lower")
        ax.set_xticks(range(len(x_ticks)), list(x_ticks))
        ax.set_yticks(range(len(y_ticks)), list(y_ticks))
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        low, high = np.nanmin(cells), np.nanmax(cells)
        for (i, j), value in np.ndenumerate(cells):
            if np.isfinite(value):
                bright = high > low and (value - low) / (high - low) > 0.6  # viridis turns yellow
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", color="black" if bright else "white",
                        fontsize=8)
        fig.colorbar(image, ax=ax, label=metric)

    return png(draw, (7.0, 4.2))


@dataclass(frozen=True)
class Profile:
    """The metric along one parameter; ``best`` is the best point's position on it, if there."""

    parameter: str
    ticks: Sequence[str]
    values: Sequence[float]
    best: int | None = None


def profiles(panels: Sequence[Profile], metric: str) -> str:
    """One small line chart per parameter, side by side, the best point starred."""

    def draw(fig: plt.Figure) -> None:
        for i, panel in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            ax.plot(range(len(panel.values)), list(panel.values), marker="o")
            if panel.best is not None:
                j = panel.best
                ax.plot([j], [panel.values[j]], marker="*", markersize=14, color="crimson", linestyle="none",
                        label="best")
                ax.legend(loc="best", fontsize=8)
            ax.set_xticks(range(len(panel.ticks)), list(panel.ticks), rotation=30 if len(panels) > 1 else 0)
            ax.set_xlabel(panel.parameter)
            ax.set_ylabel(metric)
            ax.grid(alpha=0.3)

    return png(draw, (3.4 * len(panels) + 1, 3.4) if len(panels) > 1 else (9.0, 3.6))


def cscv(in_sample: np.ndarray, out_of_sample: np.ndarray, logits: np.ndarray) -> str:
    def draw(fig: plt.Figure) -> None:
        left = fig.add_subplot(1, 2, 1)
        left.scatter(in_sample, out_of_sample, s=6, alpha=0.3)
        left.axhline(0, color="grey", linewidth=0.8)
        left.set_xlabel("in-sample Sharpe of the in-sample best (daily)")
        left.set_ylabel("its out-of-sample Sharpe (daily)")
        right = fig.add_subplot(1, 2, 2)
        right.hist(logits, bins=30, color="tab:orange")
        right.axvline(0, color="crimson", linewidth=1)
        right.set_xlabel("logit of the out-of-sample rank (≤ 0: overfit)")
        right.set_ylabel("splits")

    return png(draw, (10.0, 3.8))


def equity_curves(curves: dict[str, pd.Series], marks: Sequence[pd.Timestamp]) -> str:
    """Growth-of-1 curves by label, with dotted lines at ``marks`` (the folds' starts)."""

    def draw(fig: plt.Figure) -> None:
        ax = fig.add_subplot()
        for label, curve in curves.items():
            ax.plot(curve.index, curve.to_numpy(), label=label)
        for mark in marks:
            ax.axvline(mark, color="grey", linewidth=0.6, linestyle=":")
        ax.set_ylabel("growth of 1")
        ax.legend(loc="best", fontsize=8)
        ax.grid(alpha=0.3)

    return png(draw)


__all__ = ["Profile", "cscv", "equity_curves", "heatmap", "png", "profiles"]
