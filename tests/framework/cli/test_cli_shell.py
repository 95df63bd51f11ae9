"""The `trade` group itself: help, version, commands, the one-line error path. `--help` runs as
a user starts `trade` (a process of its own, the plugins found afresh); the rest in this process
(the boundary is not their point: a child pays its own imports)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_invoke import invoke

import framework
from framework.cli import main, registered


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from framework.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in registered().usable:
        assert name in result.stdout, name
    assert "train" in result.stdout  # contributed by the XGBoost plugin, not named by the framework


def test_version(capsys) -> None:
    code, out, _ = invoke(["--version"], capsys)
    assert code == 0 and out.strip() == "trade, version 0.1.0"


def test_unknown_command_is_a_usage_error(capsys) -> None:
    code, _, err = invoke(["frobnicate"], capsys)
    assert code == 2 and "No such command 'frobnicate'" in err


def test_user_error_is_one_line_on_stderr_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check-strategy", "nope"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "unknown strategy 'nope'" in err[0]


def test_exported_members() -> None:
    assert sorted(framework.__all__) == framework.__all__
    for name in framework.__all__:
        assert hasattr(framework, name), name
    public = {n for n in dir(framework) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(framework.__all__) | {"framework"}
