"""`trade new-strategy NAME` writes a template that passes `trade check-strategy` and backtests
as generated, declares everything a plugin may declare, and refuses what it cannot write."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
from pathlib import Path

import pytest
from cli_invoke import trade_here


@pytest.fixture
def trade(tmp_path, capsys, monkeypatch):
    """`trade ...` in this process from ``tmp_path``, where the template is written and imported
    from (as `trade` run there finds it: the current folder is on the import path)."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        importlib.invalidate_caches()  # the template was written after the folder was first listed
        return trade_here(list(args), capsys, monkeypatch, cwd)

    return run


def test_the_template_checks_and_backtests_as_generated(tmp_path, trade) -> None:
    made = trade("new-strategy", "my_idea", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "trade check-strategy my_idea:MyIdea" in made.stdout
    checked = trade("check-strategy", "my_idea:MyIdea", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK: no lookahead found; warm-up long enough" in checked.stdout
    out = tmp_path / "run"
    ran = trade("backtest", "--strategy", "my_idea:MyIdea", "--start", "2018-01-02", "--end", "2018-12-31",
                "--no-report", "--out", str(out), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["strategy"] == "my_idea" and summary["figures"]["orders"] > 0


def test_the_template_declares_everything_a_plugin_may_declare(tmp_path, trade) -> None:
    assert trade("new-strategy", "idea2", cwd=tmp_path).returncode == 0
    tree = ast.parse((tmp_path / "idea2.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    assert cls.name == "Idea2"
    names = {t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    names |= {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    names |= {n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    assert {"name", "summary", "signal_kind", "nan_means", "trading_defaults", "Params", "warmup_bars", "signals",
            "exits"} <= names
    text = (tmp_path / "idea2.py").read_text()
    for default in ('Default: "scores"', 'Default: "hold"', "Default: {}", "Default: 0", 'Default: "".'):
        assert default in text


def test_a_bad_name_or_an_existing_file_is_one_line_exit_2(tmp_path, trade) -> None:
    bad = trade("new-strategy", "my-idea", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "not a Python identifier" in bad.stderr
    (tmp_path / "taken.py").write_text("# mine\n")
    taken = trade("new-strategy", "taken", cwd=tmp_path)
    assert taken.returncode == 2 and "already exists" in taken.stderr
    assert (tmp_path / "taken.py").read_text() == "# mine\n"  # nothing overwritten
