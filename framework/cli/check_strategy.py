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
from framework.stability import MAX_INTENT_CHANGE, PERTURBATIONS, Shift, StabilityReport, check_stability

HEADLINES = {
    Problem.NONDETERMINISTIC: "NONDETERMINISTIC: two runs on the same history differ (fix this first: every "
                              "other comparison then measures noise)",
    Problem.LOOKAHEAD: "LOOKAHEAD: rows change when later bars are removed",
    Problem.WARMUP: "WARM-UP TOO SHORT: the last warmup_bars + 1 bars (what paper trading feeds the plugin) "
                    "do not give the same signals; raise warmup_bars",
    Problem.EXITS: "EXITS HOOK: its answers depend on what the plugin saw beyond the decision date",
}
SHOWN = 5  # mismatches printed per problem
CONSEQUENCE = ("backtest and live will diverge: another venue's history (or yours next month) differs "
               "this much, and the orders with it")
REMEDIES = ("remedies: compute on quantised inputs (ratios rounded, fixed bin edges), map scores to a "
            "coarse grid or to cross-sectional ranks, let sizing.rebalance_band absorb small weight changes, "
            "and a model fitted on the history: fit it once and trade that model in both (a model refitted on "
            "other digits is another model)")


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
@click.option("--stability/--no-stability", default=True, show_default=True,
              help="Also perturb the history the way venues differ and count the signals and intents that move.")
@config_option
def check_strategy(
    name: str, data: str | None, sectors: str | None, points: int, random_points: int, seed: int,
    all_dates: bool, stability: bool, config_files: tuple[str, ...],
) -> None:
    """Cut the history at many dates, each time with a fresh plugin instance, and compare every
    row up to the cut with the whole history's; also the trailing window paper trading uses, and
    the exits hook. Exit 1 on any difference. Then the stability check: signals and order
    intents (through the configured sizing) under prices rounded to 4 decimals, dividends moved
    a cent and 1e-5 relative noise; a plugin whose intents move gets a warning (exit 0)."""
    resolved = resolve_settings(config_files, {"strategy": {"name": name}, **data_overrides(data, sectors)})
    settings, plugin_class = resolved.settings, resolved.plugin
    assert plugin_class is not None
    market = load_configured(settings.data)
    params = plugin_class.parse_params(settings.strategy.params)
    probe = plugin_class(params)
    plan = plan_cuts(market.dates, probe.warmup_bars, points=points, random=random_points, seed=seed,
                     all_dates=all_dates)
    calls = calls_needed(plan, market, probe.warmup_bars) + (1 + len(PERTURBATIONS) if stability else 0)
    stable: StabilityReport | None = None
    with progress(calls, f"check-strategy {probe.name}", unit="run") as tracker:
        report = check_lookahead(lambda: plugin_class(params), market, plan, tracker=tracker)
        if stability:
            stable = check_stability(lambda: plugin_class(params), market, settings, seed=seed,
                                     on_call=tracker.advance)
    remember(CheckRecord(probe.name, source_hash(plugin_class), report.ok, report.verdict, len(plan.cuts),
                         market.fingerprint, params.model_dump(mode="json")))
    _print(report)
    if stable is not None:
        _print_stability(stable)
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
    _print_basis(report)
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


def _print_basis(report: LookaheadReport) -> None:
    """Sensitivity to the adjustment basis: not lookahead, said apart."""
    shift = report.basis
    if shift is None:
        return
    head = (f"  adjustment basis (history adjusted as of each date, as paper sees it, vs as of the end, as the "
            f"backtest does; {report.basis_dates} date(s)): ")
    if not shift.signals_changed:
        click.echo(head + f"same signals ({shift.signals} compared)")
        return
    click.echo(head + f"{shift.signals_changed} of {shift.signals} signals differ (largest {shift.largest:.3g}; "
               f"first {shift.first})")
    click.echo("  ADJUSTMENT-BASIS SENSITIVE (not lookahead): the plugin's signals depend on the date prices are "
               f"adjusted as of; {CONSEQUENCE}; {REMEDIES}")


def _shift_line(shift: Shift) -> str:
    return (f"    {shift.perturbation.value}: signals changed {shift.signal_share:.1%} ({shift.signals_changed} of "
            f"{shift.signals}, largest {shift.largest:.3g}), intents changed {shift.intent_share:.1%} "
            f"({shift.intents_changed} of {shift.intents}; {shift.decisions_changed} of {shift.decisions} decisions)")


def _print_stability(report: StabilityReport) -> None:
    echo = click.echo
    echo(f"  stability (seed {report.seed}): {report.decisions} rebalance decision(s) through the configured "
         "sizing, each from the same book")
    for shift in report.shifts:
        echo(_shift_line(shift))
    worst = report.worst
    if report.stable or worst is None:
        echo(f"  OK: stable (intents changed at most {MAX_INTENT_CHANGE:.0%} under every perturbation)")
        return
    echo(f"  UNSTABLE: {worst.intent_share:.1%} of intents change under {worst.perturbation.value} "
         f"(more than {MAX_INTENT_CHANGE:.0%}; first signal change {worst.first}): {CONSEQUENCE}; {REMEDIES}")
