"""The `trade` command line: the composition root, and the registry of its commands.

A command is named by ``"module:attribute"`` and loaded only when asked for, so `trade --help`
imports neither backtrader, xgboost nor alpaca-py. Where commands come from, in order:

1. the framework's own (:data:`COMMANDS`, modules in this package);
2. the built-in plugin package's (``strategies.COMMANDS``: the XGBoost plugin's `train`);
3. the ``trade.commands`` entry-point group of installed distributions.

A plugin's command named like a framework command is refused (the framework's stays; a warning
names it); a name two plugins claim is refused when asked for, naming both origins.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, entry_points, version

import click

from framework.errors import BrokerError, InputError, StrategyError, TradeError, UserError

#: the framework's commands: name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "strategies": "framework.cli.strategies:strategies",
    "check-strategy": "framework.cli.check_strategy:check_strategy",
    "data": "framework.cli.data:data",
    "backtest": "framework.cli.backtest:backtest",
    "sweep": "framework.cli.sweep:sweep",
    "sandbox": "framework.cli.sandbox:sandbox",
    "paper": "framework.cli.paper:paper",
    "status": "framework.cli.paper:status",
    "halt": "framework.cli.paper:halt",
    "resume": "framework.cli.paper:resume",
    "flatten": "framework.cli.paper:flatten",
    "watch": "framework.cli.ops:watch",
    "dashboard": "framework.cli.ops:dashboard",
    "report": "framework.cli.report:report",
    "rehearse": "framework.cli.rehearse:rehearse",
}


COMMAND_GROUP = "trade.commands"  # entry points: name = "module:attribute" of a click command
BUILTIN_PLUGINS = "strategies"  # the built-in plugin package (framework.registry.BUILTIN_PACKAGE)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    spec: str  # "module:attribute"
    origin: str


@dataclass(frozen=True)
class Commands:
    """Every command name found: the usable ones, and those refused (with why)."""

    usable: dict[str, CommandSpec]
    clashes: dict[str, tuple[CommandSpec, ...]]
    shadowing: tuple[CommandSpec, ...]  # plugin commands named like a framework command


def _available(spec: str) -> bool:
    module = spec.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _plugin_commands() -> list[CommandSpec]:
    found = []
    if _available(BUILTIN_PLUGINS):
        declared = getattr(importlib.import_module(BUILTIN_PLUGINS), "COMMANDS", {})
        found += [CommandSpec(n, s, f"built-in plugin {s}") for n, s in sorted(declared.items())]
    seen: set[tuple[str, str]] = set()
    for ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: (e.name, e.value)):
        if (ep.name, ep.value) not in seen:  # one distribution visible twice on the path
            seen.add((ep.name, ep.value))
            dist = getattr(ep, "dist", None)
            owner = f" from {dist.name}" if dist is not None else ""
            found.append(CommandSpec(ep.name, ep.value, f"entry point {ep.name} = {ep.value}{owner}"))
    return found


def registered() -> Commands:
    """The framework's commands, then the plugins' (built-in, then entry points)."""
    usable = {n: CommandSpec(n, s, "trade") for n, s in COMMANDS.items() if _available(s)}
    claims: dict[str, list[CommandSpec]] = {}
    shadowing = []
    for command in _plugin_commands():
        if command.name in COMMANDS:
            shadowing.append(command)
        elif _available(command.spec):
            claims.setdefault(command.name, []).append(command)
    clashes = {n: tuple(c) for n, c in claims.items() if len({x.spec for x in c}) > 1}
    usable |= {n: c[0] for n, c in claims.items() if n not in clashes}
    return Commands(usable, clashes, tuple(shadowing))


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        found = registered()
        for command in found.shadowing:
            click.echo(f"warning: {command.origin} is refused: `trade {command.name}` is the framework's", err=True)
        return sorted({*found.usable, *found.clashes})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = registered()
        if cmd_name in found.clashes:
            origins = " and ".join(c.origin for c in found.clashes[cmd_name])
            raise InputError(f"command {cmd_name!r} is claimed twice: {origins}; uninstall one")
        command = found.usable.get(cmd_name)
        if command is None:
            return None
        module_name, _, attr = command.spec.partition(":")
        return getattr(importlib.import_module(module_name), attr)


def _version() -> str:
    try:
        return version("trade")
    except PackageNotFoundError:
        return "0+unknown"


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(_version(), "--version", prog_name="trade")
def cli() -> None:
    """trade: one execution core for backtests (backtrader) and paper trading (Alpaca)."""


def fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: a user's mistake is one line on stderr and exit code 2."""
    try:
        cli.main(args=argv, prog_name="trade", standalone_mode=False)
    except click.exceptions.Abort as e:
        if isinstance(e.__cause__ or e.__context__, KeyboardInterrupt):
            fail("interrupted", 130)  # Ctrl-C, as a shell reports it
        fail("aborted", 1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except UserError as e:
        fail(str(e), e.exit_code)
    except (StrategyError, BrokerError) as e:
        fail(str(e), 1)
    except TradeError as e:
        fail(f"{type(e).__name__}: {e}", 1)
    except KeyboardInterrupt:
        fail("interrupted", 130)
