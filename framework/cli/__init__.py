"""The `trade` command line.

Commands are loaded lazily by dotted path, so `trade --help` does not import backtrader,
xgboost or alpaca-py, and so commands can live beside the code they drive (the backtest
command in ``brokers.backtrader``) without ``framework`` importing those packages.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version

import click

from framework.errors import BrokerError, StrategyError, TradeError, UserError

#: command name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "strategies": "framework.cli.strategies:strategies",
    "check-strategy": "framework.cli.check_strategy:check_strategy",
    "data": "framework.cli.data:data",
    "backtest": "framework.cli.backtest:backtest",
    "sweep": "framework.cli.sweep:sweep",
    "train": "strategies.xgboost_signal.cli:train",
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


def _available(spec: str) -> bool:
    module = spec.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, spec in COMMANDS.items() if _available(spec))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None or not _available(spec):
            return None
        module_name, _, attr = spec.partition(":")
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
