"""Dump what four backtests produce, to prove a performance change changed no result.

Each configuration runs ``trade backtest --no-report`` (the command users run) and its
``summary.json`` plus every table of its ``journal.sqlite`` (one CSV per table, rows in rowid
order, every column as SQLite stores it) are copied under ``OUT/<configuration>/``. A change is
behaviour-preserving when two dumps are byte-identical:

    .venv/bin/python benchmarks/regression_dump.py runs/dump-before          # before the change
    .venv/bin/python benchmarks/regression_dump.py runs/dump-after --compare runs/dump-before

The environment passes through: ``PYTHONPATH=<another checkout>`` dumps that checkout's code.

The configurations are the ones the per-order path is judged on (issue 20): XGBoost; momentum;
momentum + stops + limit orders + fractional shares; momentum + volume cap + fixed slippage +
GTC + shorts + daily rebalance.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "xgboost": {},
    "momentum": {"strategy": {"name": "momentum"}},
    "momentum_stops_limit_fractional": {
        "strategy": {"name": "momentum"},
        "risk": {"stop_loss": 0.05, "trailing_stop": 0.10},
        "orders": {"type": "limit", "limit_offset_bps": 10.0},
        "sizing": {"fractional": True},
    },
    "momentum_volcap_fixedslip_gtc_shorts_daily": {
        "strategy": {"name": "momentum"},
        "backtest": {"volume_cap": 0.0005},
        "venue": {"slippage": {"mode": "fixed", "value": 0.02}},
        "orders": {"time_in_force": "gtc"},
        "signals": {"allow_short": True, "rebalance_every": 1},
    },
}


def dump_journal(journal: Path, out: Path) -> None:
    """Every table, in rowid order, one CSV each (``repr`` of floats: exact)."""
    with sqlite3.connect(journal) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')  # table names come from sqlite_master
            with (out / f"{table}.csv").open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([d[0] for d in cursor.description])
                writer.writerows([repr(v) if isinstance(v, float) else v for v in row] for row in cursor)


def run(name: str, overrides: dict[str, Any], out: Path, trade: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump(overrides) if overrides else "{}\n")
        folder = Path(tmp) / "run"
        subprocess.run(
            [str(trade), "backtest", "--config", str(config), "--no-report", "--out", str(folder)],
            check=True, stdout=subprocess.DEVNULL, env={**os.environ, "TRADE_PROGRESS": "plain"},
        )
        target = out / name
        target.mkdir(parents=True)
        shutil.copy(folder / "summary.json", target / "summary.json")
        dump_journal(folder / "journal.sqlite", target)


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ, or exist on one side only, between two dumps."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(f"{prefix}{n} (only in one dump)" for n in cmp.left_only + cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        found.extend(f"{prefix}{n}" for n in mismatch + errors)
        for sub, child in cmp.subdirs.items():
            walk(child, f"{prefix}{sub}/")

    walk(filecmp.dircmp(a, b), "")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to create")
    parser.add_argument("--compare", type=Path, help="an earlier dump: exit 1 unless byte-identical")
    parser.add_argument("--only", action="append", choices=sorted(CONFIGURATIONS), help="run only these")
    args = parser.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists: choose a new folder")
    trade = Path(sys.executable).parent / "trade"
    for name in args.only or CONFIGURATIONS:
        print(f"dumping {name} ...", flush=True)
        run(name, CONFIGURATIONS[name], args.out, trade)
    if args.compare is not None:
        names = args.only or list(CONFIGURATIONS)
        diff = [d for n in names for d in differences(args.compare / n, args.out / n)]
        if diff:
            print("DIFFERENT: " + ", ".join(diff))
            sys.exit(1)
        print(f"identical to {args.compare}: summary.json and every journal table of {', '.join(names)}")


if __name__ == "__main__":
    main()
