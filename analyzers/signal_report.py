"""`trade signals NAME --out DIR`: judge a plugin's signal before paying for a backtest.

From the plugin's signals (exactly what a backtest would trade, through
:func:`framework.strategy.compute_signals`, or the plugin's ``signal_diagnostics`` hook, which
returns the same signals with its model's out-of-sample figures) and the forward returns of the
adjusted closes: IC by day and over horizons, returns by quantile, turnover, autocorrelation,
coverage (:mod:`framework.research.signal_quality`), and a one-line verdict. Written as
``DIR/signals.html`` (laid out like the tear sheet) and ``DIR/signals.json`` (the same figures).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analyzers import signal_figures as figures
from analyzers import units
from analyzers.sheet_model import Section, Table, label, num, signed
from analyzers.tearsheet import render_page
from framework.data import MarketData
from framework.errors import InputError, StrategyError, UserError
from framework.research.model_diagnostics import ModelDiagnostics
from framework.research.signal_quality import (
    DEFAULT_HORIZONS,
    DEFAULT_QUANTILES,
    MIN_NAMES,
    SignalQuality,
    measure,
    verdict,
)
from framework.strategy import Strategy, check_signals, compute_signals

HTML_FILE, JSON_FILE = "signals.html", "signals.json"


@dataclass(frozen=True)
class SignalReport:
    strategy: str
    params: dict[str, Any]
    start: pd.Timestamp  # first session measured (after the plugin's warm-up)
    end: pd.Timestamp
    symbols: int
    data_fingerprint: str
    quality: SignalQuality
    model: ModelDiagnostics | None
    verdict: str


def _signals(plugin: Strategy, history: MarketData) -> tuple[pd.DataFrame, ModelDiagnostics | None]:
    hook = getattr(plugin, "signal_diagnostics", None)
    if not callable(hook):
        return compute_signals(plugin, history), None
    try:
        raw, model = hook(history.adjusted())
    except (StrategyError, UserError):
        raise
    except Exception as e:
        raise StrategyError(f"strategy {plugin.name!r} failed: {type(e).__name__}: {e}") from e
    return check_signals(plugin, raw, history), model


def build(plugin: Strategy, history: MarketData, horizons: Sequence[int] = DEFAULT_HORIZONS,
          primary: int | None = None, quantiles: int = DEFAULT_QUANTILES,
          start: str | pd.Timestamp | None = None) -> SignalReport:
    """Signals over ``history``, measured from the end of the plugin's warm-up (or ``start``,
    if later: the bars before it are still the plugin's history)."""
    signals, model = _signals(plugin, history)
    dates = history.dates
    measured = dates[min(plugin.warmup_bars, len(dates) - 1):]
    if start is not None:
        measured = measured[measured >= pd.Timestamp(start)]
    if len(measured) < 2 * max(horizons, default=1) + 2:
        raise InputError(f"{len(measured)} sessions after {plugin.name}'s warm-up of {plugin.warmup_bars} bars are "
                         f"too few to measure a {max(horizons)}-session horizon; give more history")
    close = history.adjusted().close.loc[measured]
    primary = primary or (model.horizon if model is not None else 5)
    quality = measure(signals.loc[measured], close, horizons, primary, quantiles)
    line = verdict(quality)
    if model is not None and math.isfinite(model.pooled_auc):
        line += (f" Model: pooled out-of-sample AUC {model.pooled_auc:.3f}, {model.folds_above_half} of "
                 f"{len(model.folds)} folds above 0.5.")
    return SignalReport(plugin.name, plugin.params.model_dump(mode="json"), measured[0], measured[-1],
                        len(history.symbols), history.fingerprint, quality, model, line)


# -- JSON ------------------------------------------------------------------------------------


def payload(report: SignalReport) -> dict[str, Any]:
    q = report.quality
    return {
        "strategy": report.strategy,
        "params": report.params,
        "period": {"start": str(report.start.date()), "end": str(report.end.date()),
                   "sessions": q.coverage.dates},
        "symbols": report.symbols,
        "data_fingerprint": report.data_fingerprint,
        "forward_return": "adjusted close of t to adjusted close of t + horizon",
        "primary_horizon": q.primary,
        "quantiles": q.quantiles,
        "verdict": report.verdict,
        "horizons": [h.as_dict() for h in q.horizons],
        "turnover": {"top": _clean(q.top_turnover), "bottom": _clean(q.bottom_turnover)},
        "rank_autocorrelation": _clean(q.mean_autocorrelation),
        "coverage": q.coverage.as_dict(),
        "model": report.model.as_dict() if report.model is not None else None,
    }


def _clean(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


# -- the page --------------------------------------------------------------------------------


def _verdict_section(report: SignalReport) -> Section:
    c = report.quality.coverage
    rows = [
        [label("period measured"), num(f"{report.start.date()} .. {report.end.date()} ({c.dates} sessions)")],
        [label("symbols"), num(units.count(report.symbols))],
        [label("coverage", "cells with a price that have a signal"), num(units.pct(c.share, 1))],
        [label("names with a view a day", "mean, and the fewest"), num(f"{c.mean_names:.1f} (min {c.min_names})")],
        [label(f"sessions with {MIN_NAMES}+ names", "what the IC and the quantiles need"),
         num(units.count(c.usable_dates))],
    ]
    note = ("Forward return: adjusted close of t to adjusted close of t + horizon (the backtest fills at the next "
            "open). t-statistics use Newey–West errors with horizon − 1 lags, since h-session returns of "
            "neighbouring days overlap; the non-overlapping t uses every h-th session only.")
    return Section("verdict", "Verdict", [f"⚠ {report.verdict}" if "No predictive" in report.verdict
                                          or "Inverted" in report.verdict else report.verdict,
                                          Table("coverage", ["", "value"], rows), note])


def _ic_section(q: SignalQuality) -> Section:
    rows = []
    for h in q.horizons:
        t = h.ic_test
        share = float((h.ic.dropna() > 0).mean()) if h.ic.notna().any() else math.nan
        rows.append([label(f"{h.horizon} session(s)"), signed(units.ratio(t.mean, 4), t.mean),
                     num(units.ratio(t.se, 4)), signed(units.ratio(t.t), t.t),
                     signed(units.ratio(t.t_non_overlapping), t.t_non_overlapping), num(units.pct(share, 1)),
                     num(units.count(t.n))])
    table = Table("ic", ["horizon", "mean IC", "NW s.e.", "t (Newey–West)", "t (non-overlapping)", "IC > 0",
                         "sessions"], rows, caption="Rank information coefficient")
    main = q.at(q.primary)
    blocks: list = [table, figures.ic_by_day(main.ic, main.horizon)]
    if len(q.horizons) > 1:
        blocks.append(figures.ic_decay([h.horizon for h in q.horizons], [h.ic_test.mean for h in q.horizons],
                                       [h.ic_test.se for h in q.horizons]))
    return Section("ic", "Information coefficient", blocks)


def _quantile_section(q: SignalQuality) -> Section:
    headers = ["horizon", *(f"Q{i}" for i in range(1, q.quantiles + 1)), "top − bottom", "t (Newey–West)",
               "t (non-overlapping)"]
    rows = []
    for h in q.horizons:
        s = h.spread_test
        rows.append([label(f"{h.horizon} session(s)"),
                     *(signed(units.bps(v * 1e4), v) for v in h.quantile_means.to_numpy()),
                     signed(units.bps(s.mean * 1e4), s.mean), signed(units.ratio(s.t), s.t),
                     signed(units.ratio(s.t_non_overlapping), s.t_non_overlapping)])
    table = Table("quantiles", headers, rows, caption="Mean forward return by quantile of the signal (bps over the "
                  "horizon; Q1 lowest signal)")
    main = q.at(q.primary)
    return Section("quantiles", "Returns by quantile", [table, figures.quantile_bars(main.quantile_means * 1e4,
                                                                                      main.horizon)])


def _turnover_section(q: SignalQuality) -> Section:
    rows = [
        [label(f"top quantile (Q{q.quantiles})", "share of its names that were not there the session before"),
         num(units.pct(q.top_turnover, 1))],
        [label("bottom quantile (Q1)"), num(units.pct(q.bottom_turnover, 1))],
        [label("rank autocorrelation, 1 session", "Spearman, signal today against yesterday"),
         num(units.ratio(q.mean_autocorrelation, 3))],
    ]
    return Section("turnover", "Turnover and autocorrelation", [Table("turnover", ["", "mean a session"], rows)])


def _model_section(model: ModelDiagnostics) -> Section:
    f = model.folds
    rows = [[label(str(i)), num(f"{r.test_start} .. {r.test_end}"), num(units.count(r.n_test)),
             num(units.ratio(r.auc, 3)), signed(units.ratio(r.rank_ic, 3), r.rank_ic), num(units.ratio(r.hit_rate, 3))]
            for i, r in enumerate(f.itertuples(index=False), 1)]
    mean = f[["auc", "rank_ic", "hit_rate"]].mean() if len(f) else pd.Series(dtype=float)
    rows.append([label("mean"), num(""), num(""), num(units.ratio(mean.get("auc"), 3)),
                 signed(units.ratio(mean.get("rank_ic"), 3), mean.get("rank_ic")),
                 num(units.ratio(mean.get("hit_rate"), 3))])
    folds = Table("folds", ["fold", "test period", "rows", "AUC", "rank IC", "hit rate"], rows,
                  caption=f"Out of sample, fold by fold (as `trade train` prints): {model.task}, "
                          f"{model.horizon}-session label",
                  note=f"Pooled out-of-sample AUC {units.ratio(model.pooled_auc, 3)}; {model.folds_above_half} of "
                       f"{len(f)} folds above 0.5.")
    blocks: list = [folds]
    if len(model.importance):
        blocks.append(figures.importance(model.importance))
    if len(model.calibration):
        c = model.calibration
        blocks.append(Table("calibration", ["bin", "mean predicted", "mean realised", "rows"],
                            [[label(str(r.bin)), num(units.ratio(r.predicted, 3)), num(units.ratio(r.realised, 3)),
                              num(units.count(r.n))] for r in c.itertuples(index=False)],
                            caption=f"Calibration (realised: {model.realised_label})"))
        blocks.append(figures.calibration(c, model.realised_label))
    return Section("model", "Model, out of sample", blocks)


def render(report: SignalReport) -> str:
    q = report.quality
    sections = [_verdict_section(report), _ic_section(q), _quantile_section(q), _turnover_section(q)]
    if report.model is not None:
        sections.append(_model_section(report.model))
    params = ", ".join(f"{k}={v}" for k, v in report.params.items())
    subtitle = (f"{report.start.date()} .. {report.end.date()} · {report.symbols} symbols · "
                f"verdict at {q.primary} session(s) · {params}")
    footer = ("Built by `trade signals` from the plugin's signals and the data's forward returns; no backtest was "
              "run. A signal with no predictive power here will not earn in a backtest either.")
    return render_page(f"Signal report: {report.strategy}", subtitle, sections, footer)


def write(report: SignalReport, out: Path) -> None:
    """``signals.json`` and ``signals.html`` into ``out`` (made if missing), each replaced whole."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in ((JSON_FILE, json.dumps(payload(report), indent=2) + "\n"), (HTML_FILE, render(report))):
        scratch = out / f".{name}.tmp"
        scratch.write_text(text)
        scratch.replace(out / name)


__all__ = ["HTML_FILE", "JSON_FILE", "SignalReport", "build", "payload", "render", "write"]
