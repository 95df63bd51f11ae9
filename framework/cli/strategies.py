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
        fields = plugin.Params.model_fields
        rows = [(param, _default(field), field.description or "") for param, field in fields.items()]
        wide_name = max((len(r[0]) for r in rows), default=0)
        wide_default = max((len(r[1]) for r in rows), default=0)
        for param, default, description in rows:
            line = f"      {param:<{wide_name}}  {default:<{wide_default}}  {description}"
            click.echo(line.rstrip())
