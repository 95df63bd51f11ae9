"""Two venues behind the one Broker protocol, driven by the same script.

A script is a list of steps. Step ``j`` runs at the close of session ``j`` (after the last
close, before the next open) and gets the broker and the decision time; between two steps one
session passes: market orders fill at its open, resting orders are checked against its range,
day orders expire at its close. Each step's return value is kept, so the last step can read the
broker's state (the backtrader adapter only exists while Cerebro runs).

- ``backtrader``: the simulator's adapter on a real Cerebro run, assembled as the runner does
  (:func:`brokers.backtrader.runner.simulator`), with the runner's DAY-order expiry;
- ``alpaca``: the Alpaca adapter (real alpaca-py, REST and the trade-updates stream) against the
  project's loopback sandbox on the same data, the clock advanced one session per step.

Both take the same settings (``venue`` section included: both venues trade by the one venue
model) and, optionally, the same market data (e.g. with corporate actions).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import backtrader as bt
import pandas as pd

from brokers.backtrader.broker import BacktraderBroker
from brokers.backtrader.minute_fills import MinuteFills
from brokers.backtrader.runner import simulator
from framework.broker import Broker, OrderUpdate
from framework.config import Settings, load_settings
from framework.data import MarketData, load_market_data, session_time
from framework.enums import OrderStatus
from framework.venue import actions_on, venue_from_config

Step = Callable[[Broker, datetime], Any]

SYMBOLS = ("AAPL", "MSFT")
FIRST_FILL = "2019-06-04"  # the session whose open fills the first step's market orders
CASH = 100_000.0
OPEN, CLOSE = timedelta(hours=9, minutes=30), timedelta(hours=16)
KEY, SECRET = "AKCONTRACT00000001", "CONTRACTSECRET0001"


@dataclass
class Played:
    returns: list[Any]
    updates: list[OrderUpdate] = field(default_factory=list)

    def of(self, cid: str) -> list[OrderUpdate]:
        return [u for u in self.updates if u.order.client_order_id == cid]


def settings(**venue: Any) -> Settings:
    """The shipped defaults (profile alpaca_paper) with ``venue`` keys over them."""
    return load_settings([], {"backtest": {"cash": CASH}, "venue": venue}, validate_strategy=False)


@cache
def market() -> MarketData:
    """Read once per process (every case of every venue reads it, a third of a second each):
    shared read-only, pandas copy-on-write keeps a case's derived frames from reaching it."""
    return load_market_data().select(list(SYMBOLS))




def with_actions(data: MarketData, dividends: dict[tuple[str, str], float] | None = None,
                 splits: dict[tuple[str, str], float] | None = None) -> MarketData:
    """``data`` plus the given actions, keyed by (date, symbol)."""

    def frame(values: dict[tuple[str, str], float] | None) -> pd.DataFrame:
        out = pd.DataFrame(float("nan"), index=data.close.index, columns=data.close.columns)
        for (day, symbol), value in (values or {}).items():
            out.loc[pd.Timestamp(day), symbol] = value
        return out

    return replace(data, dividends=frame(dividends), splits=frame(splits))


def sessions(n: int) -> pd.DatetimeIndex:
    """The ``n`` sessions whose closes the steps run at (the first is the day before FIRST_FILL)."""
    dates = market().dates
    i = int(dates.get_loc(pd.Timestamp(FIRST_FILL)))
    return dates[i - 1 : i - 1 + n]


def play_backtrader(steps: list[Step], tmp_path: Path, cfg: Settings | None = None,
                    data: MarketData | None = None, minutes: MinuteFills | None = None) -> Played:
    """``minutes``: minute bars a TWAP child fills on (as ``trade backtest --minutes`` gives them)."""
    days = sessions(len(steps))
    cfg = cfg or settings()
    venue = venue_from_config(cfg.venue)
    traded = (data or market()).between(days[0], days[-1])
    played = Played([])
    cerebro, feeds = simulator(traded, cfg.backtest, venue)
    if minutes is not None:
        cerebro.broker.minute_fills = minutes  # as run_backtest wires it
    holder: list[BacktraderBroker] = []

    class Script(bt.Strategy):
        def _today(self) -> pd.Timestamp:
            return pd.Timestamp(bt.num2date(self.datas[0].datetime[0]).date())

        def start(self) -> None:
            adapter = BacktraderBroker(self, feeds, lambda: session_time(self._today()) + OPEN, venue)
            adapter.subscribe(played.updates.append)
            holder.append(adapter)
            self.broker.on_open = self._at_open  # corporate actions at each open, as the runner has it

        def _at_open(self) -> None:
            for action in actions_on(traded, self._today()):
                holder[0].apply_corporate_action(action)

        def notify_order(self, order: bt.Order) -> None:
            holder[0].notify(order)

        def next(self) -> None:
            close = session_time(self._today()) + CLOSE
            holder[0].expire_day_orders(before=close)  # as the runner does at each session
            played.returns.append(steps[len(self) - 1](holder[0], close))

    cerebro.addstrategy(Script)
    cerebro.run()
    return played


@contextmanager
def sandbox_broker(tmp_path: Path, played: Played, cfg: Settings | None = None,
                   data: MarketData | None = None) -> Iterator[tuple[Any, Any]]:
    """A sandbox and an alpaca-py broker connected to it, its updates recorded in ``played``."""
    from brokers.alpaca.broker import AlpacaBroker
    from brokers.alpaca.config import Credentials, Endpoints
    from brokers.sandbox import SandboxServer

    cfg, data = cfg or settings(), data or market()
    with SandboxServer(cfg, data, state=tmp_path / "sandbox.sqlite", port=0, start=FIRST_FILL, cash=CASH) as sb:
        ends = Endpoints(sb.base_url, sb.base_url, sb.stream_url, paper=True)
        broker = AlpacaBroker(Credentials(KEY, SECRET), ends, timeout=5.0, poll_interval=0.2)
        broker.subscribe(played.updates.append)
        broker.start()
        try:
            _until(broker, lambda: broker.feed.stream_connected, "the trade-updates stream to connect")
            yield sb, broker
        finally:
            broker.close()


def play_alpaca(steps: list[Step], tmp_path: Path, cfg: Settings | None = None,
                data: MarketData | None = None) -> Played:
    days = sessions(len(steps))
    played = Played([])
    with sandbox_broker(tmp_path, played, cfg, data) as (sb, broker):
        for j, step in enumerate(steps):
            played.returns.append(step(broker, session_time(days[j]) + CLOSE))
            if j < len(steps) - 1:
                sb.advance()  # one session: the open, the day, the close
                _settle(broker, played)
    return played


def _until(broker: Any, done: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        broker.dispatch(timeout=0.05)


def _settle(broker: Any, played: Played) -> None:
    """Deliver updates until every order's last update agrees with what REST says of it."""

    def agreed() -> bool:
        last = {u.order.client_order_id: u.order.status for u in played.updates}
        return all(
            last.get(o.client_order_id) == o.status
            for o in broker.get_orders("all")
            if o.status not in (OrderStatus.NEW, OrderStatus.ACCEPTED) or o.client_order_id in last
        )

    _until(broker, agreed, "order updates to match the broker's REST view")


VENUES: dict[str, Callable[..., Played]] = {"backtrader": play_backtrader, "alpaca": play_alpaca}

#: Whether a fill reports what it cost (commission and fees). Alpaca's trade updates have no
#: commission field, while the sandbox charges the venue's costs to the cash
#: (docs/paper-trading.md): the one place where the two venues differ, by what the wire can
#: carry. Under the default profile (alpaca_paper) there is nothing to report on either side.
REPORTS_COMMISSION = {"backtrader": True, "alpaca": False}
