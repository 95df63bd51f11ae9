"""Whole-market scale: time and peak memory of `trade backtest` against the number of symbols
(44 → 500 → 5,000 by default), so that how cost grows is visible, each beside its floor: plain
backtrader running the very same feeds with a strategy that does nothing.

Each universe is made from the embedded data (``workloads.market_scale``: perturbed renamed
copies, a tenth of the symbols listed part-way through and a tenth delisted early), written as
a user's long Parquet file (``date, symbol, OHLCV, dividend, split_ratio``) with its sectors,
and backtested by a fresh ``trade backtest`` process holding its 40 strongest
(``signals.top_n: 40``, as a wide universe is traded): momentum without reports by default;
``--strategy xgboost_signal --reports`` is the walk-forward with its tear sheet (issue 31: ≤ 45 s
at 500 symbols), ``--nthread`` its xgboost threads (a number or ``auto``). Then ``benchmarks/scale_floor.py`` runs
as a fresh process on the same file and the run's trading window (its docstring says what the
floor is). Both are measured from outside the same way: wall seconds (imports and loading
included), CPU seconds (user + system, from ``wait4``: what a loaded machine does not inflate)
and peak memory (max RSS). The floor also reports the CPU seconds of its ``cerebro.run()`` alone
(``run``); a second floor runs the same under the session loop `trade backtest` runs
(``--loop session`` there). Each backtest's result is printed (final value, fills); ``--check FILE`` records them
on the first run and stops with an error on any later run that differs; ``--before DIR`` runs
the code in DIR first (interleaved: the same load) and holds its result equal.
A measurement, not a test.

    .venv/bin/python benchmarks/scale.py [--symbols 44 500 5000] [--files DIR] [--check FILE] [--before DIR]
        [--strategy momentum|xgboost_signal] [--reports] [--nthread 1|auto]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from workloads import market_scale, to_long

from framework.data import load_market_data

FLOOR = Path(__file__).with_name("scale_floor.py")


def config(strategy: str, nthread: str | None) -> str:
    """The run's YAML: the strategy (with its xgboost threads, if given), holding its 40 strongest."""
    params = f"  params:\n    nthread: {nthread}\n" if nthread is not None else ""
    return f"strategy:\n  name: {strategy}\n{params}signals:\n  top_n: 40\n"


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds
    cpu: float  # user + system seconds
    peak: float  # GiB
    stdout: str


def files(symbols: int, folder: Path) -> tuple[Path, Path]:
    """The universe's price and sector files in ``folder`` (made once, reused when present)."""
    prices, sectors = folder / f"scale-{symbols}.parquet", folder / f"scale-{symbols}-sectors.csv"
    if not prices.exists():
        market = market_scale(load_market_data(), symbols)
        market.sectors.rename_axis("symbol").reset_index().to_csv(sectors, index=False)
        to_long(market).to_parquet(prices, index=False)
    return prices, sectors


def measure(argv: list[str], pythonpath: Path | None = None) -> Measured:
    """One child process, measured from outside: wall and CPU seconds, peak GiB, its stdout
    (its output goes to files, so that nothing reaps it before ``wait4`` reads its usage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        env = {**os.environ, "TRADE_PROGRESS": "plain"} | ({"PYTHONPATH": str(pythonpath)} if pythonpath else {})
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.exit(f"{' '.join(argv[:3])} failed: {stderr[-600:]}")
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 2**20, stdout)


def backtest(prices: Path, sectors: Path, folder: Path, yaml: str, reports: bool,
             code: Path | None = None) -> tuple[Measured, dict[str, object]]:
    """One `trade backtest` process, and what it did (window, final value, fills); ``code``: a
    source tree to run instead of this checkout's (``PYTHONPATH``)."""
    path = folder / "scale.yaml"
    path.write_text(yaml)
    out = Path(tempfile.mkdtemp(dir=folder)) / "run"
    trade = Path(sys.executable).with_name("trade")
    measured = measure([str(trade), "backtest", "--data", str(prices), "--sectors", str(sectors), "--config",
                        str(path), "--out", str(out), *([] if reports else ["--no-report"])], code)
    summary = json.loads((out / "summary.json").read_text())
    with (out / "returns.csv").open() as handle:
        final = list(csv.DictReader(handle))[-1]["equity"]
    result = {"start": summary["start"], "end": summary["end"], "final_value": final,
              "fills": summary["figures"]["fills"], "orders": summary["figures"]["orders"]}
    return measured, result


def floor(prices: Path, start: str, end: str, loop: str) -> tuple[Measured, dict[str, float]]:
    """The floor process on the same file and trading window, under backtrader's loop or ours."""
    measured = measure([sys.executable, str(FLOOR), str(prices), "--start", start, "--end", end, "--loop", loop])
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def checked(n: int, result: dict[str, object], check: Path | None) -> None:
    """Record the result under ``n`` in ``check`` the first time; stop if it differs later."""
    if check is None:
        return
    known = json.loads(check.read_text()) if check.exists() else {}
    if str(n) in known and known[str(n)] != result:
        sys.exit(f"{n} symbols: the result changed: {known[str(n)]} before, {result} now")
    known[str(n)] = result
    check.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, nargs="+", default=[44, 500, 5000])
    parser.add_argument("--files", type=Path, help="keep the generated universes here (default: a temporary folder)")
    parser.add_argument("--check", type=Path, help="a JSON file of results to record, then compare against")
    parser.add_argument("--before", type=Path, help="a source tree of the code before a change (e.g. `git archive "
                        "main | tar -x -C DIR`): its backtest runs first, and must give the same result")
    parser.add_argument("--strategy", default="momentum", choices=["momentum", "xgboost_signal"])
    parser.add_argument("--reports", action="store_true", help="with the tear sheet and reports (default: --no-report)")
    parser.add_argument("--nthread", help="xgboost_signal: its nthread (default: the shipped configuration's)")
    args = parser.parse_args()
    if args.nthread is not None and args.strategy != "xgboost_signal":
        parser.error("--nthread is a parameter of --strategy xgboost_signal")
    yaml = config(args.strategy, args.nthread)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.files or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{args.strategy}, {'with' if args.reports else 'no'} reports"
              f"{f', nthread {args.nthread}' if args.nthread else ''}; load: {os.getloadavg()[0]:.1f} (1 min), "
              f"{os.cpu_count()} cores", flush=True)
        print(f"{'symbols':>8} {'rows':>10}  {'what':<26} {'wall s':>7} {'CPU s':>7} {'peak GiB':>9}   result",
              flush=True)
        for n in args.symbols:
            prices, sectors = files(n, folder)
            rows = pq.ParquetFile(prices).metadata.num_rows
            if args.before:
                then, before = backtest(prices, sectors, Path(tmp), yaml, args.reports, args.before)
                print(f"{n:>8} {rows:>10,}  {'before: trade backtest':<26} {then.wall:>7.1f} {then.cpu:>7.1f} "
                      f"{then.peak:>9.2f}   final value {before['final_value']}, {before['fills']} fills", flush=True)
                checked(n, before, args.check)
            ours, result = backtest(prices, sectors, Path(tmp), yaml, args.reports)
            checked(n, result, args.check)
            print(f"{n:>8} {rows:>10,}  {'trade backtest':<26} {ours.wall:>7.1f} {ours.cpu:>7.1f} "
                  f"{ours.peak:>9.2f}   final value {result['final_value']}, {result['fills']} fills", flush=True)
            for label, loop in (("floor: plain backtrader", "backtrader"), ("floor: our session loop", "session")):
                base, parts = floor(prices, str(result["start"]), str(result["end"]), loop)
                print(f"{'':>8} {'':>10}  {label:<26} {base.wall:>7.1f} {base.cpu:>7.1f} {base.peak:>9.2f}   "
                      f"cerebro.run {parts['run']:.1f} s CPU (load {parts['load']:.1f}, feeds {parts['feeds']:.1f}), "
                      f"{parts['sessions']:.0f} sessions", flush=True)


if __name__ == "__main__":
    main()
