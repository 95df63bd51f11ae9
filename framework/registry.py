"""Find strategy plugins by name: the built-in `strategies` package, the `trade.strategies`
entry-point group (third-party distributions), or an explicit ``"module:Class"``."""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from importlib.metadata import entry_points

from framework.errors import InputError, StrategyError
from framework.strategy import Strategy

ENTRY_POINT_GROUP = "trade.strategies"
BUILTIN_PACKAGE = "strategies"


def _is_plugin(obj: object) -> bool:
    return (
        inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and not inspect.isabstract(obj)
        and isinstance(getattr(obj, "name", None), str)
    )


def _builtin() -> dict[str, type[Strategy]]:
    found: dict[str, type[Strategy]] = {}
    package = importlib.import_module(BUILTIN_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__, f"{BUILTIN_PACKAGE}."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if _is_plugin(obj) and obj.__module__.startswith(info.name):
                found[obj.name] = obj
    return found


def _from_entry_points() -> dict[str, type[Strategy]]:
    found: dict[str, type[Strategy]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as e:
            raise StrategyError(f"plugin entry point {ep.name!r} ({ep.value}) failed to load: {e}") from e
        if not _is_plugin(obj):
            raise StrategyError(f"plugin entry point {ep.name!r} ({ep.value}) is not a Strategy subclass")
        found[obj.name] = obj
    return found


def available_strategies() -> dict[str, type[Strategy]]:
    """Every plugin by name; entry points may not shadow a built-in."""
    plugins = _from_entry_points()
    plugins.update(_builtin())
    return dict(sorted(plugins.items()))


def _from_spec(spec: str) -> type[Strategy]:
    module_name, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise InputError(f"cannot load strategy {spec!r}: {e}") from None
    if not _is_plugin(obj):
        raise InputError(f"{spec!r} is not a Strategy subclass")
    return obj


def get_strategy(name: str) -> type[Strategy]:
    if ":" in name:
        return _from_spec(name)
    plugins = available_strategies()
    if name not in plugins:
        close = difflib.get_close_matches(name, list(plugins), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(f"unknown strategy {name!r} ({hint}available: {', '.join(plugins) or 'none'})")
    return plugins[name]
