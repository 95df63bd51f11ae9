"""`trade backtest`: run a strategy through the execution core on historical data."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from framework.cli.options import config_option, data_overrides, nested
from framework.config import Settings, load_settings
from framework.data import load_configured
from framework.registry import get_strategy


def _overrides(
    strategy: str | None,
    data: str | None,
    sectors: str | None,
    symbols: str | None,
    start: str | None,
    end: str | None,
    cash: float | None,
) -> dict[str, Any]:
    return {
        **nested("strategy", name=strategy),
        **data_overrides(data, sectors, symbols),
        **nested("backtest", start=start, end=end, cash=cash),
    }


def _table(figures: dict[str, Any]) -> str:
    pct = {"total_return", "cagr", "max_drawdown"}
    rows = []
    for key, value in figures.items():
        if value is None:
            shown = "n/a"
        elif key in pct:
            shown = f"{value:.2%}"
        elif isinstance(value, float):
            shown = f"{value:.2f}"
        else:
            shown = str(value)
        rows.append(f"  {key.replace('_', ' '):<18} {shown:>12}")
    return "\n".join(rows)


def _default_out(settings: Settings, strategy: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.backtest.out_dir) / f"{stamp}-{strategy}"


@click.command()
@click.option("--strategy", help="Strategy plugin name (default: strategy.name from config).")
@click.option("--data", type=click.Path(dir_okay=False), help="Prices file (CSV, CSV.GZ, Parquet).")
@click.option("--sectors", type=click.Path(dir_okay=False), help="Sectors file symbol,sector.")
@click.option("--symbols", help="Comma-separated symbols to trade (default: all).")
@click.option("--start", help="First session to trade, YYYY-MM-DD.")
@click.option("--end", help="Last session, YYYY-MM-DD.")
@click.option("--cash", type=float, help="Starting cash.")
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Run folder to create.")
@click.option("--no-report", is_flag=True, help="Skip the tear sheet and execution-quality reports.")
def backtest(
    strategy: str | None,
    data: str | None,
    sectors: str | None,
    symbols: str | None,
    start: str | None,
    end: str | None,
    cash: float | None,
    config_files: tuple[str, ...],
    out_dir: str | None,
    no_report: bool,
) -> None:
    """Backtest a strategy on the embedded dataset (or --data) with the execution core."""
    from brokers.backtrader.run_folder import atomic_folder, write_run_folder
    from brokers.backtrader.runner import run_backtest, trading_window

    settings = load_settings(config_files, _overrides(strategy, data, sectors, symbols, start, end, cash))
    market = load_configured(settings.data)
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    first, last = trading_window(market, plugin, settings)
    target = Path(out_dir) if out_dir else _default_out(settings, plugin.name)
    sessions = int(((market.dates >= first) & (market.dates <= last)).sum())
    with atomic_folder(target) as folder:
        if sys.stderr.isatty():
            with click.progressbar(length=sessions, label="backtest", file=sys.stderr) as bar:
                result = run_backtest(market, plugin, settings, folder / "journal.sqlite", bar.update)
        else:
            result = run_backtest(market, plugin, settings, folder / "journal.sqlite")
        context = {
            "strategy": plugin.name,
            "run_id": result.run_id,
            "start": str(result.start.date()),
            "end": str(result.end.date()),
            "sessions": result.sessions,
            "initial_cash": result.initial_cash,
            "venue": {"profile": settings.venue.profile.value},
            "delisted": list(result.delisted),
            "data": {"source": market.source, "fingerprint": market.fingerprint, "symbols": market.symbols},
            "config": settings.model_dump(mode="json"),
        }
        summary = write_run_folder(folder, result.journal_path, result.initial_cash, context)
        if not no_report:
            from analyzers.reports import build_reports

            build_reports(folder)
    click.echo(
        f"backtest {plugin.name} {result.start.date()} .. {result.end.date()} ({result.sessions} sessions, "
        f"venue {settings.venue.profile.value})"
    )
    click.echo(_table(summary["figures"]))
    if result.delisted:
        click.echo(f"  delisted and closed out: {', '.join(result.delisted)}")
    click.echo(f"run folder: {target}")
