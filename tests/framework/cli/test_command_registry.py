"""`trade`'s commands come from a registry: the framework's own, the built-in plugins' and the
``trade.commands`` entry points; the framework names no plugin's command (issue 27, part 7)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
import pytest

import framework.cli as cli
from framework.cli import COMMANDS, main, registered

COMMAND = """
import click

@click.command()
def {name}() -> None:
    \"\"\"{text}\"\"\"
    click.echo("{text}")
"""


def _dist(root: Path, module: str, name: str, text: str) -> None:
    (root / f"{module}.py").write_text(COMMAND.format(name=name, text=text))
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[trade.commands]\n{name} = {module}:{name}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path where test distributions are installed (entry points and all)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("trade_cmd_")]:
        del sys.modules[name]


def test_train_is_the_plugins_command_not_the_frameworks() -> None:
    assert "train" not in COMMANDS
    assert not any(spec.startswith("strategies") for spec in COMMANDS.values())
    train = registered().usable["train"]
    assert train.spec.startswith("strategies.xgboost_signal.") and train.origin.startswith("built-in plugin")
    assert isinstance(cli.cli.get_command(click.Context(cli.cli), "train"), click.Command)


def test_an_entry_point_adds_a_command(site, capsys) -> None:
    _dist(site, "trade_cmd_hello", "hello", "hello from a plugin")
    main(["hello"])
    assert capsys.readouterr().out.strip() == "hello from a plugin"


def test_a_plugin_cannot_take_a_framework_command(site, capsys) -> None:
    _dist(site, "trade_cmd_shadow", "backtest", "not the backtest")
    found = registered()
    assert found.usable["backtest"].spec == COMMANDS["backtest"]
    assert [c.name for c in found.shadowing] == ["backtest"]
    main(["--help"])
    assert "entry point backtest = trade_cmd_shadow:backtest" in capsys.readouterr().err


def test_a_name_two_plugins_claim_is_refused_naming_both(site, capsys) -> None:
    _dist(site, "trade_cmd_one", "twice", "one")
    _dist(site, "trade_cmd_two", "twice", "two")
    with pytest.raises(SystemExit) as exit_:
        main(["twice"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "claimed twice" in err and "trade_cmd_one:twice" in err and "trade_cmd_two:twice" in err
