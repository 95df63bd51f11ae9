"""Options shared by every command."""

from __future__ import annotations

from collections.abc import Callable
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
    given = drop_none(**values)
    return {section: given} if given else {}


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
