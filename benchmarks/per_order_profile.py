"""Where one order's time goes: cProfile over a momentum backtest of the embedded data.

Each stage's cumulative time is divided by the orders the run sent (per-order stages) or the
sessions it ran (per-bar stages), then scaled by (plain run CPU / profiled run CPU) so the
figures are in real microseconds rather than cProfile's inflated ones. Stages nest (a parent
includes its children).

Then the split of an order's cost by whose code runs: **backtrader** (the package), **ours on
backtrader** (``brokers/backtrader``: the adapter, its simulator broker, session loop, feeds) and
**the core** (``framework``: engine, planning, risk, order manager, venue model, journal, the
same code the lean path runs). A library call (numpy, sqlite, the standard library) is charged
to whoever called it. Per order = (the run's share - the same run with no orders' share) /
orders, scaled as above. A measurement, not a test.

    .venv/bin/python benchmarks/per_order_profile.py [--strategy momentum]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from brokers.backtrader.runner import run_backtest
from framework.config import load_settings
from framework.data import load_market_data
from framework.journal import Journal
from framework.registry import get_strategy
from framework.strategy import compute_signals

# (label, file suffix, function name(s) separated by |, per): per "order" or "bar"; a stage whose
# functions nest (an override calling its base) counts its outermost call: the largest time
STAGES = (
    ("whole run (per session)", "brokers/backtrader/sessions.py", "_runonce", "bar"),
    ("  engine.on_bar: one decision", "framework/engine.py", "on_bar", "bar"),
    ("    context (books, account, buying power)", "framework/engine.py", "_context", "bar"),
    ("      adapter get_account (the venue's book)", "brokers/backtrader/broker.py", "get_account", "bar"),
    ("    planner (signals, sizing, stops, risk)", "framework/planning.py", "plan", "bar"),
    ("      risk runner (11 checks)", "framework/risk/runner.py", "run", "bar"),
    ("    end-of-bar books to the journal", "framework/engine.py", "_snapshot", "bar"),
    ("  broker bar step (fills, valuation)", "brokers/backtrader/sim_broker.py", "next", "bar"),
    ("    valuation (held positions)", "brokers/backtrader/sim_broker.py", "_get_value", "bar"),
    ("order manager: intents journaled + sent", "framework/order_manager.py", "submit_many", "order"),
    ("  adapter submit_order", "brokers/backtrader/broker.py", "submit_order", "order"),
    ("    venue check in the adapter", "framework/venue/venue.py", "check", "order"),
    ("    backtrader buy/sell (its Order, submit)", "backtrader/strategy.py", "buy|sell", "order"),
    ("backtrader execution (_try_exec)", "backtrader/brokers/bbroker.py", "_try_exec", "order"),
    ("order updates: adapter -> engine -> portfolio, journal", "brokers/backtrader/broker.py", "notify", "order"),
    ("  engine.on_order_update", "framework/engine.py", "on_order_update", "order"),
    ("  Order copies (transition/evolve)", "framework/orders.py", "_replaced", "order"),
    ("  Order JSON", "framework/orders.py", "to_json", "order"),
    ("SQLite executemany (journal rows, all)", "~", "<method 'executemany' of 'sqlite3.Connection' objects>", "order"),
)

OWNERS = (("site-packages/backtrader/", "backtrader"), ("brokers/backtrader/", "ours on backtrader"),
          ("/framework/", "the core"), ("/strategies/", "the core"))

Function = tuple[str, int, str]


def owner(fn: Function) -> str | None:
    return next((who for part, who in OWNERS if part in fn[0]), None)


def shares(stats: dict) -> dict[str, float]:
    """Exclusive seconds by owner; a library function's are split over its callers as they
    called it (recursively up to code with an owner)."""
    memo: dict[Function, dict[str, float]] = {}

    def of(fn: Function) -> dict[str, float]:
        if fn in memo:
            return memo[fn]
        who = owner(fn)
        memo[fn] = {who or "other": 1.0}  # also the guard against a cycle of library calls
        callers = stats[fn][4]
        if who is None and callers:
            weights = {caller: v[2] + 1e-12 for caller, v in callers.items()}
            total = sum(weights.values())
            out: dict[str, float] = defaultdict(float)
            for caller, weight in weights.items():
                for name, part in of(caller).items():
                    out[name] += part * weight / total
            memo[fn] = dict(out)
        return memo[fn]

    out: dict[str, float] = defaultdict(float)
    for fn, row in stats.items():
        for name, part in of(fn).items():
            out[name] += row[2] * part
    return out


def profiled(run: Callable[[], object]) -> tuple[dict, float]:
    profiler = cProfile.Profile(time.process_time)  # CPU seconds, as the plain runs are timed
    c0 = time.process_time()
    profiler.enable()
    run()
    profiler.disable()
    return pstats.Stats(profiler).stats, time.process_time() - c0  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strategy", default="momentum")
    args = parser.parse_args()
    settings = load_settings([], {"strategy": {"name": args.strategy}})
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    market = load_market_data()
    signals = compute_signals(plugin, market)
    empty = pd.DataFrame(np.nan, index=signals.index, columns=signals.columns)
    with tempfile.TemporaryDirectory() as tmp:
        runs = iter(range(1000))

        def backtest(given: pd.DataFrame) -> Path:
            path = Path(tmp) / f"{next(runs)}.sqlite"
            return run_backtest(market, plugin, settings, path, signals=given).journal_path

        journal_path = backtest(signals)  # warm
        plain = []
        for _ in range(3):
            c0 = time.process_time()
            backtest(signals)
            plain.append(time.process_time() - c0)
        stats, cpu = profiled(lambda: backtest(signals))
        idle_stats, _ = profiled(lambda: backtest(empty))
        journal = Journal(journal_path)
        orders = len(journal.table("orders"))
        journal.close()
    scale = min(plain) / cpu
    bars = _sessions(stats)
    print(
        f"{plugin.name}: {bars} sessions, {orders} orders; run {min(plain):.3f} s CPU (best of 3), "
        f"profiled {cpu:.3f} s: figures x {scale:.2f}"
    )
    for label, suffix, name, per in STAGES:
        names = name.split("|")
        found = [v[3] for (f, _, n), v in stats.items() if n in names and f.endswith(suffix)]
        cum = max(found, default=0.0) if name == "next" else sum(found)
        count = orders if per == "order" else bars
        print(f"  {label:<58} {cum * scale / count * 1e6:8.1f} us per {per}")
    with_orders, without = shares(stats), shares(idle_stats)
    print(f"an order's cost by whose code runs (run - no-orders run, / {orders} orders, x {scale:.2f}):")
    for name in ("backtrader", "ours on backtrader", "the core", "other"):
        per_order = (with_orders.get(name, 0.0) * scale - without.get(name, 0.0) * scale) / orders * 1e6
        print(f"  {name:<20} {per_order:7.1f} us")


def _sessions(stats: dict) -> int:
    """The sessions the run decided on: the calls of the engine's ``on_bar``."""
    return next(v[1] for (f, _, n), v in stats.items() if n == "on_bar" and f.endswith("framework/engine.py"))


if __name__ == "__main__":
    main()
