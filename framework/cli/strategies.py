"""`trade strategies [NAME]`: the plugins, their parameters and defaults, and where each value
of a plugin's trading settings comes from."""

from __future__ import annotations

import click
from pydantic_core import PydanticUndefined

from framework.cli.options import config_option
from framework.config import ResolvedSettings, resolve_settings
from framework.config.loader import PLUGIN_KEYS
from framework.registry import PluginEntry, discover, origin_of
from framework.strategy import Strategy, warmup


def _default(field) -> str:
    if field.default is PydanticUndefined:
        return "required"
    return repr(field.default)


def _table(rows: list[tuple[str, ...]], indent: str = "      ") -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        cells = [f"{c:<{w}}" for c, w in zip(row, widths, strict=False)] + [row[-1]]
        click.echo((indent + "  ".join(cells)).rstrip())


def _params(plugin: type[Strategy]) -> None:
    fields = plugin.Params.model_fields
    _table([(param, _default(field), field.description or "") for param, field in fields.items()])


def _listing(entry: PluginEntry, configured: str) -> None:
    assert entry.plugin is not None
    mark = "*" if entry.name == configured else " "
    alias = f"  (class name {', '.join(entry.aliases)}: an alias)" if entry.aliases else ""
    click.echo(f"{mark} {entry.name}  {entry.plugin.summary}{alias}")
    _params(entry.plugin)


@click.command()
@click.argument("name", required=False)
@config_option
def strategies(name: str | None, config_files: tuple[str, ...]) -> None:
    """List the strategy plugins, their summary and parameters (the configured one marked *);
    with NAME (a plugin or module:Class), that plugin's settings and where each comes from."""
    if name:
        _detail(name, resolve_settings(config_files, {"strategy": {"name": name}}))
        return
    resolved = resolve_settings(config_files)
    configured = resolved.settings.strategy.name
    registry = discover()
    for entry in registry.entries.values():
        _listing(entry, configured)
    if ":" in configured and resolved.plugin is not None:
        click.echo(f"* {configured}  {resolved.plugin.summary}  ({origin_of(configured)})")
        _params(resolved.plugin)
    for clash, entries in sorted(registry.clashes.items()):
        click.echo(f"! {clash}  refused: the name is claimed twice: {' and '.join(e.origin for e in entries)}")
    for broken, entry in sorted(registry.broken.items()):
        click.echo(f"! {broken}  failed to load ({entry.origin}): {entry.error}")


def _detail(name: str, resolved: ResolvedSettings) -> None:
    plugin = resolved.plugin
    assert plugin is not None
    settings = resolved.settings
    kind, nan = plugin.declarations()
    instance = plugin(settings.strategy.params)
    echo = click.echo
    echo(f"{plugin.name}  {plugin.summary}")
    echo(f"  from: {origin_of(name)}")
    bars = warmup(instance, settings.strategy.warmup_bars)
    where = resolved.origin("strategy", "warmup_bars") if settings.strategy.warmup_bars else f"plugin {plugin.name}"
    echo(f"  signals are {kind.value}; NaN means {nan.value}; exits hook: "
         f"{'yes' if type(instance).exits is not Strategy.exits else 'no'}")
    echo(f"  warm-up: {bars} bars ({where})")
    echo("  parameters (value, where it comes from, what it is):")
    params = settings.strategy.params
    fields = plugin.Params.model_fields
    _table([(p, repr(getattr(instance.params, p)), _param_origin(resolved, p, params), f.description or "")
            for p, f in fields.items()], "    ")
    echo("  trading settings a plugin may own (value, where it comes from):")
    dumped = settings.model_dump(mode="json", context={"every_key": True})
    _table([(f"{section}.{key}", _value(dumped[section][key]), resolved.origin(section, key))
            for section, keys in PLUGIN_KEYS.items() for key in keys], "    ")


def _param_origin(resolved: ResolvedSettings, param: str, given: dict) -> str:
    where = resolved.origin("strategy", "params", param)
    return where if param in given and where != "default" else "plugin default"


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
