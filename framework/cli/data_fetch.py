"""`trade data fetch`: Alpaca's daily bars into a local Parquet cache (see :mod:`framework.data.cache`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import pandas as pd

from brokers.alpaca.config import credentials, resolve_endpoints
from brokers.alpaca.connect import request_policy
from brokers.alpaca.feeds import AlpacaBars, make_data_client
from framework.cli.options import config_option
from framework.config import load_settings
from framework.data.cache import DAILY, MINUTE, fetch_minutes
from framework.data.cache import fetch as fetch_bars
from framework.errors import DataError, InputError


def _day(value: str, option: str) -> date:
    try:
        return pd.Timestamp(value).date()
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def universe_symbols(path: Path) -> list[str]:
    """Symbols of a universe file: a CSV with a ``symbol`` column, or one symbol a line."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    header = [c.strip().lower() for c in lines[0].split(",")] if lines else []
    if "symbol" in header:
        column = header.index("symbol")
        found = [line.split(",")[column].strip() for line in lines[1:]]
    else:
        found = [line.split(",")[0].strip() for line in lines if not line.startswith("#")]
    symbols = list(dict.fromkeys(s.upper() for s in found if s))
    if not symbols:
        raise DataError(f"{path}: no symbols")
    return symbols


@click.command("fetch")
@click.option("--symbols", help="Comma-separated symbols.")
@click.option("--universe", type=click.Path(dir_okay=False),
              help="File of symbols (CSV with a symbol column, or one a line).")
@click.option("--start", required=True, help="First session, YYYY-MM-DD.")
@click.option("--end", required=True, help="Last session, YYYY-MM-DD.")
@click.option("--feed", type=click.Choice(["iex", "sip"]), help="Data feed (default: paper.alpaca.feed).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Parquet cache to create or extend.")
@click.option("--timeframe", type=click.Choice([DAILY, MINUTE]), default=DAILY, show_default=True,
              help="Daily bars (a --data file) or minute bars (what a TWAP is simulated on).")
@config_option
def fetch(symbols: str | None, universe: str | None, start: str, end: str, feed: str | None, out: str,
          timeframe: str, config_files: tuple[str, ...]) -> None:
    """Fetch bars from Alpaca into a Parquet cache (only what it lacks); daily bars serve as --data."""
    if bool(symbols) == bool(universe):
        raise InputError("give --symbols or --universe (one of them)")
    wanted = ([s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols
              else universe_symbols(Path(universe).expanduser()))  # type: ignore[arg-type]
    settings = load_settings(list(config_files))
    ends = resolve_endpoints(settings.paper.alpaca)
    client = make_data_client(credentials(), ends, request_policy(settings))
    bars = AlpacaBars(client, feed=feed or settings.paper.alpaca.feed)
    try:
        get = fetch_minutes if timeframe == MINUTE else fetch_bars
        get(bars, Path(out).expanduser(), wanted, _day(start, "--start"), _day(end, "--end"), echo=click.echo)
    finally:
        client._session.close()
