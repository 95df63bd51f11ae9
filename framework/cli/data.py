"""`trade data`: check a price file (`trade data check`), fetch Alpaca's bars (`trade data fetch`)."""

from __future__ import annotations

import importlib
import sys

import click

from framework.cli.options import config_option
from framework.config import load_settings
from framework.data import check_file

#: sub-command -> "module:attribute", loaded when used (fetch needs alpaca-py).
SUBCOMMANDS = {"fetch": "framework.cli.data_fetch:fetch"}


class _DataGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *SUBCOMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            module, _, attr = SUBCOMMANDS[cmd_name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, cmd_name)


@click.group("data", cls=_DataGroup)
def data() -> None:
    """Check price files and fetch daily bars."""


@data.command("check")
@click.argument("prices", type=click.Path(dir_okay=False))
@click.option("--sectors", type=click.Path(dir_okay=False), help="Sectors file symbol,sector to check with it.")
@config_option
def check(prices: str, sectors: str | None, config_files: tuple[str, ...]) -> None:
    """Report every problem in PRICES: exit 0 clean, 1 problems found, 2 unreadable."""
    settings = load_settings(list(config_files))
    report = check_file(prices, settings.data, sectors)
    for line in report.lines():
        click.echo(line)
    if not report.clean:
        sys.exit(1)
