"""Seconds per sweep point on the lean path against the backtrader path, side by side in one run.

The same grids (momentum and mean_reversion on the embedded data; each grid varies one strategy
parameter and one execution setting, so the lean path computes each signal set once) run point
by point through the sweep's own task (``run_job``: backtest, journal, figures), the two paths
interleaved point by point so a busy machine slows them alike. Each point runs twice a path: as
``trade sweep`` runs it (its journal not kept: timed, first, so it pays for a new signal set as a
sweep's point does), then with its journal kept; the kept journals are compared (same fills,
final value to 1e-6: the run stops on a difference), and so are the figures of both runs; only
then are the ratios printed. A point's cost is its CPU seconds (``time.process_time``: this
process's own work, so the ratio holds on a machine other processes keep busy); wall seconds are
printed beside them, and the Python function calls of the grid's first point (cProfile: a count
the machine's load does not change). With the optional ``bench`` extra installed
(``pip install -e .[bench]``), the momentum grid also runs in vectorbt on the same signals
(target-percent rebalancing; a different, vectorised model: timed warm, signals included, for
scale, not compared). A measurement, not a test.

    .venv/bin/python benchmarks/sweep_lean.py [--strategy momentum]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from brokers.backtrader.runner import run_backtest
from brokers.lean.equality import differences, traded
from brokers.lean.research import _SIGNALS, lean_or_backtrader
from framework.config import Settings
from framework.data import MarketData, load_configured
from framework.registry import get_strategy
from framework.research.sweep_task import Job, Outcome, run_job
from framework.strategy import compute_signals

TARGET = 10.0
GRIDS: dict[str, list[dict[str, Any]]] = {
    "momentum": [{"strategy": {"name": "momentum", "params": {"lookback": lb, "skip": 21}},
                  "risk": {"max_position_weight": w}} for lb in (126, 252) for w in (0.1, 0.2)],
    "mean_reversion": [{"strategy": {"name": "mean_reversion", "params": {"lookback": lb}},
                        "risk": {"max_position_weight": w}} for lb in (20, 40) for w in (0.1, 0.2)],
}


def _run(market: MarketData, settings: Settings, backtest: Any, name: str, keep: bool) -> tuple[Outcome, float]:
    """The point through the sweep's task (its journal kept or not); its outcome and CPU seconds."""
    started = time.process_time()
    outcome = run_job(market, Job(name, name, settings.model_dump(mode="json"), keep_journal=keep), backtest)
    cpu = time.process_time() - started
    assert outcome.ok, outcome.error
    return outcome, cpu


def _journal(outcome: Outcome, tmp: Path) -> Path:
    path = tmp / f"{outcome.key}.sqlite"
    path.write_bytes(outcome.journal or b"")
    return path


def _calls(market: MarketData, settings: Settings, backtest: Any) -> int:
    """Python function calls of one point as a sweep runs it (its signals already computed)."""
    profile = cProfile.Profile()
    profile.enable()
    outcome = run_job(market, Job("calls", "calls", settings.model_dump(mode="json")), backtest)
    profile.disable()
    assert outcome.ok, outcome.error
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


def _vectorbt(market: MarketData, grid: list[dict[str, Any]]) -> float | None:
    try:
        import vectorbt as vbt
    except ImportError:
        print("vectorbt: not installed (the optional `bench` extra: pip install -e .[bench]); skipped")
        return None
    close = market.close

    def point_in_vectorbt(point: dict[str, Any]) -> None:
        settings = Settings.model_validate(point)
        plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
        signals = compute_signals(plugin, market).reindex(close.index)
        longs = signals.clip(lower=0).where(signals.abs() >= settings.signals.threshold, 0.0).fillna(0.0)
        weights = longs.div(longs.sum(axis=1).replace(0, np.nan), axis=0).clip(upper=settings.risk.max_position_weight)
        days = np.arange(len(weights)) % settings.signals.rebalance_every == 0
        weights = weights.where(np.broadcast_to(days[:, None], weights.shape))
        vbt.Portfolio.from_orders(close, size=weights, size_type="targetpercent", group_by=True, cash_sharing=True,
                                  fees=0.0, slippage=settings.venue.slippage.value, init_cash=settings.backtest.cash,
                                  freq="1D").final_value()

    point_in_vectorbt(grid[0])  # numba compiles on the first call: warm, as a sweep would be after one point
    started = time.perf_counter()
    for point in grid:
        point_in_vectorbt(point)
    return (time.perf_counter() - started) / len(grid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategy", choices=sorted(GRIDS), action="append",
                        help="a grid to run (repeatable; default: every grid)")
    args = parser.parse_args()
    market = load_configured(Settings().data)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load: {load} on {os.cpu_count()} cores; "
          f"{len(market.symbols)} symbols x {len(market.dates)} sessions")
    for strategy in args.strategy or list(GRIDS):
        grid = GRIDS[strategy]
        _SIGNALS.clear()
        seconds = {"backtrader": 0.0, "lean": 0.0}
        wall = {"backtrader": 0.0, "lean": 0.0}
        fills = 0
        with tempfile.TemporaryDirectory() as tmp:
            for i, point in enumerate(grid):
                settings = Settings.model_validate(point)
                lean, lean_cpu = _run(market, settings, lean_or_backtrader, f"lean{i}", keep=False)
                bt, bt_cpu = _run(market, settings, run_backtest, f"bt{i}", keep=False)
                lean_kept, _ = _run(market, settings, lean_or_backtrader, f"lean{i}k", keep=True)
                bt_kept, _ = _run(market, settings, run_backtest, f"bt{i}k", keep=True)
                reference = traded(_journal(bt_kept, Path(tmp)))
                found = differences(traded(_journal(lean_kept, Path(tmp))), reference)
                assert not found, f"{strategy} point {i}: {found}"
                assert lean.figures == lean_kept.figures and bt.figures == bt_kept.figures, f"{strategy} point {i}"
                fills += len(reference.fills)
                seconds["lean"] += lean_cpu
                seconds["backtrader"] += bt_cpu
                wall["lean"] += lean.seconds
                wall["backtrader"] += bt.seconds
            first = Settings.model_validate(grid[0])
            calls = {"lean": _calls(market, first, lean_or_backtrader),
                     "backtrader": _calls(market, first, run_backtest)}
        per = {k: v / len(grid) for k, v in seconds.items()}
        walls = {k: v / len(grid) for k, v in wall.items()}
        ratio = per["backtrader"] / per["lean"]
        print(f"{strategy}: {len(grid)} points, equal on both paths ({fills} fills); CPU seconds a point: "
              f"backtrader {per['backtrader']:.3f}, lean {per['lean']:.3f}; {ratio:.2f}x "
              f"({'meets' if ratio >= TARGET else 'misses'} the {TARGET:.0f}x target); wall seconds a point: "
              f"backtrader {walls['backtrader']:.2f}, lean {walls['lean']:.2f}; function calls a point: "
              f"backtrader {calls['backtrader']:,}, lean {calls['lean']:,}")
        if strategy == "momentum":
            vbt = _vectorbt(market, grid)
            if vbt is not None:
                print(f"vectorbt (same grid, same signals, its own model): {vbt:.3f} s a point; "
                      f"lean {per['lean'] / vbt:.0f}x slower, backtrader {per['backtrader'] / vbt:.0f}x slower")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
