"""Run a planned sweep on Dask: the points, then the walk-forward trades, then the verdict.

Each finished backtest is persisted the moment it arrives (``sweep_store``); a rerun skips
every backtest whose key is already there, so an interrupted sweep resumes and a finished one
answers from its folder without starting a cluster. The verdict (``summary.json``,
``report.html``) is written only when every backtest has come back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from framework.progress import Tracker, progress
from framework.research.findings import SweepFindings, WalkForwardFindings
from framework.research.metrics import Metric, measure_all
from framework.research.overfitting import (
    INTERVAL_DRAWS,
    DeflatedSharpe,
    OverfittingProbability,
    deflated_sharpe,
    fit_splits,
    reconcile,
)
from framework.research.overfitting import probability_of_overfitting as pbo_of
from framework.research.sweep_cluster import Cluster, ctrl_c_held
from framework.research.sweep_plan import SweepPlan, finalise
from framework.research.sweep_store import SweepStore, atomic_write, write_json, write_parquet
from framework.research.sweep_task import Backtest, Job, Outcome
from framework.research.walk_forward import best, choose, stitch
from framework.run_folder import SUMMARY_KEYS

FIGURES = (*SUMMARY_KEYS, "sortino", "calmar", "sessions")
WALK_FORWARD_RETURNS = "walk_forward_returns.parquet"
RESTART = ("each fold's out-of-sample backtest starts from backtest.cash with no position: the stitched returns "
           "chain daily returns, not one account carried through the folds (no position, cost or drawdown "
           "crosses a fold boundary)")


@dataclass(frozen=True)
class SweepResult:
    plan: SweepPlan
    results: pd.DataFrame
    findings: SweepFindings
    summary: dict[str, Any]
    ran: int  # backtests this invocation ran
    reused: int  # backtests it found finished in the folder


def _kind(value: Any) -> str:
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__


def _param_column(values: list[Any]) -> Any:
    """Parquet wants one type a column: a parameter whose values mix kinds is kept as text;
    integers stay integers beside a missing value (``top_n: [null, 5]``)."""
    given = [v for v in values if v is not None]
    if given and all(isinstance(v, int) and not isinstance(v, bool) for v in given):
        return pd.array(values, dtype="Int64")
    if len({_kind(v) for v in given}) <= 1:
        return values
    return [None if v is None else str(v) for v in values]


def results_frame(plan: SweepPlan, records: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per point that has a record: its parameters, status, figures, run time."""
    rows, params = [], []
    for p in plan.points:
        record = records.get(p.key)
        if record is None:
            continue
        figures = record.get("figures") or {}
        params.append(p.point.as_dict())
        rows.append(
            {
                "point": p.id,
                "status": record["status"],
                "error": record["error"],
                **{k: figures.get(k) for k in FIGURES},
                "seconds": record["seconds"],
                "worker": record["worker"],
                "key": p.key,
            }
        )
    frame = pd.DataFrame(rows, columns=["point", "status", "error", *FIGURES, "seconds", "worker", "key"])
    for name in FIGURES:
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    for i, key in enumerate(plan.grid.keys):  # from the grid's own values, before pandas makes floats of them
        frame.insert(1 + i, key, _param_column([row[key] for row in params]))
    return frame


class _Arrivals:
    """Persist each outcome the moment it arrives, then advance the progress bar."""

    def __init__(
        self,
        store: SweepStore,
        records: dict[str, dict[str, Any]],
        tracker: Tracker,
        then: Callable[[], None] | None,
    ) -> None:
        self.store, self.records, self.tracker, self.then = store, records, tracker, then

    def __call__(self, job: Job, outcome: Outcome) -> None:
        # A Ctrl-C waits until the point's mark and its row in the results are both written: the
        # interrupted sweep's results.parquet lists every point its cache holds as finished.
        with ctrl_c_held():
            self.records[job.key] = self.store.save(job, outcome)
            if self.then is not None:
                self.then()
        if not outcome.ok:
            self.tracker.note(f"{job.name} failed: {outcome.error}")
        self.tracker.advance()


def _run(
    plan: SweepPlan,
    store: SweepStore,
    cluster: Cluster,
    jobs: list[Job],
    records: dict[str, dict[str, Any]],
    unit: str,
    then: Callable[[], None] | None = None,
) -> int:
    """Run the jobs not finished yet (``then`` after each arrival); returns how many ran."""
    unique = {job.key: job for job in jobs}
    pending = [job for key, job in unique.items() if not store.finished(key)]
    for key in unique.keys() - {job.key for job in pending}:
        record = store.record(key)
        assert record is not None  # finished: its mark is there
        records[key] = record
    if then is not None:
        then()  # the folder describes this sweep from the start, before anything arrives
    if pending:
        store.forget_verdict()  # until every backtest is back, no earlier verdict stands
        label = "sweep" if unit == "point" else "walk-forward"
        with progress(len(pending), label, unit=unit, enabled=plan.request.show_progress) as tracker:
            cluster.run(pending, _Arrivals(store, records, tracker, then))
    return len(pending)


def returns_matrix(plan: SweepPlan, store: SweepStore, results: pd.DataFrame) -> pd.DataFrame:
    """Daily returns of every point that finished (dates × point ids), on common dates."""
    ok = results[results["status"] == "ok"]
    series = {row.point: store.returns(row.key) for row in ok.itertuples()}
    if not series:
        return pd.DataFrame()
    return pd.DataFrame(series).dropna(how="any")


Records = dict[str, dict[str, Any]]


def _walk_forward(
    plan: SweepPlan, store: SweepStore, cluster: Cluster, matrix: pd.DataFrame, records: Records, best_id: str
) -> tuple[WalkForwardFindings, int]:
    """Per fold, the in-sample best point traded out of sample (a fresh backtest); stitched."""
    metric = plan.grid.metric
    by_id = {p.id: p for p in plan.points}
    choices = [choose(fold, matrix, metric) for fold in plan.folds]
    jobs = []
    for c in choices:
        settings = finalise(by_id[c.point].settings, c.fold.oos_start, c.fold.oos_end)
        key = plan.key(settings)
        jobs.append(Job(key, f"oos-{c.fold.number}", settings.model_dump(mode="json"), plan.request.keep_journals))
    ran = _run(plan, store, cluster, jobs, records, "fold")
    rows, pieces = [], []
    for c, job in zip(choices, jobs, strict=True):
        record = records[job.key]
        oos = store.returns(job.key) if record["status"] == "ok" else None
        if oos is not None:
            pieces.append(oos)
        rows.append(
            {
                **c.fold.as_dict(),
                "point": c.point,
                "params": by_id[c.point].point.label(),
                "in_sample": c.in_sample,
                "out_of_sample": measure_all(oos)[metric.value] if oos is not None else math.nan,
                "status": record["status"],
                "error": record["error"],
                "key": job.key,
            }
        )
    folds = pd.DataFrame(rows)
    write_parquet(store.folder / "walk_forward.parquet", folds)
    complete = len(pieces) == len(choices)
    stitched = stitch(pieces) if complete else pd.Series(dtype=float)
    if complete:
        write_parquet(store.folder / WALK_FORWARD_RETURNS, _stitched_frame(pieces, choices))
    hindsight = matrix[best_id].reindex(stitched.index) if complete else pd.Series(dtype=float)
    findings = WalkForwardFindings(plan.request.scheme.value, plan.request.embargo, folds, stitched, hindsight, best_id)
    return findings, ran


def _stitched_frame(pieces: list[pd.Series], choices: list) -> pd.DataFrame:
    """The stitched out-of-sample returns with the fold and point each day came from."""
    frames = [
        pd.DataFrame({"date": piece.index, "return": piece.to_numpy(), "fold": c.fold.number, "point": c.point})
        for piece, c in zip(pieces, choices, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


def overfitting_statistics(
    matrix: pd.DataFrame, best_id: str | None, splits: int, metric: Metric, attempted: int,
    interval_draws: int = INTERVAL_DRAWS,
) -> tuple[DeflatedSharpe | None, OverfittingProbability | None]:
    """DSR of the best point counting every ``attempted`` point as a trial (a failed point was
    tried too), and the PBO ranking the points by the sweep's own ``metric``."""
    if best_id is None or matrix.empty:
        return None, None
    dsr = deflated_sharpe(matrix[best_id].to_numpy(), matrix.to_numpy(), attempted=attempted)
    if matrix.shape[1] < 2:
        return dsr, None
    try:
        s = fit_splits(len(matrix), splits)
    except ValueError:
        return dsr, None
    return dsr, pbo_of(matrix.to_numpy(), s, metric, interval_draws=interval_draws)


def _clean(value: Any) -> Any:
    if value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def summarise_sweep(plan: SweepPlan, findings: SweepFindings) -> dict[str, Any]:
    results = findings.results
    best_row = results[results["point"] == findings.best].iloc[0] if findings.best else None
    wf = findings.walk_forward
    failed = results[results["status"] == "failed"]
    return {
        **{k: v for k, v in plan.manifest().items() if k != "points"},
        "points": len(plan.points),
        "finished": int((results["status"] == "ok").sum()),
        "failed": len(failed),
        "trials": {"attempted": len(plan.points), "failed": len(failed),
                   "first_error": None if failed.empty else failed["error"].iloc[0]},
        "best": None
        if best_row is None
        else {
            "point": findings.best,
            "params": {k: _clean(best_row[k]) for k in plan.grid.keys},
            "figures": {k: _clean(best_row[k]) for k in FIGURES},
        },
        "deflated_sharpe": findings.dsr.as_dict() if findings.dsr else None,
        "pbo": findings.pbo.as_dict() if findings.pbo else None,
        "reconciliation": reconcile(findings.dsr, findings.pbo),
        "walk_forward": None
        if wf is None
        else {
            **plan.manifest()["walk_forward"],
            "restart": RESTART,
            "returns_file": WALK_FORWARD_RETURNS if not wf.stitched.empty else None,
            "folds": [{k: _clean(v) for k, v in row.items()} for row in wf.folds.to_dict("records")],
            "out_of_sample": {k: _clean(v) for k, v in measure_all(wf.stitched).items()},
            "best_in_sample": {k: _clean(v) for k, v in measure_all(wf.best_in_sample).items()},
        },
    }


def _best(plan: SweepPlan, results: pd.DataFrame) -> str | None:
    ok = results[results["status"] == "ok"]
    return best(dict(zip(ok["point"], ok[plan.grid.metric.value], strict=True))) if len(ok) else None


def _backtests(
    plan: SweepPlan, store: SweepStore, backtest: Backtest
) -> tuple[pd.DataFrame, pd.DataFrame, WalkForwardFindings | None, int]:
    """Every backtest the sweep needs, run or found: results, returns matrix, walk-forward, count run."""
    request = plan.request
    records: Records = {}
    jobs = [p.job(request.keep_journals) for p in plan.points]
    with Cluster(plan.market, request.workers, request.scheduler, backtest, plan.grid.strategy) as cluster:
        pending = sum(not store.finished(job.key) for job in jobs)
        if pending:  # an unreachable scheduler is refused before anything is written
            cluster.open(max(pending, len(plan.folds)))  # the folds run on it after the points
        store.open()
        write_json(request.out / "sweep.json", plan.manifest())
        results_file = request.out / "results.parquet"
        ran = _run(plan, store, cluster, jobs, records, "point",
                   then=lambda: write_parquet(results_file, results_frame(plan, records)))
        results = results_frame(plan, records)
        matrix = returns_matrix(plan, store, results)
        best_id = _best(plan, results)
        if not plan.folds or best_id is None:
            return results, matrix, None, ran
        wf, wf_ran = _walk_forward(plan, store, cluster, matrix, records, best_id)
    return results, matrix, wf, ran + wf_ran


def run_sweep(plan: SweepPlan, backtest: Backtest, render: Callable[[SweepFindings], str] | None = None) -> SweepResult:
    """Run (or resume) the sweep into ``plan.request.out`` and write its verdict. ``backtest``
    runs one point (handed in by the command; it runs on the workers), ``render`` writes the
    HTML report when the request asks for one."""
    request = plan.request
    store = SweepStore(request.out)
    results, matrix, wf, ran = _backtests(plan, store, backtest)
    write_parquet(request.out / "returns.parquet", matrix.rename_axis("date").reset_index())
    best_id = _best(plan, results)
    dsr, pbo = overfitting_statistics(matrix, best_id, request.pbo_splits, plan.grid.metric, len(plan.points))
    findings = SweepFindings(
        strategy=plan.grid.strategy,
        metric=Metric(plan.grid.metric),
        keys=tuple(plan.grid.keys),
        results=results,
        best=best_id,
        start=str(plan.start.date()),
        end=str(plan.end.date()),
        sessions=len(plan.sessions),
        dsr=dsr,
        pbo=pbo,
        walk_forward=wf,
    )
    summary = summarise_sweep(plan, findings)
    write_json(request.out / "summary.json", summary)
    if request.report and render is not None:
        page = render(findings)
        atomic_write(request.out / "report.html", lambda path: path.write_text(page))
    total = len({p.key for p in plan.points}) + (len(plan.folds) if wf is not None else 0)
    return SweepResult(plan, results, findings, summary, ran, total - ran)


__all__ = [
    "FIGURES",
    "RESTART",
    "WALK_FORWARD_RETURNS",
    "SweepResult",
    "overfitting_statistics",
    "results_frame",
    "returns_matrix",
    "run_sweep",
    "summarise_sweep",
]
