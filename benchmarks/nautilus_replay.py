"""NautilusTrader replaying our filled orders: the child process of ``benchmarks/peer_replay.py``.

Runs in ``.venv-peers`` (``make bench-peers`` builds it), never in the project's venv:
nautilus_trader pins pandas < 3. So it imports nothing of ours; its input is a folder that
``peer_replay.py`` wrote: ``bars.parquet`` (date, symbol, open, high, low, close, volume),
``plan.parquet`` (decided, symbol, qty: each filled order of our run, on the session it was
decided at the close of) and ``meta.json`` (cash, slippage).

The model, as close to ours as NautilusTrader expresses it: an ``Equity`` per symbol on one
venue, a cash account with ``plain_replay``'s credit line (the venue lends on margin; its risk
engine checks the free balance even where the account may borrow), daily ``Bar``s stamped at
the close (16:00 New York) for the strategy, and at each session's open (09:30) a ``QuoteTick``
bid = open × (1 - slippage), ask = open × (1 + slippage). A market order decided on a bar is
submitted on the symbol's next quote: it fills at the next open, 5 bps against us, as ours.
With bars alone a market order fills at the decision bar's close — NautilusTrader's documented
behaviour; its maintainers advise a tick at the open for next-open fills. No commission.
Prices carry 9 decimals and USD is registered with 9 (NautilusTrader's default ledger rounds
cash to the cent at every fill). The final value is its account's cash plus its open positions
at the last close. Logging at ERROR (less work than its default). Splits are not modelled: the
harness checks that no position is held across one.

Prints one JSON object: the final value, the fills, and the seconds (CPU and wall) of the whole
replay from the frames in memory (instruments, bars and quotes built, engine run, value read)
and of ``engine.run()`` alone.

    .venv-peers/bin/python benchmarks/nautilus_replay.py FOLDER
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import nautilus_trader
import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import AccountType, CurrencyType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Currency, Money, Price, Quantity
from nautilus_trader.persistence.wranglers import BarDataWrangler, QuoteTickDataWrangler
from nautilus_trader.trading.strategy import Strategy

NEW_YORK = "America/New_York"
PRECISION = 9
USD = Currency("USD", PRECISION, 840, "United States dollar", CurrencyType.FIAT)
Currency.register(USD, overwrite=True)  # cash to 1e-9, as ours: not rounded to the cent a fill
VENUE = Venue("XNYS")
DEPTH = 1e12  # the quote's size: it never limits a fill (ours has no volume cap here)


class Replay(Strategy):
    """Holds each bar's planned orders and submits them on the symbol's next quote (the open)."""

    def __init__(self, plan: dict[tuple[int, str], list[float]], bar_types: list[BarType]) -> None:
        super().__init__()
        self._plan = plan
        self._bar_types = bar_types
        self._pending: dict[InstrumentId, list[float]] = {}

    def on_start(self) -> None:
        for bar_type in self._bar_types:
            self.subscribe_bars(bar_type)
            self.subscribe_quote_ticks(bar_type.instrument_id)

    def on_bar(self, bar: Bar) -> None:
        instrument = bar.bar_type.instrument_id
        planned = self._plan.get((bar.ts_event, instrument.symbol.value))
        if planned:
            self._pending.setdefault(instrument, []).extend(planned)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        for qty in self._pending.pop(tick.instrument_id, ()):
            side = OrderSide.BUY if qty > 0 else OrderSide.SELL
            self.submit_order(self.order_factory.market(tick.instrument_id, side, Quantity(abs(qty), 0)))


def _equity(symbol: str) -> Equity:
    return Equity(
        instrument_id=InstrumentId(Symbol(symbol), VENUE),
        raw_symbol=Symbol(symbol),
        currency=USD,
        price_precision=PRECISION,
        price_increment=Price(10.0**-PRECISION, PRECISION),
        lot_size=Quantity.from_int(1),
        ts_event=0,
        ts_init=0,
    )


def _local(dates: pd.Series | pd.DatetimeIndex, hours: float) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(dates).tz_localize(NEW_YORK) + pd.Timedelta(hours=hours)


def replay(
    bars: pd.DataFrame, plan: pd.DataFrame, cash: float, slippage: float, credit_per_cash: float
) -> tuple[BacktestEngine, float, dict]:
    """The whole replay; returns the engine (its cache holds the orders), the final value and
    the seconds of ``engine.run()``."""
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    credit = cash * credit_per_cash
    engine.add_venue(VENUE, OmsType.NETTING, AccountType.CASH, [Money(cash + credit, USD)], base_currency=USD)
    bar_types, last_close, streams = [], {}, []
    dates = pd.DatetimeIndex(bars["date"].unique())
    closes_at = dict(zip(dates, (int(t) for t in _local(dates, 16.0).asi8), strict=True))
    for symbol, frame in bars.groupby("symbol", sort=True):
        instrument = _equity(symbol)
        engine.add_instrument(instrument)
        bar_type = BarType.from_str(f"{symbol}.{VENUE}-1-DAY-LAST-EXTERNAL")
        bar_types.append(bar_type)
        ohlcv = frame[["open", "high", "low", "close", "volume"]]
        streams.append(BarDataWrangler(bar_type, instrument).process(ohlcv.set_index(_local(frame["date"], 16.0))))
        opens = frame["open"].to_numpy()
        quotes = pd.DataFrame(
            {"bid_price": opens * (1 - slippage), "ask_price": opens * (1 + slippage)}, index=_local(frame["date"], 9.5)
        )
        streams.append(QuoteTickDataWrangler(instrument).process(quotes, default_volume=DEPTH))
        last_close[instrument.id] = float(frame["close"].iloc[-1])
    for i, stream in enumerate(streams):  # the whole stream sorted once, at the last one, not 88 times
        engine.add_data(stream, sort=i == len(streams) - 1)
    by_bar: dict[tuple[int, str], list[float]] = defaultdict(list)
    for decided, symbol, qty in plan[["decided", "symbol", "qty"]].itertuples(index=False):
        by_bar[(closes_at[decided], symbol)].append(float(qty))
    engine.add_strategy(Replay(dict(by_bar), bar_types))
    t0, c0 = time.perf_counter(), time.process_time()
    engine.run()
    run = {"run_wall": time.perf_counter() - t0, "run_cpu": time.process_time() - c0}
    held = sum(float(p.signed_qty) * last_close[p.instrument_id] for p in engine.cache.positions_open())
    value = float(engine.portfolio.account(VENUE).balance_total(USD)) - credit + held
    return engine, value, run


def fills_of(engine: BacktestEngine) -> list[list]:
    """Each filled order: [day (New York), symbol, signed qty, average price]."""
    out = []
    for order in engine.cache.orders():
        if order.filled_qty:
            day = pd.Timestamp(order.ts_last, tz="UTC").tz_convert(NEW_YORK).strftime("%Y-%m-%d")
            sign = 1.0 if order.side == OrderSide.BUY else -1.0
            out.append([day, order.instrument_id.symbol.value, sign * float(order.filled_qty), float(order.avg_px)])
    return out


def main() -> None:
    folder = Path(sys.argv[1])
    bars = pd.read_parquet(folder / "bars.parquet")
    plan = pd.read_parquet(folder / "plan.parquet")
    meta = json.loads((folder / "meta.json").read_text())
    t0, c0 = time.perf_counter(), time.process_time()
    engine, value, run = replay(bars, plan, meta["cash"], meta["slippage"], meta["credit_per_cash"])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    fills = fills_of(engine)
    engine.dispose()
    json.dump({"final_value": value, "fills": fills, "wall": wall, "cpu": cpu, **run,
               "version": nautilus_trader.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
