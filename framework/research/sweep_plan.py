"""A sweep's plan, made and validated before anything runs or is written.

Every grid point becomes a whole configuration through ``load_settings`` (so a key or value
the settings refuse refuses the sweep, naming the grid file and the point); the market data is
loaded once; the points share one period (the latest warm-up among them to the earliest end),
so their daily returns line up for the overfitting statistics; and each backtest gets a key
that hashes its full resolved settings and the data's fingerprint, which is what a rerun
resumes by.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from framework.config import Settings, load_settings
from framework.data import MarketData, load_configured
from framework.errors import ConfigError, InputError
from framework.registry import get_strategy
from framework.research.folds import Fold, FoldScheme, walk_forward_folds
from framework.research.grid import Grid, GridPoint, load_grid
from framework.research.sweep_task import Job
from framework.trading_window import trading_window

DEFAULT_PBO_SPLITS = 16


@dataclass(frozen=True)
class SweepRequest:
    """What the user asked for (``trade sweep``'s options)."""

    grid_path: Path
    out: Path
    config_files: tuple[str, ...] = ()
    overrides: Mapping[str, Any] = field(default_factory=dict)
    workers: int = 1
    scheduler: str | None = None
    walk_forward: int | None = None
    scheme: FoldScheme = FoldScheme.ANCHORED
    embargo: int = 0
    pbo_splits: int = DEFAULT_PBO_SPLITS
    keep_journals: bool = False
    report: bool = True
    show_progress: bool = True


@dataclass(frozen=True)
class PlannedPoint:
    id: str  # "p07": stable within the sweep (grid order)
    point: GridPoint
    settings: Settings
    key: str

    def job(self, keep_journal: bool) -> Job:
        return Job(self.key, self.id, self.settings.model_dump(mode="json"), keep_journal)


@dataclass(frozen=True)
class SweepPlan:
    request: SweepRequest
    grid: Grid
    market: MarketData
    points: tuple[PlannedPoint, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    folds: tuple[Fold, ...]

    @property
    def sessions(self) -> pd.DatetimeIndex:
        dates = self.market.dates
        return dates[(dates >= self.start) & (dates <= self.end)]

    def manifest(self) -> dict[str, Any]:
        """What this sweep is, without wall-clock times or paths: ``sweep.json``."""
        return {
            "grid": self.grid.source,
            "strategy": self.grid.strategy,
            "metric": self.grid.metric.value,
            "keys": self.grid.keys,
            "samples": self.grid.samples,
            "seed": self.grid.seed,
            "period": {"start": str(self.start.date()), "end": str(self.end.date()), "sessions": len(self.sessions)},
            "data": {"source": self.market.source, "fingerprint": self.market.fingerprint},
            "points": [{"point": p.id, "key": p.key, "params": p.point.as_dict()} for p in self.points],
            "walk_forward": None
            if not self.folds
            else {
                "scheme": self.request.scheme.value,
                "embargo": self.request.embargo,
                "folds": [f.as_dict() for f in self.folds],
            },
        }


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def backtest_key(settings: Settings | Mapping[str, Any], fingerprint: str) -> str:
    """The resume key: a hash of a backtest's full resolved settings and the data it runs on."""
    dumped = settings.model_dump(mode="json") if isinstance(settings, Settings) else dict(settings)
    text = json.dumps({"settings": dumped, "data": fingerprint}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _with_strategy(request: SweepRequest, grid: Grid) -> dict[str, Any]:
    return merge(request.overrides, {"strategy": {"name": grid.strategy}})


def _resolve(request: SweepRequest, grid: Grid, point: GridPoint) -> Settings:
    """The point's whole configuration. Everything else was validated before, so whatever
    fails here is the point's doing: the error names the grid file and the point."""
    origin = f"{grid.source}: point {point.label()}"
    overrides = merge(_with_strategy(request, grid), point.overrides())
    try:
        return load_settings(request.config_files, overrides, overrides_origin=origin)
    except ConfigError as e:
        message = str(e)
        if message.startswith(origin):
            raise
        # a rule across fields (e.g. skip < lookback) is reported where its section was first set
        raise ConfigError(f"{origin}: {message.split(': ', 1)[-1]}") from None


def _window(market: MarketData, resolved: list[Settings]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period every point can trade: after the longest warm-up, before the earliest end."""
    spans = [trading_window(market, get_strategy(s.strategy.name)(s.strategy.params), s) for s in resolved]
    start, end = max(s for s, _ in spans), min(e for _, e in spans)
    dates = market.dates
    if ((dates >= start) & (dates <= end)).sum() < 2:
        raise InputError(f"the points' warm-ups leave no common period to trade (from {start.date()} to {end.date()})")
    return start, end


def finalise(settings: Settings, start: pd.Timestamp, end: pd.Timestamp) -> Settings:
    """The point's settings for a period, with model training held to one thread per worker."""
    changes: dict[str, Any] = {"backtest": {"start": str(start.date()), "end": str(end.date())}}
    if "nthread" in get_strategy(settings.strategy.name).Params.model_fields:
        changes["strategy"] = {"params": {"nthread": 1}}
    return Settings.model_validate(merge(settings.model_dump(mode="json"), changes))


def _check_out(out: Path) -> None:
    """A sweep writes into a new folder or resumes its own, never into something else's."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "sweep.json").is_file():
        raise InputError(f"--out {out}: the folder holds something other than a sweep (no sweep.json); use another")


def plan_sweep(request: SweepRequest) -> SweepPlan:
    """Validate the whole sweep (grid, every point, data, period, folds); run and write nothing."""
    _check_out(request.out)
    grid = load_grid(request.grid_path)
    base = load_settings(request.config_files, request.overrides)  # the command line and --config on their own
    load_settings(request.config_files, _with_strategy(request, grid), overrides_origin=grid.source)
    resolved = [_resolve(request, grid, point) for point in grid.points]
    market = load_configured(base.data)
    start, end = _window(market, resolved)
    width = max(2, len(str(len(resolved))))
    points = []
    for i, (point, settings) in enumerate(zip(grid.points, resolved, strict=True)):
        final = finalise(settings, start, end)
        points.append(PlannedPoint(f"p{i + 1:0{width}d}", point, final, backtest_key(final, market.fingerprint)))
    dates = market.dates
    sessions = dates[(dates >= start) & (dates <= end)]
    folds = walk_forward_folds(sessions, request.walk_forward, request.scheme, request.embargo) if (
        request.walk_forward
    ) else ()
    return SweepPlan(request, grid, market, tuple(points), start, end, folds)


__all__ = [
    "DEFAULT_PBO_SPLITS",
    "PlannedPoint",
    "SweepPlan",
    "SweepRequest",
    "backtest_key",
    "finalise",
    "merge",
    "plan_sweep",
]
