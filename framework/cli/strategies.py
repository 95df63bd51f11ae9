"""`trade strategies`: list the plugins with their parameters and defaults."""

from __future__ import annotations

import click
from pydantic_core import PydanticUndefined

from framework.cli.options import config_option
from framework.config import load_settings
from framework.registry import available_strategies


def _default(field) -> str:
    if field.default is PydanticUndefined:
        return "required"
    return repr(field.default)


@click.command()
@config_option
def strategies(config_files: tuple[str, ...]) -> None:
    """List the strategy plugins, their summary and parameters (the configured one marked *)."""
    configured = load_settings(config_files).strategy.name
    for name, plugin in available_strategies().items():
        mark = "*" if name == configured else " "
        click.echo(f"{mark} {name}  {plugin.summary}")
        for param, field in plugin.Params.model_fields.items():
            description = f"  {field.description}" if field.description else ""
            click.echo(f"      {param} = {_default(field)}{description}")
