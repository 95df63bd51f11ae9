"""Seconds per sweep point now against the path the issue measured ("today's path" of issue 31),
side by side in one run.

Issue 31 asked for sweep points ≥ 10× cheaper than the path of its day (commit ``b234b12``:
every point on backtrader, signals computed per point). This runs the issue's own 24-point
momentum grid (lookback × skip × max position weight, 44 symbols, the embedded data; the grid of
docs/sweeps.md) through the sweep's planner and task (``plan_sweep``, ``run_job``: backtest,
journal, figures) three ways, each in a child process of its own tree:

- **then**: a checkout of the issue's commit with its own venv (``--then DIR``);
- **now, lean**: this tree's default (``trade sweep``'s path);
- **now, backtrader**: this tree's backtrader path (``trade sweep --simulator backtrader``).

Each child warms up on one point (imports, first calls; the signal cache emptied after it), then
times every point as ``trade sweep`` runs it (its journal not kept) in CPU seconds
(``time.process_time``: its own work, so the ratio holds on a busy machine), and runs it again
untimed with its journal kept, for its fills. The three children alternate ``--repeat`` times;
each point keeps its best.

Before any ratio is printed: today's two paths must agree exactly (every fill's day, symbol,
side, quantity and price, and the final value, to 1e-6), and the issue's path must have done the
same work. Its results are not today's: ``4c5d0a9`` (one adjustment path: dividends snapped to the
cent, splits to plain ratios, as Alpaca declares them) moved the adjusted prices the sizing reads
by a few 1e-5, so some quantities move by a share or a few, and here and there an order below a
minimum appears or goes. "The same work" is therefore checked as: at most 1 % of a point's fills
differ by (day, symbol, side); the script prints how many do, and the final values' largest gap.
A measurement, not a test.

    git worktree add --detach .bench-then b234b12 && make -C .bench-then .venv/.installed
    .venv/bin/python benchmarks/sweep_then_now.py --then .bench-then [--points 6] [--repeat 2]

(``make bench-then`` does both.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

THEN_COMMIT = "b234b12"
TARGET = 10.0
TOLERANCE = 1e-6
SAME_WORK = 0.01  # the share of a point's fills the path may fill otherwise
GRID = """\
strategy: momentum
metric: sharpe
grid:
  strategy.params.lookback: [63, 126, 252]
  strategy.params.skip: [0, 21]
  risk.max_position_weight: {start: 0.05, stop: 0.2, num: 4}
"""

# Runs inside each tree's own interpreter: only what both trees have (the sweep's planner and
# task, the backtrader runner; the lean path's entry point in this tree only).
CHILD = r"""
import json, sqlite3, sys, tempfile, time
from pathlib import Path
from framework.research.sweep_plan import SweepRequest, plan_sweep
from framework.research.sweep_task import run_job

grid, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if path == "lean":
    from brokers.lean.research import _SIGNALS, lean_or_backtrader as backtest
else:
    from brokers.backtrader.runner import run_backtest as backtest
    _SIGNALS = {}
with tempfile.TemporaryDirectory() as tmp:
    plan = plan_sweep(SweepRequest(grid_path=Path(grid), out=Path(tmp) / "unused", show_progress=False))
    points = list(plan.points)[:count]
    run_job(plan.market, points[-1].job(keep_journal=False), backtest)  # warm
    _SIGNALS.clear()
    for p in points:
        started = time.process_time()
        timed = run_job(plan.market, p.job(keep_journal=False), backtest)  # as trade sweep runs it
        cpu = time.process_time() - started
        assert timed.ok, timed.error
        outcome = run_job(plan.market, p.job(keep_journal=True), backtest)  # its fills, for the check
        assert outcome.ok, outcome.error
        journal = Path(tmp) / f"{p.id}.sqlite"
        journal.write_bytes(outcome.journal)
        with sqlite3.connect(journal) as db:
            fills = [(str(t)[:10], s, side, float(q), float(px)) for t, s, side, q, px in
                     db.execute("SELECT time, symbol, side, qty, price FROM fills ORDER BY seq")]
            final = float(db.execute("SELECT equity FROM equity ORDER BY time DESC LIMIT 1").fetchone()[0])
        print(json.dumps({"id": p.id, "cpu": cpu, "wall": timed.seconds, "fills": fills, "final": final}),
              flush=True)
"""


def _child(python: Path, tree: Path, grid: Path, path: str, count: int) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([str(python), "-c", CHILD, str(grid), path, str(count)], cwd=tree, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{path} in {tree} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _other_fills(a: dict[str, Any], b: dict[str, Any]) -> int:
    """How many fills one run has that the other has not, by (day, symbol, side)."""
    ca, cb = Counter(tuple(f[:3]) for f in a["fills"]), Counter(tuple(f[:3]) for f in b["fills"])
    return max(sum((ca - cb).values()), sum((cb - ca).values()))


def _differences(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    if len(a["fills"]) != len(b["fills"]):
        return f"{len(a['fills'])} fills against {len(b['fills'])}"
    for i, (x, y) in enumerate(zip(a["fills"], b["fills"], strict=True)):
        if x[:3] != y[:3] or abs(x[3] - y[3]) > TOLERANCE or abs(x[4] - y[4]) > TOLERANCE:
            return f"fill {i + 1}: {x} against {y}"
    if abs(a["final"] - b["final"]) > TOLERANCE:
        return f"final value {a['final']!r} against {b['final']!r}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--then", type=Path, required=True,
                        help=f"a checkout of {THEN_COMMIT} with its venv built (make .venv/.installed)")
    parser.add_argument("--points", type=int, default=24, help="the grid's first N points (default: all 24)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the three children; best per point")
    args = parser.parse_args()
    now = Path(__file__).resolve().parent.parent
    then = args.then.resolve()
    sides = {"then": (then / ".venv/bin/python", then, "backtrader"),
             "lean": (now / ".venv/bin/python", now, "lean"),
             "backtrader": (now / ".venv/bin/python", now, "backtrader")}
    for name, (python, _, _) in sides.items():
        if not python.exists():
            raise SystemExit(f"{name}: no interpreter at {python} (build the venv: make .venv/.installed)")
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"then = {then} ({THEN_COMMIT})")
    best: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in sides}
    with tempfile.TemporaryDirectory() as tmp:
        grid = Path(tmp) / "grid.yaml"
        grid.write_text(GRID)
        for _ in range(args.repeat):
            for name, (python, tree, path) in sides.items():
                for row in _child(python, tree, grid, path, args.points):
                    kept = best[name].get(row["id"])
                    if kept is None or row["cpu"] < kept["cpu"]:
                        best[name][row["id"]] = row
    ids = sorted(best["then"])
    for i in ids:
        found = _differences(best["backtrader"][i], best["lean"][i])
        if found:
            sys.exit(f"point {i}: today's lean and backtrader paths differ: {found}")
        other = _other_fills(best["then"][i], best["lean"][i])
        if other > SAME_WORK * len(best["lean"][i]["fills"]):
            sys.exit(f"point {i}: the issue's path filled {other} orders today's did not (of "
                     f"{len(best['lean'][i]['fills'])}): not the same work")
    fills = sum(len(best["lean"][i]["fills"]) for i in ids)
    moved = sum(_other_fills(best["then"][i], best["lean"][i]) for i in ids)
    gap = max(abs(best["then"][i]["final"] / best["lean"][i]["final"] - 1) for i in ids)
    per = {name: sum(best[name][i]["cpu"] for i in ids) / len(ids) for name in sides}
    wall = {name: sum(best[name][i]["wall"] for i in ids) / len(ids) for name in sides}
    print(f"momentum grid, {len(ids)} points, {fills} fills: today's lean and backtrader paths equal (fills, "
          f"final value); the issue's path did the same work: {moved} fills differ by (day, symbol, side), "
          f"final values within {gap:.2%} (the adjustment change of 4c5d0a9)")
    for name, label in (("then", f"then ({THEN_COMMIT}, backtrader)"), ("backtrader", "now, backtrader"),
                        ("lean", "now, lean (trade sweep)")):
        print(f"  {label:<32} {per[name]:.3f} CPU s a point   (wall {wall[name]:.3f} s)")
    ratio = per["then"] / per["lean"]
    print(f"  a point now costs {ratio:.2f}x less than the issue's path "
          f"({'meets' if ratio >= TARGET else 'misses'} the {TARGET:.0f}x target); "
          f"lean against today's backtrader path {per['backtrader'] / per['lean']:.2f}x; "
          f"backtrader then/now {per['then'] / per['backtrader']:.2f}x")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
