"""`trade new-strategy NAME`: write a commented plugin template (Freqtrade's `new-strategy`).

The template declares everything a plugin may declare, each with its default said, and passes
`trade check-strategy` and backtests as written, so a new plugin starts from something that runs.
"""

from __future__ import annotations

import keyword
from importlib.resources import files
from pathlib import Path
from string import Template

import click

from framework.errors import InputError


def class_name(name: str) -> str:
    """``my_idea`` → ``MyIdea``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Strategy"


def render(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise InputError(f"strategy name {name!r} is not a Python identifier (letters, digits, _; e.g. my_idea)")
    text = files("framework.templates").joinpath("strategy.py.tmpl").read_text(encoding="utf-8")
    return Template(text).substitute(name=name, cls=class_name(name))


@click.command("new-strategy")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write NAME.py into.")
def new_strategy(name: str, folder: Path) -> None:
    """Write NAME.py: a commented strategy template with every declaration, ready to check and backtest."""
    text = render(name)
    target = folder / f"{name}.py"
    if target.exists():
        raise InputError(f"{target} already exists: pick another name or remove it")
    if not folder.is_dir():
        raise InputError(f"--dir {folder}: no such folder")
    target.write_text(text, encoding="utf-8")
    cls = class_name(name)
    click.echo(f"wrote {target}: the {name} strategy, class {cls}")
    hint = "" if folder == Path(".") else f"cd {folder} && "
    click.echo(f"next: {hint}trade check-strategy {name}:{cls} && trade backtest --strategy {name}:{cls}")


__all__ = ["class_name", "new_strategy", "render"]
