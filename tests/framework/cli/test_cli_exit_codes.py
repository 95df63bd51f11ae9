"""Exit codes a shell and a service manager read: Ctrl-C is 130 (defect 14.16), not "aborted" 1."""

from __future__ import annotations

import click
import pytest

from framework import cli


@click.command()
def interrupting() -> None:
    raise KeyboardInterrupt  # what Ctrl-C raises inside a long-running command (the paper loop)


@click.command()
def aborting() -> None:
    raise click.Abort()


@pytest.mark.parametrize(("name", "code", "text"), [("interrupting", 130, "interrupted"), ("aborting", 1, "aborted")])
def test_ctrl_c_exits_130_and_an_abort_exits_1(monkeypatch, capsys, name, code, text) -> None:
    monkeypatch.setitem(cli.COMMANDS, name, f"{__name__}:{name}")
    with pytest.raises(SystemExit) as exit_:
        cli.main([name])
    assert exit_.value.code == code
    assert text in capsys.readouterr().err
