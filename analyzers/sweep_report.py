"""``report.html`` of a sweep: self-contained (figures as embedded PNG, ``sweep_figures``; tables as HTML).

Top points; the metric over every pair of swept parameters; how it falls off around the best
point; in-sample against out-of-sample (CSCV splits, and the walk-forward's stitched curve
beside the best in-sample one); the deflated Sharpe ratio and the PBO, each with a one-line
reading. Every number that is undefined shows as "n/a".
"""

from __future__ import annotations

import html
import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from analyzers import sweep_figures as figures
from framework.research.findings import SweepFindings, WalkForwardFindings
from framework.research.grid import short_name
from framework.research.overfitting import INTERVAL_LEVEL, OverfittingProbability, reconcile
from framework.research.walk_forward import equity

TOP_POINTS = 10
MAX_HEATMAPS = 3
PERCENT = {"total_return", "cagr", "max_drawdown"}


# -- formatting ------------------------------------------------------------------------------


def fmt(value: Any, name: str = "") -> str:
    """A number for people: percentages where they read best, "n/a" for anything undefined."""
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{value:.2%}" if name in PERCENT else f"{value:.4g}"
    return str(value)


def _esc(value: Any, name: str = "") -> str:
    return html.escape(fmt(value, name))


def _numeric(column: pd.Series) -> bool:
    """A column of numbers (right-aligned, as in the tear sheet), missing values allowed."""
    values = column.dropna()
    return pd.api.types.is_numeric_dtype(column) or (
        len(values) > 0 and all(isinstance(v, int | float | np.integer | np.floating) for v in values)
    )


def _table(frame: pd.DataFrame, table_id: str) -> str:
    numeric = {c: _numeric(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns}
    head = "".join(f"<th>{html.escape(str(c))}</th>" if numeric[c] else f'<th class="left">{html.escape(str(c))}</th>'
                   for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if numeric[c] else "label"}">{_esc(v, str(c))}</td>'
                         for c, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    box = "wide" if len(frame.columns) > 6 else "tablebox"
    table = f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return f'<div class="{box}">{table}</div>'


def _figure(name: str, data: str, tile: bool = False) -> str:
    alt = html.escape(name)
    css = ' class="tile"' if tile else ""
    return f'<figure{css}><img alt="{alt}" src="data:image/png;base64,{data}"><figcaption>{alt}</figcaption></figure>'


# -- the pieces ------------------------------------------------------------------------------


def _ok(findings: SweepFindings) -> pd.DataFrame:
    results = findings.results
    ok = results[(results["status"] == "ok") & results[findings.metric.value].notna()]
    return ok.sort_values(findings.metric.value, ascending=False, kind="stable")


def _label(key: str, keys: tuple[str, ...]) -> str:
    return short_name(key, list(keys))


def _value(value: Any) -> Any:
    """A parameter's value as the grid gave it: a missing one (NaN in a numeric column) is None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value) if isinstance(value, np.integer) else value


def _ordered(values: pd.Series) -> list[Any]:
    """A parameter's distinct values, in numeric order when they are numbers (None last)."""
    distinct = list(dict.fromkeys(_value(v) for v in values.tolist()))
    numeric = [v for v in distinct if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numeric) == len(distinct):
        return sorted(distinct)
    if len(numeric) == len(distinct) - 1 and None in distinct:
        return [*sorted(numeric), None]
    return sorted(distinct, key=lambda v: (v is None, str(v)))


def _at(frame: pd.DataFrame, key: str, value: Any) -> pd.DataFrame:
    """The rows whose ``key`` equals ``value`` (None matches a missing value)."""
    return frame[frame[key].isna()] if value is None else frame[frame[key] == value]


def _varying(findings: SweepFindings, ok: pd.DataFrame) -> list[str]:
    return [k for k in findings.keys if ok[k].nunique(dropna=False) > 1]


def top_points(findings: SweepFindings) -> str:
    ok = _ok(findings)
    shown = ["point", *findings.keys, "sharpe", "cagr", "total_return", "max_drawdown", "turnover", "orders", "seconds"]
    frame = ok[shown].head(TOP_POINTS).rename(columns={k: _label(k, findings.keys) for k in findings.keys})
    table = _table(frame, "top-points") if len(frame) else "<p>No point finished.</p>"
    failed = findings.results[findings.results["status"] == "failed"]
    note = ""
    if len(failed):
        shown_failed = failed[["point", *findings.keys, "error"]].rename(
            columns={k: _label(k, findings.keys) for k in findings.keys}
        )
        note = f"<h3>Failed points ({len(failed)})</h3>" + _table(shown_failed, "failed")
    return table + note


def _heatmap(ok: pd.DataFrame, metric: str, x: str, y: str, keys: tuple[str, ...]) -> str:
    xs, ys = _ordered(ok[x]), _ordered(ok[y])
    cells = np.full((len(ys), len(xs)), np.nan)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            cell = _at(_at(ok, x, xv), y, yv)
            if len(cell):
                cells[i, j] = cell[metric].mean()
    return figures.heatmap(cells, [fmt(v) for v in xs], [fmt(v) for v in ys], _label(x, keys), _label(y, keys), metric)


def heatmaps(findings: SweepFindings) -> str:
    ok = _ok(findings)
    metric = findings.metric.value
    varying = _varying(findings, ok)
    if len(varying) >= 2:
        pairs = list(itertools.combinations(varying, 2))[:MAX_HEATMAPS]
        return "".join(
            _figure(
                f"{metric} over {_label(x, findings.keys)} × {_label(y, findings.keys)} "
                "(mean over the other parameters)",
                _heatmap(ok, metric, x, y, findings.keys),
                tile=True,
            )
            for x, y in pairs
        )
    if len(varying) == 1:
        key = varying[0]
        xs = _ordered(ok[key])
        means = [_at(ok, key, v)[metric].mean() for v in xs]
        line = figures.Profile(_label(key, findings.keys), [fmt(v) for v in xs], means)
        return "<p>Only one parameter varies: the metric along it.</p>" + _figure(
            f"{metric} over {_label(key, findings.keys)}", figures.profiles([line], metric)
        )
    return "<p>No parameter varies between the finished points: nothing to map.</p>"


def _profile(ok: pd.DataFrame, key: str, best: pd.Series, keys: tuple[str, ...], metric: str) -> tuple[list, list, str]:
    """The metric along ``key`` with every other parameter at the best point's value."""
    same = ok
    for k in keys:
        if k != key:
            same = _at(same, k, _value(best[k]))
    how = "others at the best point's values"
    if same[key].nunique(dropna=False) < 2:  # a random sample rarely holds the others fixed
        same, how = ok, "mean over the other parameters"
    xs = _ordered(same[key])
    ys = [_at(same, key, v)[metric].mean() for v in xs]
    return xs, ys, how


def stability(findings: SweepFindings) -> str:
    ok = _ok(findings)
    varying = _varying(findings, ok)
    if findings.best is None or not varying:
        return "<p>No parameter varies between the finished points: no neighbourhood to show.</p>"
    metric = findings.metric.value
    best = ok[ok["point"] == findings.best].iloc[0]
    rows, panels = [], []
    for key in varying:
        xs, ys, how = _profile(ok, key, best, findings.keys, metric)
        at = xs.index(_value(best[key])) if _value(best[key]) in xs else None
        near = [ys[i] for i in (at - 1, at + 1) if at is not None and 0 <= i < len(ys)]
        panels.append(figures.Profile(_label(key, findings.keys), [fmt(v) for v in xs], ys, at))
        rows.append(
            {
                "parameter": _label(key, findings.keys),
                "best value": _value(best[key]),
                f"best {metric}": best[metric],
                f"neighbours' mean {metric}": float(np.mean(near)) if near else None,
                "change": (float(np.mean(near)) - best[metric]) if near else None,
                "held": how,
            }
        )
    figure = _figure(f"{metric} around the best point, one parameter at a time", figures.profiles(panels, metric))
    return _table(pd.DataFrame(rows), "stability") + figure


def _cscv(pbo: OverfittingProbability) -> str:
    drawn = figures.cscv(pbo.in_sample, pbo.out_of_sample, pbo.logits)
    return _figure("CSCV: in-sample against out-of-sample, and the rank logits", drawn)


def _walk_forward(wf: WalkForwardFindings, metric: str) -> str:
    shown = ["fold", "is_start", "is_end", "oos_start", "oos_end", "point", "params", "in_sample", "out_of_sample"]
    folds = wf.folds[shown]
    folds = folds.rename(columns={"in_sample": f"in-sample {metric}", "out_of_sample": f"out-of-sample {metric}"})
    intro = (
        f"<p>{len(wf.folds)} folds, {html.escape(wf.scheme)}, embargo {wf.embargo} sessions.</p>"
        '<p class="note" id="restart">Each fold\'s out-of-sample backtest starts from the configured cash with no '
        "position: the stitched curve chains the folds' daily returns, not one account carried from fold to fold "
        "(no position, cost or drawdown crosses a fold boundary). The stitched returns are in "
        "<code>walk_forward_returns.parquet</code>.</p>"
    )
    if wf.stitched.empty:
        failed = wf.folds[wf.folds["status"] != "ok"]
        return intro + _table(folds, "folds") + f"<p>{len(failed)} out-of-sample run(s) failed: no stitched curve.</p>"
    curves = {
        "walk-forward, out of sample (stitched)": equity(wf.stitched),
        f"best in sample over the whole period ({wf.best_point})": equity(wf.best_in_sample),
    }
    drawn = figures.equity_curves(curves, list(pd.to_datetime(wf.folds["oos_start"])))
    caption = "Stitched out-of-sample equity beside the best in-sample one"
    return intro + _table(folds, "folds") + _figure(caption, drawn)


def in_vs_out(findings: SweepFindings) -> str:
    parts = []
    if findings.walk_forward is not None:
        parts.append("<h3>Walk-forward</h3>" + _walk_forward(findings.walk_forward, findings.metric.value))
    if findings.pbo is not None:
        parts.append("<h3>Combinatorially symmetric cross-validation</h3>" + _cscv(findings.pbo))
    return "".join(parts) or "<p>Fewer than two finished points: nothing to compare out of sample.</p>"


def _facts(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)  # an int stays an int beside floats


def _failures(findings: SweepFindings) -> str:
    results = findings.results
    failed = int((results["status"] == "failed").sum())
    if not failed or failed == len(results):  # all failed: there is no verdict to set them beside
        return ""
    return (
        f'<p class="reading" id="failed-trials">{failed} of {len(results)} points failed: every attempted point '
        f"counts as a trial in the DSR ({len(results)}), and the statistics rest on the "
        f"{len(results) - failed} that finished. Fix the failures before trusting the verdict.</p>"
    )


def overfitting(findings: SweepFindings) -> str:
    parts = [_failures(findings)]
    if findings.dsr is not None:
        d = findings.dsr
        rows = _facts(
            [
                {"": "deflated Sharpe ratio (DSR)", "value": d.probability},
                {"": "best point's Sharpe (daily)", "value": d.sharpe},
                {"": "expected best Sharpe of the trials by luck (SR0, daily)", "value": d.benchmark},
                {"": "trials", "value": d.n_trials},
                {"": "variance of the trials' Sharpe ratios", "value": d.trial_variance},
                {"": "observations", "value": d.n_obs},
                {"": "skewness", "value": d.skew},
                {"": "kurtosis", "value": d.kurtosis},
            ]
        )
        parts.append(_table(rows, "dsr") + f'<p class="reading" id="dsr-reading">{html.escape(d.reading())}</p>')
    if findings.pbo is not None:
        p = findings.pbo
        rows = _facts(
            [
                {"": "probability of backtest overfitting (PBO)", "value": p.probability},
                {"": f"{INTERVAL_LEVEL:.0%} interval (block bootstrap)", "value": _span(p.interval)},
                {"": "range over which T mod S rows are left out", "value": _span(p.trim_range)},
                {"": f"PBO of pure noise for {p.n_trials} points", "value": p.null_baseline},
                {"": "trials ranked by", "value": p.metric.value},
                {"": "CSCV blocks (S)", "value": p.n_splits},
                {"": "splits C(S, S/2)", "value": p.n_combinations},
                {"": "out-of-sample loss probability of the in-sample best", "value": p.probability_of_loss},
                {"": "slope of out-of-sample on in-sample Sharpe", "value": p.degradation_slope},
            ]
        )
        parts.append(_table(rows, "pbo") + f'<p class="reading" id="pbo-reading">{html.escape(p.reading())}</p>')
    both = reconcile(findings.dsr, findings.pbo)
    if both:
        parts.append(f'<h3>Reading them together</h3><p id="reconcile">{html.escape(both)}</p>')
    return "".join(parts) or "<p>No finished point: no statistics.</p>"


def _span(pair: tuple[float, float]) -> str:
    low, high = pair
    return f"{low:.2f} – {high:.2f}" if math.isfinite(low) and math.isfinite(high) else "n/a"


SECTIONS = (
    ("top", "Top points"),
    ("map", "The metric over the parameters"),
    ("stability", "Parameter stability around the best point"),
    ("in-vs-out", "In sample against out of sample"),
    ("overfitting", "Overfitting"),
)


def _style() -> str:
    """The tear sheet's stylesheet, so both pages read alike."""
    from analyzers.tearsheet import stylesheet

    return stylesheet()


def render(findings: SweepFindings) -> str:
    ok = findings.results["status"] == "ok"
    title = f"Sweep: {findings.strategy}, best by {findings.metric.value}"
    facts = (
        f"{len(findings.results)} points ({int(ok.sum())} finished, {int((~ok).sum())} failed), "
        f"{findings.start} to {findings.end} ({findings.sessions} sessions); "
        + (f"best point: {findings.best}." if findings.best else "no point finished.")
    )
    parts = (top_points, heatmaps, stability, in_vs_out, overfitting)
    body = "".join(
        f'<section id="{sid}"><h2>{html.escape(name)}</h2><div class="blocks">{part(findings)}</div></section>'
        for (sid, name), part in zip(SECTIONS, parts, strict=True)
    )
    nav = "".join(f'<a href="#{sid}">{html.escape(name)}</a>' for sid, name in SECTIONS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{_style()}</style></head>
<body><h1>{html.escape(title)}</h1><p class="subtitle">{html.escape(facts)}</p><nav>{nav}</nav>
{body}
<footer>Built by trade from the sweep's results.parquet. Figures that cannot be computed read n/a.</footer>
</body></html>
"""


__all__ = ["SweepFindings", "WalkForwardFindings", "fmt", "render"]
