"""Options shared by the commands: one definition (name, type, help) each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

config_option = click.option(
    "--config",
    "config_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="YAML file over the shipped defaults (repeatable; later files win).",
)

strategy_option = click.option("--strategy", help="Strategy plugin name  [default: strategy.name from config]")
prices_option = click.option("--data", type=click.Path(dir_okay=False),
                             help="Prices file (CSV, CSV.GZ, Parquet)  [default: embedded]")
sectors_option = click.option("--sectors", type=click.Path(dir_okay=False), help="Sectors file symbol,sector.")
symbols_option = click.option("--symbols", help="Comma-separated symbols to trade  [default: all in the data]")
start_option = click.option("--start", help="First session to trade, YYYY-MM-DD  [default: first after the warm-up]")
end_option = click.option("--end", help="Last session, YYYY-MM-DD  [default: last in the data]")
cash_option = click.option("--cash", type=float, help="Starting cash  [default: backtest.cash, 100000]")

F = TypeVar("F", bound=Callable[..., Any])


def history_options(command: F) -> F:
    """What a backtest runs on: --data --sectors --symbols --start --end --cash --config (in
    this order in --help), shared by `trade backtest` and `trade sweep`."""
    for option in reversed((prices_option, sectors_option, symbols_option, start_option, end_option,
                            cash_option, config_option)):
        command = option(command)
    return command


def drop_none(**values: Any) -> dict[str, Any]:
    """Command-line overrides: only the options the user actually gave."""
    return {k: v for k, v in values.items() if v is not None}


def nested(section: str, **values: Any) -> dict[str, Any]:
    """``{section: {given options}}``, or nothing when no option of the section was given."""
    given = drop_none(**values)
    return {section: given} if given else {}


def data_overrides(prices: str | None, sectors: str | None, symbols: str | None = None) -> dict[str, Any]:
    """The `data` section from --data, --sectors and a comma-separated --symbols."""
    chosen = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    return nested("data", prices=prices or None, sectors=sectors or None, symbols=chosen)
