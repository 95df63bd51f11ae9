"""`trade ...` run by a test: in its own process (exit code and output captured, or with an
environment of its own), or in a child process as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from framework.cli import main


def invoke(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `trade ARGV`; 0 when the command returns normally."""
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out = capsys.readouterr()
    return code, out.out, out.err


def trade_here(args: list[str], capsys, monkeypatch, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`trade ARGS` in this process from the folder ``cwd``, answered as `trade` (the child
    process) answers: for a test whose point is the command, not the process boundary."""
    monkeypatch.chdir(cwd)
    code, out, err = invoke(args, capsys)
    return subprocess.CompletedProcess(["trade", *args], code, out, err)


def run_trade(argv: list[str], env: dict[str, str]) -> int:
    """One `trade ...` in this process with ``env`` in the environment (restored after); its exit code."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        main(argv)
        return 0
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_trade_output(argv: list[str], env: dict[str, str], capsys) -> tuple[int, str]:
    """:func:`run_trade`, and what it printed (stdout then stderr)."""
    code = run_trade(argv, env)
    out = capsys.readouterr()
    return code, out.out + out.err


def paper_once(config: Path, env: dict[str, str]) -> str:
    """One `trade paper --once` in this process; raises on failure."""
    code = run_trade(["paper", "--once", "--config", str(config)], env)
    if code:
        raise AssertionError(f"trade paper --once exited {code}")
    return ""


def trade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`trade ...` in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "from framework.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=900,
    )
