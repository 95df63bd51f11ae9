"""`trade check-strategy NAME`: prove a plugin does not look ahead."""

from __future__ import annotations

import sys

import click

from framework.cli.options import config_option, data_overrides
from framework.config import load_settings
from framework.data import load_configured
from framework.lookahead import check_lookahead
from framework.registry import get_strategy


@click.command("check-strategy")
@click.argument("name")
@click.option("--data", type=click.Path(dir_okay=False), help="Prices file (default: embedded).")
@click.option("--sectors", type=click.Path(dir_okay=False), help="Sectors file.")
@click.option(
    "--points", type=click.IntRange(2, 100), default=10, show_default=True, help="How many truncation dates to test."
)
@config_option
def check_strategy(
    name: str, data: str | None, sectors: str | None, points: int, config_files: tuple[str, ...]
) -> None:
    """Compare signals on full vs truncated history; exit 1 on any difference."""
    overrides = {"strategy": {"name": name}, **data_overrides(data, sectors)}
    settings = load_settings(config_files, overrides)
    market = load_configured(settings.data)
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    report = check_lookahead(plugin, market, points)
    click.echo(
        f"{plugin.name}: {len(report.cut_dates)} truncation dates "
        f"{report.cut_dates[0].date()} .. {report.cut_dates[-1].date()} + trailing-window check"
    )
    click.echo(f"  no view (NaN) after warm-up: {report.nan_share:.1%}")
    if report.ok:
        click.echo("  OK: no lookahead found")
        return
    first = report.first
    click.echo(f"  LOOKAHEAD: {len(report.mismatches)} difference(s); first at {first.date.date()} {first.symbol}")
    for mismatch in report.mismatches:
        click.echo(f"    {mismatch}")
    sys.exit(1)
