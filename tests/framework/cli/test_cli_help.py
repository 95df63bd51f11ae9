"""Every option of every command says what it does, and --help shows the defaults."""

from __future__ import annotations

import click
import pytest

from framework.cli import cli, main, registered


def _commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    found = []

    def walk(name: str, command: click.Command) -> None:
        found.append((name, command))
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                walk(f"{name} {sub}", command.get_command(ctx, sub))

    for name in registered().usable:
        walk(name, cli.get_command(ctx, name))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_has_help(name, command) -> None:
    missing = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.help]
    assert not missing, f"trade {name}: options without help: {missing}"


def test_help_shows_defaults(capsys) -> None:
    main(["sandbox", "advance", "--help"])
    advance = capsys.readouterr().out
    assert "[default: next_session]" in advance and "[default: 1;" in advance
    main(["backtest", "--help"])
    backtest = " ".join(capsys.readouterr().out.split())
    assert "[default: strategy.name from config]" in backtest and "[default: embedded]" in backtest
    main(["check-strategy", "--help"])
    assert "[default: 10" in capsys.readouterr().out
