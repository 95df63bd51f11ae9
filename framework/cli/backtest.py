"""`trade backtest`: run a strategy through the execution core on historical data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from framework.check_cache import backtest_hint
from framework.cli.options import data_overrides, history_options, nested, strategy_option
from framework.config import Settings, load_settings
from framework.data import MarketData, load_configured
from framework.data.coverage import coverage, describe
from framework.progress import progress, show_nested_progress
from framework.registry import get_strategy
from framework.strategy import compute_signals


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


def _default_out(settings: Settings, strategy: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.backtest.out_dir) / f"{stamp}-{strategy}"


def _print_data_report(market: MarketData) -> None:
    """Warnings and repairs are printed (errors refused the file already)."""
    report = market.report
    if report is not None and (report.problems or report.repairs):
        for line in report.lines():
            click.echo(line, err=True)


def _data_summary(market: MarketData, signals: Any, start: Any, end: Any, calendar: str) -> dict[str, Any]:
    report = market.report
    return {
        "source": market.source,
        "fingerprint": market.fingerprint,
        "symbols": market.symbols,
        "description": describe(market),
        "problems": report.to_json() if report is not None else None,
        "coverage": coverage(market, signals, start, end, calendar),
    }


@click.command()
@strategy_option
@history_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Run folder to create  [default: <backtest.out_dir>/<UTC time>-<strategy>]")
@click.option("--no-report", is_flag=True, help="Skip the tear sheet and execution-quality reports.")
@click.option("--inputs-of", "inputs_of", type=click.Path(dir_okay=False),
              help="Replay a paper run: backtest exactly the bars and actions its journal's cycles decided on, "
                   "with its settings, and compare the intents (exit 1 unless all identical).")
@click.option("--minutes", "minutes_file", type=click.Path(dir_okay=False),
              help="Minute bars (the cache trade data fetch --timeframe 1Min writes) to fill orders.style: twap "
                   "children on, each on its minute.")
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
    inputs_of: str | None,
    minutes_file: str | None,
) -> None:
    """Backtest a strategy on the embedded dataset (or --data) with the execution core."""
    from brokers.backtrader.minute_fills import MinuteFills
    from brokers.backtrader.runner import run_backtest, run_context
    from framework.capacity import capacity_warning
    from framework.run_folder import atomic_folder, write_run_folder
    from framework.styles import require_daily_style
    from framework.trading_window import trading_window, window_notes
    from framework.venue import venue_from_config

    if inputs_of is not None:
        given = {"--strategy": strategy, "--data": data, "--sectors": sectors, "--symbols": symbols,
                 "--start": start, "--end": end, "--cash": cash, "--config": config_files or None}
        _replay(Path(inputs_of), [k for k, v in given.items() if v is not None], out_dir, no_report)
        return

    settings = load_settings(config_files, _overrides(strategy, data, sectors, symbols, start, end, cash))
    minutes = None
    if minutes_file is None:
        require_daily_style(settings.orders.effective_style, "the backtest")  # before any data or output
    else:
        minutes = MinuteFills.from_cache(
            Path(minutes_file), participation_cap=settings.orders.participation_cap,
            window_minutes=settings.orders.twap_window_minutes, venue=venue_from_config(settings.venue))
    market = load_configured(settings.data)
    _print_data_report(market)
    plugin_class = get_strategy(settings.strategy.name)
    plugin = plugin_class(settings.strategy.params)
    first, last = trading_window(market, plugin, settings)
    for note in window_notes(market, plugin, settings, first, last):
        click.echo(f"note: {note}", err=True)
    capacity = capacity_warning(settings, market.symbols, market.sectors)
    if capacity:
        click.echo(f"warning: {capacity}", err=True)
    hint = backtest_hint(plugin_class, plugin.name)
    if hint:
        click.echo(hint, err=True)
    target = Path(out_dir) if out_dir else _default_out(settings, plugin.name)
    sessions = int(((market.dates >= first) & (market.dates <= last)).sum())
    with atomic_folder(target) as folder:
        with show_nested_progress():  # a plugin's own long work (training folds) is shown here
            signals = compute_signals(plugin, market.truncate(last))
        with progress(sessions, "backtest", unit="session") as tracker:
            result = run_backtest(market, plugin, settings, folder / "journal.sqlite", tracker.advance, signals,
                                  minutes=minutes)
        context = run_context(
            plugin.name, result, settings, delisted=list(result.delisted),
            **({"minutes": minutes_file} if minutes_file is not None else {}),
            data=_data_summary(market, signals, result.start, result.end, settings.data.calendar),
            signals={"discarded": result.discards.to_json()},
        )
        summary = write_run_folder(folder, result.journal_path, result.initial_cash, context, market.splits)
        stories = _halt_stories(folder, settings, no_report, target.name, market)
    _print(summary, stories, result.delisted, target, no_report)
    for line in _warnings(summary, result.discards.warnings(settings.signals)):
        click.echo(f"warning: {line}", err=True)


def _replay(journal: Path, conflicting: list[str], out_dir: str | None, no_report: bool) -> None:
    """`trade backtest --inputs-of PAPER_JOURNAL`: the run folder, then the exact intent comparison."""
    import sys

    from brokers.backtrader.replay import replay, replay_parity
    from brokers.backtrader.runner import run_context
    from framework.errors import InputError
    from framework.run_folder import atomic_folder, write_run_folder

    if conflicting:
        raise InputError(f"--inputs-of replays the paper run's own settings and bars: drop {', '.join(conflicting)}")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = Path(out_dir) if out_dir else Path("runs/replay") / f"{stamp}-{journal.stem}"
    with atomic_folder(target) as folder:
        inputs, result = replay(journal, folder / "journal.sqlite")
        context = run_context(inputs.settings.strategy.name, result, inputs.settings,
                              replay_of=str(journal), signals={"discarded": result.discards.to_json()})
        write_run_folder(folder, result.journal_path, result.initial_cash, context)
        if not no_report:
            from analyzers.reports import build_reports

            build_reports(folder, target.name)
    parity = replay_parity(journal, target / "journal.sqlite")
    click.echo(f"replay of {inputs.run_id}: {len(inputs.histories)} decision(s), "
               f"{result.start.date()} .. {result.end.date()}")
    click.echo(parity.line())
    for key in parity.differing[:10]:
        click.echo(f"  differs: {' '.join(key)}: paper {parity.paper.get(key)} replay {parity.replay.get(key)}")
    click.echo(f"run folder: {target}")
    if parity.differing:
        sys.exit(1)


NO_VIEW_WARNING = 0.05  # share of symbol-sessions without a view above which the summary says so


def _warnings(summary: dict[str, Any], discards: dict[str, str]) -> list[str]:
    """Signals the configuration dropped, and a strategy that was blind much of the run: once each."""
    lines = list(discards.values())
    share = summary["data"]["coverage"].get("no_view_share", 0.0)
    if share > NO_VIEW_WARNING:
        lines.append(f"the strategy had no view (NaN: positions held as they were) on {share:.1%} of the "
                     "symbol-sessions it could trade (data.coverage in summary.json)")
    return lines


def _halt_stories(folder: Path, settings: Settings, no_report: bool, name: str, market: MarketData) -> list[str]:
    """Build the reports (unless --no-report; from the market data already loaded, the data the
    run's config names) and tell the halts in words."""
    from analyzers import halts
    from analyzers.records import load_halt_inputs

    if not no_report:
        from analyzers.reports import build_reports

        return list(build_reports(folder, name, market=market).header.halts)
    events, days, equity = load_halt_inputs(folder)  # not the whole run: a market's signals are millions of rows
    found = halts.episodes(events, days, equity)
    return halts.stories(found, settings.risk.model_dump(), paper=False)


def _print(summary: dict[str, Any], stories: list[str], delisted: tuple[str, ...], target: Path,
           no_report: bool) -> None:
    from analyzers.console import backtest_summary, print_renderable

    print_renderable(backtest_summary(summary, stories))
    if delisted:
        click.echo(f"  delisted and closed out: {', '.join(delisted)}")
    click.echo(f"run folder: {target}")
    if not no_report:
        click.echo(f"tear sheet: {target / 'tearsheet.html'}")
