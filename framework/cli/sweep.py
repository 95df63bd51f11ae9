"""`trade sweep`: a parameter sweep (and walk-forward optimisation) on Dask, with its verdict."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from framework.cli.options import data_overrides, history_options, nested
from framework.research.folds import FoldScheme

if TYPE_CHECKING:
    from framework.research.sweep import SweepResult


def _echo_result(result: SweepResult) -> None:
    from analyzers.sweep_report import fmt
    from framework.research.grid import short_name

    summary, plan = result.summary, result.plan
    period = summary["period"]
    click.echo(
        f"sweep {plan.grid.strategy}: {summary['points']} points, {period['start']} .. {period['end']} "
        f"({period['sessions']} sessions); backtests run {result.ran}, reused {result.reused}, "
        f"failed {summary['failed']}"
    )
    best = summary["best"]
    metric = plan.grid.metric.value
    if best:
        keys = list(best["params"])
        params = " ".join(f"{short_name(k, keys)}={v}" for k, v in best["params"].items())
        figures = best["figures"]
        shown = " ".join(f"{k} {fmt(figures[k], k)}" for k in ("sharpe", "cagr", "max_drawdown"))
        click.echo(f"best by {metric}: {best['point']} {params}  {shown}")
    if result.findings.dsr is not None:
        click.echo(result.findings.dsr.reading())
    if result.findings.pbo is not None:
        click.echo(result.findings.pbo.reading())
    trials = summary["trials"]
    if trials["failed"] and summary["finished"]:
        click.echo(
            f"{trials['failed']} of {trials['attempted']} points failed: each counts as a trial above, and the "
            f"verdict rests on the {summary['finished']} that finished (first error: {trials['first_error']})"
        )
    if summary["reconciliation"]:
        click.echo(summary["reconciliation"])
    wf = summary["walk_forward"]
    if wf:
        oos, ins = wf["out_of_sample"], wf["best_in_sample"]
        click.echo(
            f"walk-forward ({len(wf['folds'])} folds, {wf['scheme']}): out-of-sample {metric} "
            f"{fmt(oos[metric], metric)} against {fmt(ins[metric], metric)} for the best in-sample point "
            "on the same dates; each fold restarts from cash (walk_forward_returns.parquet)"
        )
    click.echo(f"sweep folder: {plan.request.out}")


def _check_lean(result: SweepResult) -> None:
    """The best point and each walk-forward choice re-run on the backtrader path: the same fills
    and final value, or the sweep fails (exit 1) naming the first difference. A check already in
    ``lean_check.json`` for the same settings and data (a resumed sweep) is not run again."""
    import json

    import pandas as pd

    from brokers.lean.research import check_on_backtrader
    from framework.research.sweep_plan import backtest_key, finalise
    from framework.research.sweep_store import write_json

    plan, summary = result.plan, result.summary
    by_id = {p.id: p for p in plan.points}
    chosen = []
    if summary["best"]:
        chosen.append((summary["best"]["point"], by_id[summary["best"]["point"]].settings))
    for fold in (summary["walk_forward"] or {}).get("folds", []):
        if fold.get("status") == "ok":
            settings = by_id[fold["point"]].settings
            start, end = pd.Timestamp(fold["oos_start"]), pd.Timestamp(fold["oos_end"])
            chosen.append((f"oos-{fold['fold']} ({fold['point']})", finalise(settings, start, end)))
    path = plan.request.out / "lean_check.json"
    earlier = {c["key"]: c for c in json.loads(path.read_text())["checks"]} if path.is_file() else {}
    records = []
    for name, settings in chosen:
        key = backtest_key(settings, plan.market.fingerprint)
        if key in earlier and earlier[key]["equal"]:
            records.append({**earlier[key], "name": name})
            continue
        c = check_on_backtrader(plan.market, settings, name)
        records.append({"name": c.name, "key": key, "path": c.path, "fills": c.fills, "final_value": c.final_value,
                        "equal": c.equal, "differences": list(c.differences)})
    write_json(path, {"checks": records})
    wrong = [c for c in records if not c["equal"]]
    if wrong:
        first = wrong[0]
        click.echo(f"error: the lean path differs from backtrader on {first['name']}: "
                   f"{'; '.join(first['differences'])} (rerun with --simulator backtrader)", err=True)
        sys.exit(1)
    compared = [c["name"] for c in records if c["path"] == "lean"]
    if compared:
        click.echo(f"lean path checked on backtrader: {', '.join(compared)}: same fills and final value "
                   "(lean_check.json)")


@click.command()
@click.option("--grid", "grid_path", required=True, type=click.Path(dir_okay=False), help="Grid file (YAML).")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Sweep folder (resumed if it exists)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 512),
    default=None,
    help="Local Dask worker processes, one thread each (default: this machine's cores).",
)
@click.option(
    "--scheduler",
    envvar="DASK_SCHEDULER_ADDRESS",
    help="Existing Dask scheduler, tcp://HOST:PORT (default: $DASK_SCHEDULER_ADDRESS, else a local cluster).",
)
@click.option("--walk-forward", "folds", type=click.IntRange(1, 100), default=None, help="Walk-forward folds.")
@click.option(
    "--scheme",
    type=click.Choice([s.value for s in FoldScheme]),
    default=FoldScheme.ANCHORED.value,
    show_default=True,
    help="Walk-forward in-sample window: anchored (growing) or rolling (one block).",
)
@click.option("--embargo", type=click.IntRange(0, None), default=0, show_default=True,
              help="Sessions left out between each in-sample window and its out-of-sample one.")
@click.option("--pbo-splits", type=click.IntRange(2, 16), default=16, show_default=True,
              help="CSCV blocks for the PBO (even; fewer when the period is short).")
@history_options
@click.option(
    "--simulator",
    type=click.Choice(["lean", "backtrader"]),
    default="lean",
    show_default=True,
    help="Where the points run: the lean path (proven equal; the best point and the walk-forward choices are "
    "re-run on backtrader and compared), or backtrader for every point.",
)
@click.option("--keep-journals", is_flag=True, help="Keep every backtest's journal under DIR/journals/.")
@click.option("--no-report", is_flag=True, help="Skip report.html.")
def sweep(
    grid_path: str,
    out_dir: str,
    workers: int | None,
    scheduler: str | None,
    folds: int | None,
    scheme: str,
    embargo: int,
    pbo_splits: int,
    data: str | None,
    sectors: str | None,
    symbols: str | None,
    start: str | None,
    end: str | None,
    cash: float | None,
    config_files: tuple[str, ...],
    simulator: str,
    keep_journals: bool,
    no_report: bool,
) -> None:
    """Backtest every point of a grid on Dask; rank, walk forward, and judge the overfitting."""
    from analyzers.sweep_report import render
    from brokers.backtrader.runner import run_backtest
    from brokers.lean.research import lean_or_backtrader
    from framework.errors import InputError
    from framework.research.sweep import run_sweep
    from framework.research.sweep_plan import SweepRequest, plan_sweep

    if pbo_splits % 2:
        raise InputError(f"--pbo-splits must be even, got {pbo_splits}")
    request = SweepRequest(
        grid_path=Path(grid_path),
        out=Path(out_dir),
        config_files=config_files,
        overrides={**data_overrides(data, sectors, symbols), **nested("backtest", start=start, end=end, cash=cash)},
        workers=workers or os.cpu_count() or 1,
        scheduler=scheduler or None,
        walk_forward=folds,
        scheme=FoldScheme(scheme),
        embargo=embargo,
        pbo_splits=pbo_splits,
        keep_journals=keep_journals,
        report=not no_report,
    )
    plan = plan_sweep(request)  # everything validated before a folder or a cluster exists
    try:
        result = run_sweep(plan, lean_or_backtrader if simulator == "lean" else run_backtest, render)
    except KeyboardInterrupt:
        click.echo(
            f"error: interrupted: the cluster is closed; finished backtests are saved in {plan.request.out} "
            "(run the same command again to resume)",
            err=True,
        )
        sys.exit(130)
    _echo_result(result)
    if simulator == "lean":
        _check_lean(result)
    if result.summary["finished"] == 0:
        failed = result.results[result.results["status"] == "failed"]
        first = failed["error"].iloc[0] if len(failed) else "no point ran"
        click.echo(f"error: every point failed; the first: {first}", err=True)
        sys.exit(1)
