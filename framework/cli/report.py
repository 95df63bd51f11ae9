"""`trade report`: rebuild a run's reports, or compare a backtest with a paper run."""

from __future__ import annotations

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
    from analyzers.divergence import compare, render_lines, write_outputs

    result = compare(load_run(run_dir), load_run(paper_dir))
    write_outputs(result, paper_dir)
    for line in render_lines(result):
        click.echo(line)
    click.echo(f"report: {paper_dir / 'divergence.json'}; intents: {paper_dir / 'intents.csv'}; "
               f"orders: {paper_dir / 'divergence.csv'}")
