"""`trade check-strategy NAME`: prove a plugin does not look ahead (exit 1 if it does)."""

from __future__ import annotations

import sys

import click

from framework.check_cache import CheckRecord, remember, source_hash
from framework.cli.options import config_option, data_overrides, prices_option, sectors_option
from framework.config import resolve_settings
from framework.data import load_configured
from framework.lookahead import LookaheadReport, Problem, calls_needed, check_lookahead, plan_cuts
from framework.progress import progress

HEADLINES = {
    Problem.NONDETERMINISTIC: "NONDETERMINISTIC: two runs on the same history differ (fix this first: every "
                              "other comparison then measures noise)",
    Problem.LOOKAHEAD: "LOOKAHEAD: rows change when later bars are removed",
    Problem.WARMUP: "WARM-UP TOO SHORT: the last warmup_bars + 1 bars (what paper trading feeds the plugin) "
                    "do not give the same signals; raise warmup_bars",
    Problem.EXITS: "EXITS HOOK: its answers depend on what the plugin saw beyond the decision date",
}
SHOWN = 5  # mismatches printed per problem


@click.command("check-strategy")
@click.argument("name")
@prices_option
@sectors_option
@click.option("--points", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Cut dates spread evenly after the warm-up.")
@click.option("--random", "random_points", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Cut dates drawn at random (seeded) in addition.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random cut dates.")
@click.option("--all-dates", is_flag=True, help="Cut at every session after the warm-up (for small data).")
@config_option
def check_strategy(
    name: str, data: str | None, sectors: str | None, points: int, random_points: int, seed: int,
    all_dates: bool, config_files: tuple[str, ...],
) -> None:
    """Cut the history at many dates, each time with a fresh plugin instance, and compare every
    row up to the cut with the whole history's; also the trailing window paper trading uses, and
    the exits hook. Exit 1 on any difference."""
    resolved = resolve_settings(config_files, {"strategy": {"name": name}, **data_overrides(data, sectors)})
    settings, plugin_class = resolved.settings, resolved.plugin
    assert plugin_class is not None
    market = load_configured(settings.data)
    params = plugin_class.parse_params(settings.strategy.params)
    probe = plugin_class(params)
    plan = plan_cuts(market.dates, probe.warmup_bars, points=points, random=random_points, seed=seed,
                     all_dates=all_dates)
    with progress(calls_needed(plan, market, probe.warmup_bars), f"check-strategy {probe.name}",
                  unit="run") as tracker:
        report = check_lookahead(lambda: plugin_class(params), market, plan, tracker=tracker)
    remember(CheckRecord(probe.name, source_hash(plugin_class), report.ok, report.verdict, len(plan.cuts),
                         market.fingerprint, params.model_dump(mode="json")))
    _print(report)
    if not report.ok:
        sys.exit(1)


def _print(report: LookaheadReport) -> None:
    echo = click.echo
    dates = report.plan.dates
    span = f" {dates[0].date()} .. {dates[-1].date()}" if dates else ""
    echo(f"{report.strategy}: {report.plan.describe()}{span}; a fresh instance for each; every row up to "
         "each cut compared")
    echo(f"  warm-up: {report.warmup} bars; trailing-window check at {len(report.plan.windows)} date(s)")
    echo(f"  exits hook: {'checked at every cut' if report.exits_checked else 'not declared'}")
    echo(f"  no view (NaN) after warm-up: {report.nan_share:.1%}")
    if report.ok:
        echo("  OK: no lookahead found; warm-up long enough")
        return
    for problem in Problem:
        found = report.of(problem)
        if not found:
            continue
        first = report.first(problem)
        assert first is not None
        echo(f"  {HEADLINES[problem]}: {len(found)} check(s) differ; first at {first.date.date()} {first.symbol}")
        for mismatch in sorted(found, key=lambda m: (m.cut, m.check))[:SHOWN]:
            echo(f"    {mismatch}")
        if len(found) > SHOWN:
            echo(f"    ... and {len(found) - SHOWN} more")
