"""Where one order's time goes: cProfile over a momentum backtest of the embedded data.

Each stage's cumulative time is divided by the orders the run sent (per-order stages) or the
sessions it ran (per-bar stages), then scaled by (plain run time / profiled run time) so the
figures are in real microseconds rather than cProfile's inflated ones. Stages nest (a parent
includes its children). A measurement, not a test.

    .venv/bin/python benchmarks/per_order_profile.py [--strategy momentum]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from brokers.backtrader.runner import run_backtest
from framework.config import load_settings
from framework.data import load_market_data
from framework.journal import Journal
from framework.registry import get_strategy
from framework.strategy import compute_signals

# (label, file suffix, function name(s) separated by |, per): per "order" or "bar"
STAGES = (
    ("whole run (per session)", "backtrader/cerebro.py", "_runonce", "bar"),
    ("  engine.on_bar: one decision", "framework/engine.py", "on_bar", "bar"),
    ("    context (books, account, buying power)", "framework/engine.py", "_context", "bar"),
    ("    planner (signals, sizing, stops, risk)", "framework/planning.py", "plan", "bar"),
    ("      risk runner (11 checks)", "framework/risk/runner.py", "run", "bar"),
    ("    end-of-bar books to the journal", "framework/engine.py", "_snapshot", "bar"),
    ("  broker bar step (fills, valuation)", "brokers/backtrader/sim_broker.py", "next", "bar"),
    ("  feeds advancing", "brokers/backtrader/feeds.py", "advance", "bar"),
    ("order manager: intents journaled + sent", "framework/order_manager.py", "submit_many", "order"),
    ("  venue check in the order manager", "framework/order_manager.py", "_venue_refusal", "order"),
    ("  adapter submit_order", "brokers/backtrader/broker.py", "submit_order", "order"),
    ("    venue check in the adapter", "framework/venue/venue.py", "check", "order"),
    ("    backtrader buy/sell (its Order, submit)", "backtrader/strategy.py", "buy|sell", "order"),
    ("backtrader execution (_try_exec)", "backtrader/brokers/bbroker.py", "_try_exec", "order"),
    ("order updates: adapter -> engine -> portfolio, journal", "brokers/backtrader/broker.py", "notify", "order"),
    ("  Order copies (transition/evolve)", "framework/orders.py", "_replaced", "order"),
    ("  Order JSON", "framework/orders.py", "to_json", "order"),
    ("SQLite executemany (journal rows, all)", "~", "<method 'executemany' of 'sqlite3.Connection' objects>", "order"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strategy", default="momentum")
    args = parser.parse_args()
    settings = load_settings([], {"strategy": {"name": args.strategy}})
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    market = load_market_data()
    signals = compute_signals(plugin, market)
    with tempfile.TemporaryDirectory() as tmp:
        run_backtest(market, plugin, settings, Path(tmp) / "warm.sqlite", signals=signals)
        plain = []
        for i in range(3):
            t0 = time.perf_counter()
            result = run_backtest(market, plugin, settings, Path(tmp) / f"plain{i}.sqlite", signals=signals)
            plain.append(time.perf_counter() - t0)
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        profiler.enable()
        run_backtest(market, plugin, settings, Path(tmp) / "profiled.sqlite", signals=signals)
        profiler.disable()
        profiled = time.perf_counter() - t0
        journal = Journal(result.journal_path)
        orders = len(journal.table("orders"))
        journal.close()
    scale = min(plain) / profiled
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    print(
        f"{plugin.name}: {result.sessions} sessions, {orders} orders; run {min(plain):.3f} s (best of 3), "
        f"profiled {profiled:.3f} s: figures x {scale:.2f}"
    )
    for label, suffix, name, per in STAGES:
        names = name.split("|")
        cum = sum(v[3] for (f, _, n), v in stats.items() if n in names and f.endswith(suffix))
        count = orders if per == "order" else result.sessions
        print(f"  {label:<58} {cum * scale / count * 1e6:8.1f} us per {per}")


if __name__ == "__main__":
    main()
