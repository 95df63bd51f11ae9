"""Runs the report tests share: one full momentum backtest for the whole session (read-only:
a test that changes a run copies it first)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def trade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`trade ...` in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "from framework.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=900,
    )


@pytest.fixture(scope="session")
def full_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("full")
    result = trade("backtest", "--strategy", "momentum", "--out", str(tmp / "full-momentum"), cwd=tmp)
    assert result.returncode == 0, result.stderr
    return tmp / "full-momentum"
