"""`trade signals NAME --out DIR`: the signal report, before any backtest."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from framework.cli.options import (
    config_option,
    data_overrides,
    end_option,
    prices_option,
    sectors_option,
    symbols_option,
)
from framework.errors import InputError

HORIZONS = "1,5,10,21"


def parse_date(option: str, text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise InputError(f"{option} {text!r}: expected a date, YYYY-MM-DD") from None


def parse_horizons(text: str) -> tuple[int, ...]:
    try:
        values = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise InputError(f"--horizons {text!r}: expected session counts separated by commas, e.g. {HORIZONS}") from None
    if not values or min(values) < 1 or max(values) > 252:
        raise InputError(f"--horizons {text!r}: each horizon must be between 1 and 252 sessions")
    return values


@click.command()
@click.argument("name")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for signals.html and signals.json (made if missing; the two files are replaced).")
@prices_option
@sectors_option
@symbols_option
@click.option("--start", help="First session measured, YYYY-MM-DD  [default: first after the plugin's warm-up]")
@end_option
@click.option("--horizons", default=HORIZONS, show_default=True,
              help="Forward-return horizons in sessions, comma-separated (the IC decay).")
@click.option("--horizon", "primary", type=click.IntRange(1, 252), default=None,
              help="Horizon the verdict reads  [default: the model's label horizon, else 5]")
@click.option("--quantiles", type=click.IntRange(2, 10), default=5, show_default=True,
              help="Groups the names are cut into by signal, each date.")
@config_option
def signals(name: str, out_dir: str, data: str | None, sectors: str | None, symbols: str | None, start: str | None,
            end: str | None, horizons: str, primary: int | None, quantiles: int,
            config_files: tuple[str, ...]) -> None:
    """IC by day and over horizons, returns by quantile, turnover, coverage (and, for a model,
    its out-of-sample folds, feature importance and calibration), with a one-line verdict."""
    from analyzers import signal_report
    from framework.config import resolve_settings
    from framework.data import load_configured

    chosen = parse_horizons(horizons)
    first, last = parse_date("--start", start), parse_date("--end", end)
    resolved = resolve_settings(config_files, {"strategy": {"name": name}, **data_overrides(data, sectors, symbols)})
    assert resolved.plugin is not None
    plugin = resolved.plugin(resolved.plugin.parse_params(resolved.settings.strategy.params))
    market = load_configured(resolved.settings.data)
    history = market.between(None, last) if last is not None else market
    report = signal_report.build(plugin, history, chosen, primary, quantiles, start=first)
    out = Path(out_dir)
    signal_report.write(report, out)
    click.echo(report.verdict)
    for h in report.quality.horizons:
        ic, spread = h.ic_test, h.spread_test
        click.echo(f"  {h.horizon:>3} session(s): mean IC {ic.mean:+.4f} (t {ic.t:+.2f}, non-overlapping "
                   f"{ic.t_non_overlapping:+.2f}); Q{quantiles}-Q1 {spread.mean * 1e4:+.1f} bps (t {spread.t:+.2f})")
    click.echo(f"signal report: {out / signal_report.HTML_FILE}")
