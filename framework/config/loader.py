"""Load the shipped YAML defaults, the plugin's trading defaults, the user's files (later wins)
and the command line, and validate once.

Every error is one line naming the file, the key path and what was expected, raised as
:class:`ConfigError` (the CLI prints it and exits 2). The origin of every key is tracked so an
error points at the file that set the offending value, not at the merged result.
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
import sys
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from framework.config.settings import Settings
from framework.errors import ConfigError, InputError

SHIPPED_FILES = ("execution.yaml", "data.yaml", "backtest.yaml", "paper.yaml", "sandbox.yaml", "venue.yaml", "ops.yaml")
Origins = dict[tuple[str, ...], str]


def default_config_dir() -> Path:
    """``$TRADE_CONFIG_DIR``, else the checkout's ``config/``, else the installed copy."""
    env = os.environ.get("TRADE_CONFIG_DIR")
    candidates = [Path(env)] if env else []
    candidates += [
        Path(__file__).resolve().parents[2] / "config",
        Path(sys.prefix) / "share" / "trade" / "config",
    ]
    for candidate in candidates:
        if (candidate / "execution.yaml").is_file():
            return candidate
    raise ConfigError(f"cannot find the shipped config (looked in {', '.join(map(str, candidates))})")


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    """``yaml.safe_load(text)``, once per distinct text: the seven shipped files are most of a
    settings load's time, and a process may load settings many times (a paper service, a
    sweep, a test run). Keyed by the text itself, so an edited file is parsed again; callers
    get a copy (:func:`read_yaml`)."""
    return yaml.safe_load(text)


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        data = copy.deepcopy(_parsed(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top, got {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], over: Mapping[str, Any], origin: str, origins: Origins,
           prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value, origin, origins, path)
        else:
            out[key] = value
            _mark(value, origin, origins, path)
    return out


def _mark(value: Any, origin: str, origins: Origins, path: tuple[str, ...]) -> None:
    origins[path] = origin
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _mark(inner, origin, origins, (*path, str(key)))


def _origin_of(path: tuple[str, ...], origins: Origins) -> str:
    for end in range(len(path), 0, -1):
        if path[:end] in origins:
            return origins[path[:end]]
    return "config"


def _fields_at(model: type[BaseModel], path: Sequence[str]) -> list[str]:
    """The keys the config model accepts at ``path`` (empty when ``path`` leaves the models)."""
    for key in path:
        field = model.model_fields.get(key)
        if field is None:
            return []
        inner = [t for t in (field.annotation, *typing.get_args(field.annotation)) if _is_model(t)]
        if not inner:
            return []
        model = inner[0]
    return list(model.model_fields)


def _is_model(t: object) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _unknown_key(key: str, allowed: Sequence[str]) -> str:
    """"unknown key", with the closest allowed key, or the allowed keys when none is close."""
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {close[0]}?)"
    return f"unknown key (allowed: {', '.join(allowed)})"


def _describe(err: Mapping[str, Any], model: type[BaseModel] = Settings) -> str:
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        loc = [str(p) for p in err["loc"]]
        return _unknown_key(loc[-1], _fields_at(model, loc[:-1]))
    if err["type"] in ("literal_error", "enum"):
        return message.replace("Input should be", "expected")
    got = err.get("input")
    if isinstance(got, dict | list) or got is None:
        return message
    return f"{message} (got {got!r})"


def _format(
    error: ValidationError, origins: Origins, prefix: tuple[str, ...] = (), model: type[BaseModel] = Settings
) -> str:
    err = error.errors()[0]
    path = (*prefix, *(str(p) for p in err["loc"]))
    return f"{_origin_of(path, origins)}: {'.'.join(path) or '(top level)'}: {_describe(err, model)}"


def _strategy_params(merged: dict[str, Any], config_dir: Path, origins: Origins) -> dict[str, Any]:
    """The plugin's shipped params file, with the user's `strategy.params` over it."""
    strategy = merged.get("strategy") or {}
    name = strategy.get("name", "xgboost_signal") if isinstance(strategy, Mapping) else "xgboost_signal"
    user_params = strategy.get("params") or {} if isinstance(strategy, Mapping) else {}
    params_file = config_dir / "strategies" / f"{name}.yaml"
    if isinstance(name, str) and params_file.is_file():
        shipped = read_yaml(params_file)
        local: Origins = {}
        base = _merge({}, shipped, str(params_file), local, ("strategy", "params"))
        for path, origin in local.items():
            origins.setdefault(path, origin)
        return _merge(base, user_params, "", {}, ())
    return dict(user_params) if isinstance(user_params, Mapping) else user_params


#: what a plugin may set in its ``trading_defaults`` (how it is traded, never the safety limits)
PLUGIN_KEYS: dict[str, tuple[str, ...]] = {
    "signals": ("threshold", "top_n", "bottom_n", "allow_short", "gross_target", "weighting", "rebalance_every"),
    "sizing": ("mode", "volatility_lookback", "volatility_target", "fractional"),
    "risk": ("stop_loss", "trailing_stop", "stop_limit_offset_bps", "min_price"),
    "orders": ("style",),
    "data": ("symbols",),
}
Layer = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class ResolvedSettings:
    """Validated settings, where each value came from, and the plugin they name."""

    settings: Settings
    origins: Origins
    config_dir: Path
    plugin: type | None = None

    def origin(self, *path: str) -> str:
        """Where the value at ``path`` was set, in words: ``shipped execution.yaml``,
        ``plugin NAME``, a user file, ``command line``, or ``default`` (the model's own)."""
        where = self.origins.get(tuple(path))
        if where is None:
            return "default"
        shipped = Path(where)
        try:
            return f"shipped {shipped.relative_to(self.config_dir)}"
        except ValueError:
            return where


def _layered(layers: Sequence[Layer]) -> tuple[dict[str, Any], Origins]:
    merged: dict[str, Any] = {}
    origins: Origins = {}
    for origin, values in layers:
        merged = _merge(merged, values, origin, origins)
    return merged, origins


def _plugin(merged: Mapping[str, Any], origins: Origins) -> type | None:
    """The plugin ``strategy.name`` names (None when the name is not even a string: the model says why)."""
    from framework.registry import get_strategy  # plugins import framework; import late

    strategy = merged.get("strategy")
    name = strategy.get("name", Settings().strategy.name) if isinstance(strategy, Mapping) else None
    if strategy is None:
        name = Settings().strategy.name
    if not isinstance(name, str):
        return None
    try:
        return get_strategy(name)
    except InputError as e:
        raise ConfigError(f"{_origin_of(('strategy', 'name'), origins)}: strategy.name: {e}") from None


def plugin_defaults(plugin: type) -> dict[str, Any]:
    """A plugin's ``trading_defaults``, held to :data:`PLUGIN_KEYS` (one line naming the plugin)."""
    origin = f"plugin {plugin.name}: trading_defaults"
    raw = getattr(plugin, "trading_defaults", None) or {}
    out: dict[str, Any] = {}
    for section, values in raw.items():
        if section not in PLUGIN_KEYS:
            raise ConfigError(f"{origin}: {section}: not a section a plugin may set "
                              f"(allowed: {', '.join(PLUGIN_KEYS)})")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: {section}: expected a mapping of keys, got {type(values).__name__}")
        for key in values:
            if key not in PLUGIN_KEYS[section]:
                known = key in _fields_at(Settings, [section])
                why = "not a key a plugin may set" if known else _unknown_key(str(key), [])
                raise ConfigError(f"{origin}: {section}.{key}: {why} (a plugin may set: "
                                  f"{', '.join(PLUGIN_KEYS[section])})")
        out[section] = dict(values)
    return out


def resolve_settings(
    files: Sequence[Path | str] = (),
    overrides: Mapping[str, Any] | None = None,
    *,
    config_dir: Path | None = None,
    validate_strategy: bool = True,
    overrides_origin: str = "command line",
) -> ResolvedSettings:
    """Shipped defaults < the plugin's trading defaults < ``files`` in order < command-line
    ``overrides``; every key's origin kept. Without ``validate_strategy`` the plugin is not
    looked up (and its defaults not applied)."""
    config_dir = config_dir or default_config_dir()
    shipped: list[Layer] = [(str(config_dir / n), read_yaml(config_dir / n)) for n in SHIPPED_FILES
                            if (config_dir / n).is_file()]
    users: list[Layer] = [(str(f), read_yaml(Path(f))) for f in files]
    if overrides:
        users.append((overrides_origin, overrides))
    merged, origins = _layered([*shipped, *users])
    plugin = _plugin(merged, origins) if validate_strategy else None
    defaults = plugin_defaults(plugin) if plugin is not None else {}
    if defaults:
        merged, origins = _layered([*shipped, (f"plugin {plugin.name}", defaults), *users])
    if isinstance(merged.get("strategy"), Mapping):
        merged["strategy"] = {**merged["strategy"], "params": _strategy_params(merged, config_dir, origins)}
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as e:
        raise ConfigError(_format(e, origins)) from None
    if plugin is not None:
        try:
            params = plugin.Params.model_validate(settings.strategy.params)
        except ValidationError as e:
            raise ConfigError(_format(e, origins, ("strategy", "params"), plugin.Params)) from None
        _check_warmup(settings, plugin, params, origins)
    return ResolvedSettings(settings, origins, config_dir, plugin)


def _check_warmup(settings: Settings, plugin: type, params: Any, origins: Origins) -> None:
    """A configured warm-up may lengthen the plugin's own, never shorten it: its signals on the
    trailing window paper trading feeds it would then differ from the backtest's."""
    configured = settings.strategy.warmup_bars
    if configured is None:
        return
    own = plugin(params).warmup_bars
    if configured < own:
        raise ConfigError(f"{_origin_of(('strategy', 'warmup_bars'), origins)}: strategy.warmup_bars: {configured} "
                          f"is shorter than {plugin.name}'s own warm-up ({own} bars); use null or at least {own}")


def load_settings(
    files: Sequence[Path | str] = (),
    overrides: Mapping[str, Any] | None = None,
    *,
    config_dir: Path | None = None,
    validate_strategy: bool = True,
    overrides_origin: str = "command line",
) -> Settings:
    """Shipped defaults, the plugin's trading defaults, then ``files`` in order, then
    command-line ``overrides`` (see :func:`resolve_settings`). ``overrides_origin`` names where the
    overrides came from in error messages (a sweep's grid point says which file and point it is)."""
    return resolve_settings(files, overrides, config_dir=config_dir, validate_strategy=validate_strategy,
                            overrides_origin=overrides_origin).settings
