"""Options shared by every command."""

from __future__ import annotations

from typing import Any

import click

config_option = click.option(
    "--config",
    "config_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="YAML file over the shipped defaults (repeatable; later files win).",
)


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
