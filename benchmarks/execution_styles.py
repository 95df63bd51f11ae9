"""The by-style execution table (issue 29): one momentum backtest per ``orders.style`` on the
embedded data, each run's execution quality (implementation shortfall, arrival slippage, fill
rate) and result side by side, printed as a Markdown table.

    .venv/bin/python benchmarks/execution_styles.py [--start 2018-01-02] [--strategy momentum]

Every run is ``trade backtest --no-report`` (the command users run); the figures are read from
its journal with the reports' own code (:mod:`analyzers.execution_quality`). ``twap`` is left
out: daily bars cannot simulate it (the backtest refuses it). Not a test: nothing is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from analyzers.execution_quality import aggregate, per_order
from analyzers.records import load_run
from framework.styles import OrderStyle

STYLES = [s for s in OrderStyle if not s.intraday]


def run(style: OrderStyle, strategy: str, start: str | None, tmp: Path) -> dict[str, float | str]:
    config = tmp / f"{style.value}.yaml"
    config.write_text(f"orders:\n  style: {style.value}\n")
    folder = tmp / style.value
    command = [str(Path(sys.executable).parent / "trade"), "backtest", "--strategy", strategy, "--config",
               str(config), "--no-report", "--out", str(folder)] + (["--start", start] if start else [])
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "TRADE_PROGRESS": "plain"})
    records = load_run(folder)
    sent = records.orders[records.orders["tag"] != "protective"]
    found = aggregate(per_order(sent, records.fills, configured=records.style))
    figures = json.loads((folder / "summary.json").read_text())["figures"]
    return {"style": style.value, **found, "total_return": figures["total_return"], "sharpe": figures["sharpe"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strategy", default="momentum")
    parser.add_argument("--start", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(style, args.strategy, args.start, Path(tmp)) for style in STYLES]
    # time to fill is left out: a daily backtest stamps every fill at a bar's open, so it measures
    # the bar, not the style (the rehearsal's paper journal measures it)
    print("| style | orders | fill rate | shortfall (bps) | slippage vs arrival (bps) | slippage vs decision (bps) "
          "| total return | Sharpe |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['style']} | {r['orders']} | {r['fill_rate']:.1%} | {r['shortfall_bps']:.2f} | "
              f"{r['slippage_arrival_bps']:.2f} | {r['slippage_decision_bps']:.2f} | "
              f"{r['total_return']:.2%} | {r['sharpe']:.2f} |")


if __name__ == "__main__":
    main()
