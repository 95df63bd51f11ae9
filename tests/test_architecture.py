"""The house rules, read from the source (ast), so a wrong import fails here and not in review.

- ``brokers/`` holds adapters: it imports nothing from ``analyzers/``, ``strategies/`` or an
  application (``framework.live``, ``framework.research``, ``framework.cli``).
- ``framework/`` is the core and its applications: outside ``framework/cli`` (the composition
  root, which alone picks adapters, analyzers and plugins) it imports no ``brokers``,
  ``strategies`` or ``analyzers``.
- No import cycles among the modules of ``framework`` and ``brokers``: a function-local import
  counts (it is a cycle deferred, not removed), and so does an ``if TYPE_CHECKING:`` one (a type
  named both ways is a cycle of concepts: one of the two belongs elsewhere).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("framework", "brokers", "analyzers", "strategies")
APPLICATIONS = ("framework.live", "framework.research", "framework.cli")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a submodule when ``from package import submodule``)
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


KNOWN = modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(base: str, names: list[str]) -> list[str]:
    """``from base import a, b``: each name that is a module of ours is the target, else ``base``."""
    targets = [f"{base}.{n}" for n in names if f"{base}.{n}" in KNOWN]
    return targets if len(targets) == len(names) else [*targets, base]


def imports_of(name: str, path: Path) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_one(sub, True)
                for sub in child.orelse:
                    visit_one(sub, typing_only)
                continue
            visit_one(child, typing_only)

    def visit_one(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(name, a.name, node.lineno, typing_only) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.extend(Import(name, t, node.lineno, typing_only)
                         for t in _resolve(base, [a.name for a in node.names]))
        visit(node, typing_only)

    visit(ast.parse(path.read_text(), str(path)), False)
    return found


@functools.cache
def all_imports() -> tuple[Import, ...]:
    """Every import of every module, parsed once for the module's tests (each read them all)."""
    return tuple(i for name, path in KNOWN.items() for i in imports_of(name, path))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _where(i: Import) -> str:
    return f"{KNOWN[i.source].relative_to(ROOT)}:{i.line} imports {i.target}"


def test_brokers_hold_adapters_only() -> None:
    forbidden = ("analyzers", "strategies", *APPLICATIONS)
    wrong = [_where(i) for i in all_imports()
             if _within(i.source, "brokers") and any(_within(i.target, f) for f in forbidden)]
    assert wrong == [], "brokers/ imports an analyzer, a plugin or an application:\n" + "\n".join(wrong)


def test_the_core_and_its_applications_import_no_adapter_plugin_or_analyzer() -> None:
    wrong = [_where(i) for i in all_imports()
             if _within(i.source, "framework") and not _within(i.source, "framework.cli")
             and any(_within(i.target, f) for f in ("brokers", "strategies", "analyzers"))]
    assert wrong == [], "framework/ outside framework/cli imports brokers/strategies/analyzers:\n" + "\n".join(wrong)


def _graph(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (a submodule's import of its own package aside)."""
    graph: dict[str, set[str]] = {m: set() for m in KNOWN if any(_within(m, p) for p in packages)}
    for i in all_imports():
        # (a submodule importing its own package's __init__ is how a package is read, not a cycle)
        if i.source in graph and i.target in graph and not _within(i.source, i.target):
            graph[i.source].add(i.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ["framework", "brokers"])
def test_no_import_cycles(package: str) -> None:
    found = cycles(_graph((package,)))
    assert found == [], f"import cycles in {package}/: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_reader_sees_lazy_and_typing_imports() -> None:
    """The rules above are only as good as the reader: a function-local import is seen, a
    TYPE_CHECKING one is marked."""
    source = ROOT / "framework" / "cli" / "rehearse.py"
    found = imports_of("framework.cli.rehearse", source)
    lazy = [i for i in found if i.target == "brokers.sandbox.server" and not i.typing_only]
    typing = [i for i in found if i.target == "brokers.sandbox.server" and i.typing_only]
    assert lazy and typing
