"""`trade report`: rebuild a run's reports, or compare a backtest with a paper run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from analyzers.records import load_run


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--compare",
    "paper_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Paper run folder to compare RUN_DIR (the backtest) with  [default: no comparison]",
)
def report(run_dir: Path, paper_dir: Path | None) -> None:
    """Rebuild tearsheet.html and execution-quality files of RUN_DIR, or --compare two runs.

    RUN_DIR is a backtest's run folder, or the folder of a paper journal (paper.journal).
    """
    if paper_dir is None:
        from analyzers.console import print_renderable, report_summary
        from analyzers.reports import build_reports

        summary = build_reports(run_dir)
        print_renderable(report_summary(summary))
        click.echo(f"tear sheet: {run_dir / 'tearsheet.html'}")
        click.echo(f"execution quality: {run_dir / 'execution_quality.json'}, {run_dir / 'execution_quality.csv'}")
        return
    from analyzers.divergence import compare

    result = compare(load_run(run_dir), load_run(paper_dir))
    result.matched.to_csv(paper_dir / "divergence.csv", index=False)
    payload = {
        "period": result.period,
        "equity_difference": result.equity_difference,
        "attribution_usd": result.attribution,
        "shares": result.shares,
    }
    (paper_dir / "divergence.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    click.echo(
        f"divergence {result.period[0]} .. {result.period[1]}: paper - backtest equity = "
        f"{result.equity_difference:,.2f}"
    )
    for cause, usd in result.attribution.items():
        click.echo(f"  {cause:<11} {usd:>12,.2f}  {result.shares[cause]:>8.1%}")
    click.echo(f"matched orders: {paper_dir / 'divergence.csv'}")
