"""The documentation a person navigates: the mkdocs site builds offline with no broken link or
anchor (``--strict``), and the README keeps the quick start and links only to pages that exist."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_site_builds_in_strict_mode(tmp_path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = {p.name for p in (tmp_path / "site").glob("*.html")}
    assert {"index.html", "backtesting.html", "plugins.html", "paper.html", "reports.html"} <= pages
    index = (tmp_path / "site" / "index.html").read_text()
    assert "fonts.googleapis.com" not in index  # nothing fetched when read offline
    # The home page is the README (docs/hooks/readme_home.py), so the two cannot drift apart.
    summary = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("backtest "))
    assert html.escape(summary.split("(")[0].strip(), quote=False) in index
    assert 'href="plugins.html' in index and 'href="docs/' not in index


def test_the_home_page_is_the_readme_with_site_relative_links() -> None:
    spec = importlib.util.spec_from_file_location("readme_home", ROOT / "docs" / "hooks" / "readme_home.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "See [Plugins](docs/plugins.md#1-signals) and [Alpaca](https://alpaca.markets/docs/x)."
    assert module.home_markdown(text) == "See [Plugins](plugins.md#1-signals) and [Alpaca](https://alpaca.markets/docs/x)."


def test_the_readme_keeps_the_quick_start_and_links_to_real_pages() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make demo", "make test"]
    targets = re.findall(r"\]\((docs/[^)#\s]+)", readme)
    assert targets, "the README points to no documentation page"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README links to missing pages: {missing}"


def test_every_plugin_declaration_is_listed_with_its_default() -> None:
    """A plugin author guessed which optional declarations exist; the README lists them all."""
    from framework import Strategy

    readme = (ROOT / "README.md").read_text()
    declared = [n for n in ("name", "summary", "signal_kind", "nan_means", "trading_defaults", "Params")
                if hasattr(Strategy, n) or n in Strategy.__annotations__]
    for name in [*declared, "warmup_bars", "exits", "interface_version"]:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}")), None)
        assert row is not None, f"{name} is not in the README's declarations table"
    defaults = {"summary": '`""`', "signal_kind": '`"scores"`', "nan_means": '`"hold"`', "trading_defaults": "`{}`",
                "warmup_bars": "`0`", "interface_version": "`1`"}
    for name, shown in defaults.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}"))
        assert shown in row, f"{name}'s default {shown} not in: {row}"
    assert str(Strategy.signal_kind) == "scores" and str(Strategy.nan_means) == "hold" and Strategy.summary == ""
