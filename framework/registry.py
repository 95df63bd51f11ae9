"""Find strategy plugins by name: the built-in `strategies` package, the `trade.strategies`
entry-point group (third-party distributions), or an explicit ``"module:Class"``.

No surprises:

- an entry point's name *is* the strategy's name; a class whose own ``name`` differs is
  registered under the entry-point name, and its class name is kept as an alias (stated by
  `trade strategies`);
- a name claimed twice (a plugin named like a built-in, two distributions) is refused when asked
  for, naming both origins; nothing shadows anything silently;
- a plugin that fails to import is reported by name and breaks no other plugin;
- ``module:Class`` loads ``module`` from the current directory when its file is there (never by
  editing ``sys.path``), else imports it as installed.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import pkgutil
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from framework.errors import InputError, StrategyError
from framework.strategy import Strategy

ENTRY_POINT_GROUP = "trade.strategies"
BUILTIN_PACKAGE = "strategies"


@dataclass(frozen=True)
class PluginEntry:
    """One registered name: the plugin class (None when it failed to load) and where it came from."""

    name: str
    origin: str
    plugin: type[Strategy] | None = None
    error: str = ""
    aliases: tuple[str, ...] = ()


@dataclass
class Registry:
    """Every name found, with the clashes and the failures kept apart from the healthy plugins."""

    entries: dict[str, PluginEntry] = field(default_factory=dict)
    clashes: dict[str, list[PluginEntry]] = field(default_factory=dict)
    broken: dict[str, PluginEntry] = field(default_factory=dict)

    def add(self, entry: PluginEntry) -> None:
        if entry.plugin is None:
            self.broken.setdefault(entry.name, entry)
            return
        if entry.name in self.clashes:
            self.clashes[entry.name].append(entry)
            return
        known = self.entries.get(entry.name)
        if known is None:
            self.entries[entry.name] = entry
        elif _base(known.plugin) is not _base(entry.plugin):
            self.clashes[entry.name] = [self.entries.pop(entry.name), entry]

    @property
    def plugins(self) -> dict[str, type[Strategy]]:
        return {n: e.plugin for n, e in sorted(self.entries.items()) if e.plugin is not None}

    def alias_of(self, name: str) -> PluginEntry | None:
        hits = [e for e in self.entries.values() if name in e.aliases]
        return hits[0] if len(hits) == 1 and name not in self.entries else None

    def get(self, name: str) -> type[Strategy]:
        if name in self.clashes:
            origins = " and ".join(e.origin for e in self.clashes[name])
            raise InputError(f"strategy name {name!r} is claimed twice: {origins}; uninstall one, or register "
                             "it under another entry-point name")
        entry = self.entries.get(name) or self.alias_of(name)
        if entry is not None and entry.plugin is not None:
            return entry.plugin
        if name in self.broken:
            failed = self.broken[name]
            raise StrategyError(f"strategy {name!r} ({failed.origin}) failed to load: {failed.error}")
        known = sorted({*self.entries, *self.clashes, *self.broken})
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(f"unknown strategy {name!r} ({hint}available: {', '.join(self.plugins) or 'none'})")


def _base(plugin: type[Strategy] | None) -> type | None:
    """The class a registered name stands for (an entry point's renamed subclass counts as it)."""
    return getattr(plugin, "registered_from", plugin)


def _is_plugin(obj: object) -> bool:
    return (
        inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and not inspect.isabstract(obj)
        and isinstance(getattr(obj, "name", None), str)
    )


def _error(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".splitlines()[0]


@lru_cache(maxsize=256)
def _named(plugin: type[Strategy], name: str) -> type[Strategy]:
    """The plugin under its registered name: itself, or a subclass that only renames it (one per
    name, so every look-up gives the same class)."""
    if plugin.name == name:
        return plugin
    namespace = {"name": name, "registered_from": plugin, "__module__": plugin.__module__,
                 "__qualname__": plugin.__qualname__, "__doc__": plugin.__doc__}
    return type(plugin.__name__, (plugin,), namespace)


def _checked(plugin: type[Strategy]) -> str:
    """What is wrong with a plugin's interface version or declarations ('' when nothing)."""
    try:
        plugin.check_interface()
        plugin.declarations()
    except StrategyError as e:
        return str(e)
    return ""


def _builtin(registry: Registry) -> None:
    package = importlib.import_module(BUILTIN_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__, f"{BUILTIN_PACKAGE}."):
        origin = f"built-in {info.name}"
        try:
            module = importlib.import_module(info.name)
        except Exception as e:
            registry.add(PluginEntry(info.name.rpartition(".")[2], origin, error=_error(e)))
            continue
        for obj in vars(module).values():
            if _is_plugin(obj) and obj.__module__.startswith(info.name):
                where = f"built-in {obj.__module__}:{obj.__qualname__}"
                problem = _checked(obj)
                registry.add(PluginEntry(obj.name, where, None if problem else obj, problem))


def _entry_origin(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    version = f" {dist.version}" if dist is not None and getattr(dist, "version", None) else ""
    owner = f" from {dist.name}{version}" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value}{owner}"


def _from_entry_point(ep: EntryPoint) -> PluginEntry:
    origin = _entry_origin(ep)
    try:
        obj = ep.load()
    except Exception as e:
        return PluginEntry(ep.name, origin, error=_error(e))
    if not _is_plugin(obj):
        return PluginEntry(ep.name, origin, error=f"{ep.value} is not a Strategy subclass")
    problem = _checked(obj)
    if problem:
        return PluginEntry(ep.name, origin, error=problem)
    aliases = (obj.name,) if obj.name != ep.name else ()
    return PluginEntry(ep.name, origin, _named(obj, ep.name), aliases=aliases)


def discover() -> Registry:
    """Built-ins first, then entry points (sorted), each a name; nothing raises here."""
    registry = Registry()
    _builtin(registry)
    seen: set[tuple[str, str]] = set()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        if (ep.name, ep.value) in seen:  # one distribution visible twice on the path
            continue
        seen.add((ep.name, ep.value))
        registry.add(_from_entry_point(ep))
    return registry


def available_strategies() -> dict[str, type[Strategy]]:
    """Every healthy plugin by name (clashing and broken ones are left out: see :func:`discover`)."""
    return discover().plugins


def _local_file(module_name: str, cwd: Path) -> Path | None:
    parts = module_name.split(".")
    for candidate in (cwd.joinpath(*parts).with_suffix(".py"), cwd.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def _same_file(module_name: str, path: Path) -> bool:
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return False
    return bool(spec and spec.origin and Path(spec.origin).resolve() == path.resolve())


def _load_file(module_name: str, path: Path):
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        if getattr(loaded, "__file__", None) and Path(loaded.__file__).resolve() == path.resolve():
            return loaded
        raise InputError(f"cannot load {path}: a module named {module_name!r} is already imported from "
                         f"{getattr(loaded, '__file__', 'elsewhere')}; rename your file")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # classes look their module up here (pydantic, dataclasses)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _import(module_name: str, cwd: Path):
    """``module_name`` from a file in ``cwd`` when there is one, else as installed."""
    local = _local_file(module_name, cwd)
    if local is not None and not _same_file(module_name, local):
        return _load_file(module_name, local)
    return importlib.import_module(module_name)


def load_spec(spec: str, cwd: Path | None = None) -> type[Strategy]:
    """The plugin named by ``"module:Class"``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise InputError(f"strategy {spec!r}: expected module:Class")
    where = cwd or Path.cwd()
    try:
        module = _import(module_name, where)
    except InputError:
        raise
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):  # the module named, not one it imports
            raise InputError(f"cannot load strategy {spec!r}: no module {e.name!r} in {where} nor among the "
                             "installed packages") from None
        raise StrategyError(f"strategy {spec!r} failed to load: {_error(e)}") from e
    except Exception as e:
        raise StrategyError(f"strategy {spec!r} failed to load: {_error(e)}") from e
    obj = getattr(module, attr, None)
    if obj is None:
        raise InputError(f"cannot load strategy {spec!r}: module {module_name!r} has no {attr!r}")
    if not _is_plugin(obj):
        raise InputError(f"{spec!r} is not a Strategy subclass")
    problem = _checked(obj)
    if problem:
        raise StrategyError(problem)
    return obj


def get_strategy(name: str) -> type[Strategy]:
    if ":" in name:
        return load_spec(name)
    return discover().get(name)


def origin_of(name: str) -> str:
    """Where a strategy name comes from, in words (for `trade strategies NAME`)."""
    if ":" in name:
        plugin = load_spec(name)
        return f"{name} ({inspect.getsourcefile(plugin) or 'unknown file'})"
    registry = discover()
    registry.get(name)
    entry = registry.entries.get(name) or registry.alias_of(name)
    return entry.origin if entry is not None else name


__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginEntry",
    "Registry",
    "available_strategies",
    "discover",
    "get_strategy",
    "load_spec",
    "origin_of",
]
