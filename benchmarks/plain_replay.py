"""Plain backtrader making the very trades our engine made: the benchmark's baseline.

The plan is read from our run's journal: every order that filled, with the quantity that filled,
placed on the bar it was decided on (the close of t) and filled by backtrader where ours filled —
at the next open, or at that bar's close for a market-on-close (a delisting's close-out). Costs
are the venue's: no commission, 5 bps of slippage against us, not capped at the bar's range.
The venue lends on margin and lets a gap take the cash below zero; stock backtrader refuses a
fill it has no cash for, so the baseline's account carries a credit line (added to the cash at
the start, taken off the final value; no interest): its cash check never binds, as ours never
does for an order the venue took. Splits in the data apply at the ex-date's open, before fills.

Two feeds, as a user writes them: ``bt.feeds.PandasData`` (the documented one) and
``bt.feeds.PandasDirectData`` (stock backtrader's fastest). A clock feed over every session
comes first and the strategy runs from ``prenext`` too, so late listings trade from their
first bar and delisted symbols drop out. After a run, :func:`fills_of` lists what filled.
``lean=True`` replays on the engine's own ``SimBroker`` instead: not a baseline, the measure of
backtrader's order handling as the engine pays it (the benchmark's floor).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd

from brokers.backtrader.feeds import datenums
from brokers.backtrader.sim_broker import SimBroker, is_news
from framework.data import MarketData
from framework.journal import Journal

NEW_YORK = "America/New_York"
CREDIT_PER_CASH = 10.0  # credit line = this × the starting cash


@dataclass(frozen=True)
class Fill:
    day: pd.Timestamp
    symbol: str
    qty: float  # signed: + bought, - sold
    price: float


@dataclass(frozen=True)
class Trades:
    """What our run did: the replay plan (by decision bar's date number) and the fills to match."""

    plan: dict[float, list[tuple[str, float, bool]]]  # datenum -> [(symbol, signed qty, at close)]
    fills: list[Fill]
    final_value: float
    orders: int


def _local(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times, utc=True, format="ISO8601").dt.tz_convert(NEW_YORK)


def trades_of(journal_path: Path, dates: pd.DatetimeIndex) -> Trades:
    """Our run's filled orders as a replay plan, its fills, and its final equity."""
    journal = Journal(journal_path)
    try:
        orders = journal.table("orders").set_index("client_order_id")
        fills = journal.table("fills").sort_values("seq")
        equity = journal.table("equity")
    finally:
        journal.close()
    per_order = fills.groupby("client_order_id", sort=False)
    if (per_order.size() > 1).any():
        raise SystemExit("the replay needs one fill per order (run without a volume cap)")
    filled_at = _local(fills["time"])
    plan: dict[float, list[tuple[str, float, bool]]] = {}
    day_index = {d: i for i, d in enumerate(dates)}
    out: list[Fill] = []
    for (_, fill), at in zip(fills.iterrows(), filled_at, strict=True):
        at_close = orders.at[fill["client_order_id"], "time_in_force"] == "cls"
        # Our simulator stamps every fill with the open of the bar backtrader executes it on;
        # a market-on-close executes on the bar after its decision, at the decision bar's close.
        decided = dates[day_index[pd.Timestamp(at.date())] - 1]
        day = decided if at_close else pd.Timestamp(at.date())
        sign = 1.0 if fill["side"] == "buy" else -1.0
        qty = sign * float(fill["qty"])
        plan.setdefault(float(datenums(pd.DatetimeIndex([decided]))[0]), []).append((fill["symbol"], qty, at_close))
        out.append(Fill(day, fill["symbol"], qty, float(fill["price"])))
    final = float(equity.sort_values("time")["equity"].iloc[-1])
    return Trades(plan, out, final, len(orders))


class Replay(bt.Strategy):
    """Places each planned order on its decision bar; ``datas[0]`` is the clock."""

    params = (("plan", None),)

    def start(self) -> None:
        self._plan = self.p.plan
        self._by_name = {d._name: d for d in self.datas}
        self._clock = self.datas[0]

    def prenext(self) -> None:  # some symbol has not listed yet: trade the ones that have
        self.next()

    def next(self) -> None:
        for symbol, qty, at_close in self._plan.get(self._clock.datetime[0], ()):
            data = self._by_name[symbol]
            if qty > 0:
                self.buy(data=data, size=qty, coc=at_close)
            else:
                self.sell(data=data, size=-qty, coc=at_close)


class SplitBroker(bt.brokers.BackBroker):
    """BackBroker that applies the data's splits at the ex-date's open, before any fill."""

    def __init__(self) -> None:
        super().__init__()
        self.splits: dict[float, list[tuple[str, float]]] = {}
        self.clock: bt.feed.DataBase | None = None
        self.feeds: dict[str, bt.feed.DataBase] = {}

    def next(self) -> None:
        if self.splits and self.clock is not None:
            for symbol, ratio in self.splits.get(self.clock.datetime[0], ()):
                position = self.getposition(self.feeds[symbol])
                if position.size:
                    position.size *= ratio
                    position.price /= ratio
        super().next()


class LeanSplitBroker(SplitBroker, SimBroker):
    """The same, on the engine's own :class:`SimBroker`, notifying what the engine's simulator
    notifies (no acceptance: :func:`is_news`): backtrader's order handling exactly as the
    engine's runs pay it (the floor measurement, not a baseline a user would write)."""

    def notify(self, order: bt.Order) -> None:
        if is_news(order):
            super().notify(order)


def _frame(traded: MarketData, symbol: str) -> pd.DataFrame:
    return pd.DataFrame({f: getattr(traded, f)[symbol] for f in ("open", "high", "low", "close", "volume")}).dropna()


def _clock_frame(traded: MarketData) -> pd.DataFrame:
    one = np.ones(len(traded.dates))
    return pd.DataFrame({"open": one, "high": one, "low": one, "close": one, "volume": 0 * one}, index=traded.dates)


def _direct(frame: pd.DataFrame) -> bt.feeds.PandasDirectData:
    frame = frame.assign(openinterest=0.0)[["open", "high", "low", "close", "volume", "openinterest"]]
    return bt.feeds.PandasDirectData(dataname=frame)


def run_plain(
    traded: MarketData, trades: Trades, cash: float, slippage: float, direct: bool, lean: bool = False
) -> bt.Cerebro:
    """The replay on stock backtrader (``lean``: on the engine's SimBroker); returns the Cerebro
    (its broker holds the orders)."""
    cerebro = bt.Cerebro(stdstats=False)
    broker = LeanSplitBroker() if lean else SplitBroker()
    cerebro.broker = broker
    broker.setcash(cash * (1 + CREDIT_PER_CASH))
    broker.setcommission(commission=0.0)
    broker.set_slippage_perc(slippage, slip_open=True, slip_limit=True, slip_match=True, slip_out=True)
    broker.set_coc(True)  # only the orders placed with coc=True (market-on-close) fill at the close
    make = _direct if direct else (lambda frame: bt.feeds.PandasData(dataname=frame))
    clock = make(_clock_frame(traded))
    cerebro.adddata(clock, name="__clock__")
    for symbol in traded.symbols:
        frame = _frame(traded, symbol)
        if len(frame):
            broker.feeds[symbol] = cerebro.adddata(make(frame), name=symbol)
    splits = traded.splits.stack().dropna()
    for (day, symbol), ratio in splits.items():
        key = float(datenums(pd.DatetimeIndex([day]))[0])
        broker.splits.setdefault(key, []).append((symbol, float(ratio)))
    broker.clock = clock
    cerebro.addstrategy(Replay, plan=trades.plan)
    cerebro.run()
    return cerebro


def fills_of(cerebro: bt.Cerebro) -> list[Fill]:
    out = []
    for order in cerebro.broker.orders:
        if order.status == bt.Order.Completed:
            day = pd.Timestamp(bt.num2date(order.executed.dt).date())
            out.append(Fill(day, order.data._name, order.executed.size, order.executed.price))
    return out


def final_value(cerebro: bt.Cerebro, cash: float) -> float:
    return cerebro.broker.getvalue() - cash * CREDIT_PER_CASH


def check_equal(ours: Trades, theirs: list[Fill], value: float, label: str, tol: float = 1e-6) -> None:
    """Same fills (day, symbol, qty, price) and the same final value, to ``tol`` relative."""
    def key(f: Fill) -> tuple[pd.Timestamp, str, float]:
        return (f.day, f.symbol, f.qty)

    a, b = sorted(ours.fills, key=key), sorted(theirs, key=key)
    if len(a) != len(b):
        raise SystemExit(f"{label}: {len(b)} fills, ours {len(a)}: not the same trades, no ratio printed")
    for x, y in zip(a, b, strict=True):
        same = x.day == y.day and x.symbol == y.symbol and abs(x.qty - y.qty) <= tol * max(1.0, abs(x.qty))
        if not same or abs(x.price - y.price) > tol * abs(x.price):
            raise SystemExit(f"{label}: fill {y} differs from ours {x}: not the same trades, no ratio printed")
    if abs(value - ours.final_value) > tol * abs(ours.final_value):
        raise SystemExit(f"{label}: final value {value:.6f}, ours {ours.final_value:.6f}: no ratio printed")
