"""A sweep's grid file: which strategy, what "best" means, and the ranges of any setting.

    strategy: momentum
    metric: sharpe            # what "best" means
    grid:
      strategy.params.lookback: [63, 126, 252]
      strategy.params.skip: [0, 21]
      risk.max_position_weight: {start: 0.05, stop: 0.2, num: 4}
    samples: 8                # optional: a random sample of the points (seeded)
    seed: 7

A key is a dotted path into the settings (``strategy.params.*``, ``signals.*``, ``sizing.*``,
``risk.*``, ``orders.*``, ``backtest.*``); a value is a list, one scalar, or ``{start, stop,
num}`` (``num`` evenly spaced values, ends included). Under ``samples``, ``{start, stop}``
without ``num`` is drawn uniformly (integers when both ends are). This module only expands the
file into points; every point is validated as a whole configuration by the caller
(``framework.config.load_settings``), so a key or value the settings refuse refuses the sweep.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError

from framework.config.base import ConfigModel
from framework.config.loader import read_yaml
from framework.errors import ConfigError
from framework.research.metrics import Metric

#: Sections a grid may vary. The data and the period are the sweep's own (loaded once, shared).
SWEEPABLE = ("strategy.params.", "signals.", "sizing.", "risk.", "orders.", "backtest.")
FIXED_BY_SWEEP = ("backtest.start", "backtest.end", "backtest.out_dir")
MAX_POINTS = 100_000
_KEY = re.compile(r"^\w+(\.\w+)+$")

Scalar = int | float | str | bool | None


class RangeSpec(ConfigModel):
    start: int | float
    stop: int | float
    num: int | None = Field(None, ge=1, le=MAX_POINTS)


class GridFile(ConfigModel):
    strategy: str = Field(min_length=1)
    metric: Metric = Metric.SHARPE
    grid: dict[str, Any] = Field(min_length=1)
    samples: int | None = Field(None, ge=1, le=MAX_POINTS)
    seed: int = 0


def _tidy(value: Any) -> Any:
    """Floats to 12 significant digits, so 0.1 + 0.05 is 0.15 in labels, hashes and configs."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept key: its discrete values, or (for random sampling) a continuous span."""

    key: str
    values: tuple[Scalar, ...] = ()
    span: tuple[int | float, int | float] | None = None

    def draw(self, rng: np.random.Generator) -> Scalar:
        if self.span is None:
            return self.values[int(rng.integers(len(self.values)))]
        low, high = self.span
        if _is_int(low) and _is_int(high):
            return int(rng.integers(min(low, high), max(low, high) + 1))
        return float(f"{rng.uniform(min(low, high), max(low, high)):.6g}")


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One combination of values, as ``((key, value), ...)`` in the grid file's key order."""

    values: tuple[tuple[str, Scalar], ...]

    def as_dict(self) -> dict[str, Scalar]:
        return dict(self.values)

    def overrides(self) -> dict[str, Any]:
        """The nested settings overrides, e.g. ``{"risk": {"max_position_weight": 0.1}}``."""
        out: dict[str, Any] = {}
        for key, value in self.values:
            *path, leaf = key.split(".")
            node = out
            for part in path:
                node = node.setdefault(part, {})
            node[leaf] = value
        return out

    def label(self) -> str:
        return " ".join(f"{short_name(k, [k2 for k2, _ in self.values])}={v}" for k, v in self.values)


def short_name(key: str, keys: list[str]) -> str:
    """The last part of ``key`` when no other key ends the same way, else the whole key."""
    leaf = key.rsplit(".", 1)[-1]
    return leaf if sum(k.rsplit(".", 1)[-1] == leaf for k in keys) == 1 else key


@dataclass(frozen=True)
class Grid:
    source: str
    strategy: str
    metric: Metric
    axes: tuple[Axis, ...]
    points: tuple[GridPoint, ...]
    samples: int | None = None
    seed: int = 0

    @property
    def keys(self) -> list[str]:
        return [axis.key for axis in self.axes]


def _fail(source: str, where: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {problem}")


def _check_key(key: str, source: str) -> None:
    if not _KEY.match(key):
        raise _fail(source, f"grid.{key}", "expected a dotted settings path such as risk.max_position_weight")
    if key in FIXED_BY_SWEEP:
        raise _fail(source, f"grid.{key}", "set by the sweep itself (--start/--end, --out), not by the grid")
    if not key.startswith(SWEEPABLE):
        allowed = ", ".join(s + "*" for s in SWEEPABLE)
        raise _fail(source, f"grid.{key}", f"not a setting a sweep may vary (allowed: {allowed})")


def _linspace(spec: RangeSpec) -> tuple[Scalar, ...]:
    assert spec.num is not None
    raw = np.linspace(float(spec.start), float(spec.stop), spec.num)
    if _is_int(spec.start) and _is_int(spec.stop) and all(float(x).is_integer() for x in raw):
        return tuple(dict.fromkeys(round(float(x)) for x in raw))
    return tuple(dict.fromkeys(_tidy(float(x)) for x in raw))


def _axis(key: str, raw: Any, source: str, sampling: bool) -> Axis:
    where = f"grid.{key}"
    if isinstance(raw, Mapping):
        try:
            spec = RangeSpec.model_validate(raw)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            problem = "unknown key (expected start, stop, num)" if err["type"] == "extra_forbidden" else err["msg"]
            raise _fail(source, f"{where}.{loc}" if loc else where, problem) from None
        if spec.num is not None:
            return Axis(key, _linspace(spec))
        if not sampling:
            raise _fail(source, where, "{start, stop} without num is a random range: add samples: N (or give num)")
        return Axis(key, span=(spec.start, spec.stop))
    values = list(raw) if isinstance(raw, list) else [raw]
    if not values:
        raise _fail(source, where, "empty list of values")
    for value in values:
        if isinstance(value, Mapping | list):
            raise _fail(source, where, f"expected scalar values, got {type(value).__name__} {value!r}")
    return Axis(key, tuple(dict.fromkeys(_tidy(v) for v in values)))


def _check_prefixes(keys: list[str], source: str) -> None:
    for a, b in itertools.permutations(keys, 2):
        if b.startswith(a + "."):
            raise _fail(source, f"grid.{b}", f"overlaps grid.{a}")


def _size(axes: tuple[Axis, ...]) -> int:
    return math.prod(len(a.values) for a in axes)


def _enumerate(axes: tuple[Axis, ...], picks: list[int] | None) -> list[GridPoint]:
    shape = tuple(len(a.values) for a in axes)
    indices = range(math.prod(shape)) if picks is None else picks
    points = []
    for flat in indices:
        position = np.unravel_index(flat, shape)
        points.append(GridPoint(tuple((a.key, a.values[int(i)]) for a, i in zip(axes, position, strict=True))))
    return points


def _sample(axes: tuple[Axis, ...], samples: int, seed: int) -> list[GridPoint]:
    rng = np.random.default_rng(seed)
    if all(a.span is None for a in axes):
        total = _size(axes)
        picks = sorted(int(i) for i in rng.choice(total, size=min(samples, total), replace=False))
        return _enumerate(axes, picks)
    drawn = (GridPoint(tuple((a.key, a.draw(rng)) for a in axes)) for _ in range(samples))
    return list(dict.fromkeys(drawn))


def parse_grid(data: Mapping[str, Any], source: str = "grid") -> Grid:
    """Validate a grid file's content and expand it into points (in the file's key order)."""
    try:
        spec = GridFile.model_validate(dict(data))
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise _fail(source, loc, problem) from None
    keys = list(spec.grid)
    for key in keys:
        _check_key(key, source)
    _check_prefixes(keys, source)
    axes = tuple(_axis(k, spec.grid[k], source, spec.samples is not None) for k in keys)
    if spec.samples is None and _size(axes) > MAX_POINTS:
        raise _fail(source, "grid", f"{_size(axes)} points is more than {MAX_POINTS}: use samples: N")
    points = _sample(axes, spec.samples, spec.seed) if spec.samples else _enumerate(axes, None)
    return Grid(source, spec.strategy, spec.metric, axes, tuple(points), spec.samples, spec.seed)


def load_grid(path: Path | str) -> Grid:
    return parse_grid(read_yaml(Path(path)), str(path))


__all__ = ["FIXED_BY_SWEEP", "SWEEPABLE", "Axis", "Grid", "GridPoint", "load_grid", "parse_grid", "short_name"]
