"""Our momentum backtest's orders replayed in event-driven peers, timed side by side (issue 31).

The plan is our run's journal read by ``plain_replay.trades_of`` (every filled order, placed at
the close of the bar it was decided on, filled at the next open, 5 bps against us, no
commission). It is replayed in:

- **ours**: `trade backtest`'s engine on backtrader given the strategy's signals, exactly what
  ``backtest_throughput.py`` times as (a): sizing, risk, the venue's rules, order manager,
  SQLite journal — it makes the orders rather than reading them; the lead is measured on it;
- **ours, no orders**: the same with no signals (the per-session cost alone), so that
  (ours - it) / orders is what one order costs us all-in, as ``backtest_throughput.py`` (z);
- **ours, lean**: the same on the lean research path `trade sweep` runs (``run_lean_backtest``),
  as information, its own fills checked equal too; and with no signals (its floor);
- **backtrader's own**: the plan replayed on the engine's ``SimBroker`` (``plain_replay.run_plain``,
  ``lean=True``, its fills checked equal) with and without its orders: (orders - none) / orders is
  backtrader's own order handling as the engine pays it. The summary ends with what 2x over
  backtesting.py leaves each path per order once its floor is paid (``floor_lines``);
- **backtesting.py** (``bench`` extra): one ``Backtest`` per symbol (it trades one instrument),
  market orders from ``next`` filling at the next open; its values summed. Its ``spread`` is
  charged on entering a trade only, so the 5 bps go in as ``commission=0.0005``, charged on
  every fill: the same cash as ours, its fill prices the raw opens (checked × (1 ± 5 bps));
- **NautilusTrader**, in its own venv (``.venv-peers``, ``make bench-peers``: it pins pandas < 3)
  as a child process, ``benchmarks/nautilus_replay.py`` (its docstring: bars at the close, a
  quote at each open with the 5 bps as the spread, a cash account with the credit line); the plan and the
  bars go to it as parquet; it reports its own seconds, import and file reading excluded;
- **vectorbt** (``bench`` extra) ``Portfolio.from_orders`` at the opens, ``slippage=0.0005``,
  cash shared, a credit line as in ``plain_replay`` (warm: numba compiled in the check).

Before any time is printed each peer is checked to have made the same fills (day, symbol,
quantity, price) and ended on the same value as ours, to 1e-6 relative; otherwise the script
stops with the difference. No peer models splits: the script stops if a position is held
across one (the momentum window has one split, NFLX on its first session, nothing held).
Runs are interleaved (ours, no orders, lean, backtesting.py, NautilusTrader, vectorbt, ours, ...); CPU seconds
(``time.process_time``: what a shared machine steals shows in wall time, not here), best of
``--repeat``, wall beside; µs an order = seconds / orders; lead = their CPU / ours.

    make bench-peers        # builds .venv-peers, then:
    .venv/bin/python benchmarks/peer_replay.py --repeat 3 [--peers-python .venv-peers/bin/python]

Measured 2026-12-07 on `main` d3dce09 (`.venv/bin/python benchmarks/peer_replay.py --repeat 3`,
the 2-core box shared with ~8 sessions, load average 10-11; CPU seconds best of 3, wall beside):

    ours (trade backtest)      2.801 s    1204 us an order   (wall 11.640 s)
    ours, no orders            0.775 s     333 us an order   (wall  3.013 s)
    ours, lean (trade sweep)   1.615 s     694 us an order   (wall  5.755 s)
    backtesting.py 0.6.6       1.766 s     759 us an order   (wall  6.963 s)   our lead  0.63x
    NautilusTrader 1.221.0     6.066 s    2607 us an order   (wall 25.277 s)   our lead  2.17x
    vectorbt 1.2.0             0.138 s      59 us an order   (wall  0.585 s)   our lead  0.05x
    ours per order, all-in: 871 us; per session with no orders: 684 us
    the lean path's lead: backtesting.py 1.09x, NautilusTrader 3.76x
    NautilusTrader's engine.run() alone: 4.365 s CPU

Over four runs that hour (load 8-11) our lead was 0.50-0.63x over backtesting.py and 1.83-2.17x
over NautilusTrader: the 2x over both is not met, and over NautilusTrader it sits on the line,
inside this box's noise. backtesting.py executes given sizes (no sizing, risk checks, venue
rules or journal, which ours does for each order); NautilusTrader pays for two events a bar
(the open's quote doubles its data: with bars alone, filling at the close, its whole replay
took 2.95 s CPU against 7.27 s with the quotes, in one process the same hour).

Measured 2026-12-07 22:56-22:58 UTC, branch bt-order then `main` 67e377c back to back (load
average 2.0; CPU seconds best of 3, wall equal within 3%):

    ours (trade backtest)      1.214 s (main 1.323 s)   417 us an order all-in (main 459 us)
    ours, no orders            0.243 s (main 0.256 s)   214 us a session (main 226 us)
    ours, lean (trade sweep)   0.777 s (main 0.769 s)   (unchanged code: the control)
    ours, lean, no orders      0.174 s
    backtrader's own: orders   1.627 s, none 1.358 s: 115 us an order
    backtesting.py 0.6.6       0.909 s   our lead 0.75x (main 0.70x)
    NautilusTrader 1.221.0     3.257 s   our lead 2.68x (main 2.40x)
    2x over backtesting.py allows 0.455 s: backtrader path: no orders 0.243 s + backtrader's own
    order handling 115 us an order; leaves -24 us an order for the rest (today 302 us): out of
    reach on this path; lean path: no orders 0.174 s; leaves 121 us an order (today 259 us)

Two earlier alternations the same hour (load 4.4-5.5): ours 1.477 / 1.526 s against main's
1.838 / 1.538 s, our lead over backtesting.py 0.83x / 0.86x against 0.64x / 0.68x. On this box 2x
over backtesting.py is out of reach on backtrader whatever the engine does per order (its
no-orders run and its own order handling take the whole budget) and needs the lean path's
per-order cost more than halved.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bar, one per symbol: noise, not work

import backtrader as bt
import numpy as np
import pandas as pd
from plain_replay import CREDIT_PER_CASH, Fill, Trades, check_equal, fills_of, final_value, run_plain, trades_of

from brokers.backtrader.runner import run_backtest
from brokers.lean import run_lean_backtest
from framework.config import load_settings
from framework.data import MarketData, load_market_data
from framework.registry import get_strategy
from framework.strategy import compute_signals
from framework.trading_window import trading_window

HERE = Path(__file__).resolve().parent
PEERS_PYTHON = HERE.parent / ".venv-peers" / "bin" / "python"
Timing = tuple[float, float]  # (CPU seconds, wall seconds)
OURS, IDLE, LEAN = "ours (trade backtest)", "ours, no orders", "ours, lean (trade sweep)"
LEAN_IDLE = "ours, lean, no orders"
#: backtrader's own order handling as the engine pays it (``plain_replay``, the plan on SimBroker)
BT_ORDERS, BT_IDLE = "backtrader's own: orders", "backtrader's own: none"
OURS_ALL = (OURS, IDLE, LEAN, LEAN_IDLE, BT_ORDERS, BT_IDLE)


def timed(fn: Callable[[], object]) -> Timing:
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - t0


def plan_frame(trades: Trades) -> pd.DataFrame:
    """The plan as rows (decided, symbol, qty), the decision session as a date."""
    rows = []
    for datenum, orders in sorted(trades.plan.items()):
        decided = pd.Timestamp(bt.num2date(datenum).date())
        for symbol, qty, at_close in orders:
            if at_close:
                raise SystemExit("the peers replay has no market-on-close orders (a delisting's close-out)")
            rows.append((decided, symbol, qty))
    return pd.DataFrame(rows, columns=["decided", "symbol", "qty"])


def check_no_split_held(trades: Trades, traded: MarketData) -> None:
    """No peer applies splits: stop if a position is held into one's ex-date."""
    for (day, symbol), _ in traded.splits.stack().dropna().items():
        held = sum(f.qty for f in trades.fills if f.symbol == symbol and f.day < day)
        if held:
            raise SystemExit(f"{symbol} splits on {day.date()} with {held:g} held: the peers do not model splits")


def bars_frame(traded: MarketData) -> pd.DataFrame:
    """One row per traded bar: date, symbol, open, high, low, close, volume."""
    fields = ("open", "high", "low", "close", "volume")
    long = pd.concat({f: getattr(traded, f).stack() for f in fields}, axis=1).dropna(subset=["close"])
    long.index.names = ["date", "symbol"]
    return long.reset_index().sort_values(["symbol", "date"], ignore_index=True)


# -- backtesting.py --------------------------------------------------------------------------


def _backtesting_py(bars: pd.DataFrame, plan: pd.DataFrame, cash: float, slippage: float) -> tuple[float, list[Fill]]:
    """One Backtest per symbol; the sum of their gains on our cash, and their fills."""
    from backtesting import Backtest
    from backtesting import Strategy as BpStrategy

    class Orders(BpStrategy):
        at: dict[int, float] = {}  # noqa: RUF012 (backtesting.py's parameters are class attributes)

        def init(self) -> None:
            pass

        def next(self) -> None:
            qty = self.at.get(len(self.data) - 1)
            if qty:
                (self.buy if qty > 0 else self.sell)(size=abs(qty))

    credit = cash * CREDIT_PER_CASH  # each symbol's account: its cash check never binds, as ours
    value, fills = cash, []
    orders = plan.groupby("symbol")
    for symbol, frame in bars.groupby("symbol", sort=True):
        data = frame.set_index("date")[["open", "high", "low", "close", "volume"]]
        data.columns = ["Open", "High", "Low", "Close", "Volume"]
        at: dict[int, float] = {}
        if symbol in orders.groups:
            position = data.index.get_indexer(orders.get_group(symbol)["decided"])
            if (position < 1).any():  # -1: not one of its bars; 0: its next() starts on the second
                raise SystemExit(f"backtesting.py: an order of {symbol} on its first bar or none of its bars")
            for i, qty in zip(position, orders.get_group(symbol)["qty"], strict=True):
                at[int(i)] = at.get(int(i), 0.0) + float(qty)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "some trades remain open": they are valued at the last close
            stats = Backtest(data, Orders, cash=credit, commission=slippage).run(at=at)
        value += stats["Equity Final [$]"] - credit
        fills += _backtesting_fills(stats, data.index, symbol, slippage)
    return value, fills


def _backtesting_fills(stats: pd.Series, dates: pd.DatetimeIndex, symbol: str, slippage: float) -> list[Fill]:
    """Each bar's trade legs summed into the order that made them, its price with the
    commission folded in (as ours carries the slippage)."""
    broker = stats["_strategy"]._broker
    legs: dict[int, list[tuple[float, float]]] = {}
    for trade in [*broker.closed_trades, *broker.trades]:
        legs.setdefault(trade.entry_bar, []).append((trade.size, trade.entry_price))
        if trade.exit_bar is not None:
            legs.setdefault(trade.exit_bar, []).append((-trade.size, trade.exit_price))
    out = []
    for bar, parts in sorted(legs.items()):
        qty, prices = sum(q for q, _ in parts), {p for _, p in parts}
        if len(prices) != 1:
            raise SystemExit(f"backtesting.py: {symbol} filled at {sorted(prices)} on one bar")
        if qty:
            price = prices.pop() * (1 + np.sign(qty) * slippage)
            out.append(Fill(dates[bar], symbol, float(qty), float(price)))
    return out


# -- vectorbt --------------------------------------------------------------------------------


def _vectorbt(traded: MarketData, trades: Trades, cash: float, slippage: float) -> tuple[float, list[Fill]]:
    import vectorbt as vbt

    size = pd.DataFrame(np.nan, index=traded.dates, columns=traded.symbols)
    for f in trades.fills:
        size.at[f.day, f.symbol] = f.qty
    credit = cash * CREDIT_PER_CASH
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vectorbt's use of pandas APIs that pandas 3 deprecates
        pf = vbt.Portfolio.from_orders(
            traded.close, size, size_type="amount", price=traded.open, slippage=slippage, fees=0.0,
            init_cash=cash + credit, cash_sharing=True, group_by=True, freq="1D",
        )
        value = float(pf.final_value()) - credit
        records = pf.orders.records_readable
    sign = np.where(records["Side"] == "Buy", 1.0, -1.0)
    columns = (records["Timestamp"], records["Column"], sign, records["Size"], records["Price"])
    fills = [Fill(pd.Timestamp(d), symbol, float(s * q), float(p)) for d, symbol, s, q, p in zip(*columns, strict=True)]
    return value, fills


# -- NautilusTrader (child process) ----------------------------------------------------------


def _nautilus(python: Path, folder: Path) -> dict:
    """One replay in the peers' venv; its JSON (final value, fills, seconds)."""
    done = subprocess.run([str(python), str(HERE / "nautilus_replay.py"), str(folder)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"NautilusTrader replay failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _nautilus_fills(out: dict) -> list[Fill]:
    return [Fill(pd.Timestamp(day), symbol, qty, price) for day, symbol, qty, price in out["fills"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers-python", type=Path, default=PEERS_PYTHON, help="the venv with nautilus_trader")
    args = parser.parse_args()
    market = load_market_data()
    settings = load_settings([], {"strategy": {"name": "momentum"}})
    plugin = get_strategy(settings.strategy.name)(settings.strategy.params)
    signals = compute_signals(plugin, market)
    start, end = trading_window(market, plugin, settings)
    traded = market.truncate(end).between(start, end)
    cash, slippage = settings.backtest.cash, settings.venue.slippage
    if slippage.mode != "percent" or slippage.cap_at_bar_range or settings.backtest.volume_cap is not None:
        raise SystemExit("the replay reproduces uncapped percent slippage without a volume cap only")
    slip = slippage.value

    with tempfile.TemporaryDirectory(prefix="peer-replay-") as tmp_name:
        tmp = Path(tmp_name)
        runs = 0

        def journal(backtest: Callable[..., Any], given: pd.DataFrame = signals) -> Path:
            nonlocal runs
            runs += 1
            return backtest(market, plugin, settings, tmp / f"run-{runs}.sqlite", signals=given).journal_path

        def ours() -> Path:
            return journal(run_backtest)

        def lean() -> Path:
            return journal(run_lean_backtest)

        trades = trades_of(ours(), traded.dates)
        check_no_split_held(trades, traded)
        plan, bars = plan_frame(trades), bars_frame(traded)
        plan.to_parquet(tmp / "plan.parquet")
        bars.to_parquet(tmp / "bars.parquet")
        (tmp / "meta.json").write_text(json.dumps({"cash": cash, "slippage": slip, "credit_per_cash": CREDIT_PER_CASH}))

        empty = pd.DataFrame(np.nan, index=signals.index, columns=signals.columns)
        nothing = Trades({}, [], cash, 0)
        tools: dict[str, Callable[[], Timing]] = {
            OURS: lambda: timed(ours),
            IDLE: lambda: timed(lambda: journal(run_backtest, empty)),
            LEAN: lambda: timed(lean),
            LEAN_IDLE: lambda: timed(lambda: journal(run_lean_backtest, empty)),
            BT_ORDERS: lambda: timed(lambda: run_plain(traded, trades, cash, slip, direct=True, lean=True)),
            BT_IDLE: lambda: timed(lambda: run_plain(traded, nothing, cash, slip, direct=True, lean=True)),
        }
        on_lean = trades_of(lean(), traded.dates)
        check_equal(trades, on_lean.fills, on_lean.final_value, "our lean path")
        on_sim = run_plain(traded, trades, cash, slip, direct=True, lean=True)
        check_equal(trades, fills_of(on_sim), final_value(on_sim, cash), "the plan on SimBroker")
        checked: list[str] = ["our lean path", "the plan on SimBroker"]
        engine_only: list[float] = []
        try:
            import backtesting
        except ImportError:
            print("backtesting.py: not installed (the optional `bench` extra: pip install -e .[bench]); skipped")
        else:
            value, fills = _backtesting_py(bars, plan, cash, slip)
            check_equal(trades, fills, value, "backtesting.py")
            checked.append(f"backtesting.py {backtesting.__version__}")
            tools["backtesting.py"] = lambda: timed(lambda: _backtesting_py(bars, plan, cash, slip))
        if args.peers_python.exists():
            out = _nautilus(args.peers_python, tmp)
            check_equal(trades, _nautilus_fills(out), out["final_value"], "NautilusTrader")
            checked.append(f"NautilusTrader {out['version']}")

            def nautilus() -> Timing:
                again = _nautilus(args.peers_python, tmp)
                engine_only.append(again["run_cpu"])
                return again["cpu"], again["wall"]

            tools["NautilusTrader"] = nautilus
        else:
            print(f"NautilusTrader: no {args.peers_python} (`make bench-peers` builds .venv-peers); skipped")
        try:
            import vectorbt
        except ImportError:
            print("vectorbt: not installed (the optional `bench` extra); skipped")
        else:
            value, fills = _vectorbt(traded, trades, cash, slip)  # also compiles its numba code
            check_equal(trades, fills, value, "vectorbt")
            checked.append(f"vectorbt {vectorbt.__version__}")
            tools["vectorbt"] = lambda: timed(lambda: _vectorbt(traded, trades, cash, slip))
        print(
            f"momentum, {len(traded.dates)} sessions x {len(market.symbols)} symbols, {trades.orders} orders: "
            f"{', '.join(checked)} made the same {len(trades.fills)} fills and ended on the same value as ours "
            f"(${trades.final_value:,.2f}), to 1e-6",
            flush=True,
        )
        times: dict[str, list[Timing]] = {name: [] for name in tools}
        for _ in range(args.repeat):
            for name, run in tools.items():
                times[name].append(run())
    report(times, trades.orders, len(traded.dates))
    if engine_only:
        print(f"  NautilusTrader's engine.run() alone: {min(engine_only):.3f} s CPU (the rest builds its instruments, "
              "bars and quotes)")


def report(times: dict[str, list[Timing]], orders: int, sessions: int) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs = len(next(iter(times.values())))
    print(f"\nCPU seconds, best of {runs} interleaved (wall beside); load average {load}")
    best = {name: min(c for c, _ in samples) for name, samples in times.items()}
    ours = best[OURS]
    for name, samples in times.items():
        cpu, wall = best[name], min(w for _, w in samples)
        lead = "" if name in OURS_ALL else f"   our lead {cpu / ours:5.2f}x"
        target = "" if name == "vectorbt" or not lead else f" (target >= 2x: {'met' if cpu >= 2 * ours else 'NOT met'})"
        per = "" if name in (BT_ORDERS, BT_IDLE) else f"{cpu / orders * 1e6:6.0f} us an order"  # not a path of ours
        print(f"  {name:<24} {cpu:7.3f} s  {per:<17}   (wall {wall:6.3f} s){lead}{target}")
    per_order, per_session = (ours - best[IDLE]) / orders * 1e6, best[IDLE] / sessions * 1e6
    print(f"  ours per order, all-in ((ours - no orders) / orders): {per_order:.0f} us; "
          f"per session with no orders: {per_session:.0f} us")
    peers = [f"{name} {best[name] / best[LEAN]:.2f}x" for name in best if name not in OURS_ALL]
    print(f"  the lean path's lead (information; `trade backtest` runs on backtrader): {', '.join(peers)}")
    if "backtesting.py" in best:
        for line in floor_lines(best, orders):
            print(line)


def floor_lines(best: dict[str, float], orders: int) -> list[str]:
    """What 2x over backtesting.py leaves each path per order once its floor is paid: the
    no-orders run, and on the backtrader path backtrader's own order handling too (the plan
    replayed on the engine's SimBroker, with and without its orders). Below zero: out of reach
    on that path whatever the engine does per order."""
    allowed = best["backtesting.py"] / 2
    handling = (best[BT_ORDERS] - best[BT_IDLE]) / orders * 1e6
    out = [f"  2x over backtesting.py allows {allowed:.3f} s (its {best['backtesting.py']:.3f} s / 2):"]
    for path, run, idle, own in (("backtrader", OURS, IDLE, handling), ("lean", LEAN, LEAN_IDLE, 0.0)):
        budget = (allowed - best[idle]) / orders * 1e6 - own
        today = (best[run] - best[idle]) / orders * 1e6 - own
        paid = f"no orders {best[idle]:.3f} s"
        if own:
            paid += f" + backtrader's own order handling {own:.0f} us an order"
        verdict = "out of reach on this path" if budget <= 0 else ("met" if today <= budget else "NOT met")
        out.append(f"    {path:<10} path: {paid}; leaves {budget:5.0f} us an order for the rest "
                   f"(today {today:4.0f} us): {verdict}")
    return out


if __name__ == "__main__":
    sys.exit(main())
