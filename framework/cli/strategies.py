"""`trade strategies`: list the plugins with their parameters and defaults."""

from __future__ import annotations

import click
from pydantic_core import PydanticUndefined

from framework.registry import available_strategies


def _default(field) -> str:  # noqa: ANN001 - pydantic FieldInfo
    if field.default is PydanticUndefined:
        return "required"
    return repr(field.default)


@click.command()
def strategies() -> None:
    """List the strategy plugins, their summary and parameters."""
    for name, plugin in available_strategies().items():
        click.echo(f"{name}  {plugin.summary}")
        for param, field in plugin.Params.model_fields.items():
            description = f"  {field.description}" if field.description else ""
            click.echo(f"    {param} = {_default(field)}{description}")
