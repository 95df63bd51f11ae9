"""Running the service loop against the sandbox in a test: a crash dataset, settings, the loop in
a thread, and waiting on conditions (never on a fixed sleep)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from waiting import GENEROUS, until  # noqa: F401 - re-exported to the ops tests

from brokers.alpaca.connect import connect
from framework.config import load_settings
from framework.config.settings import Settings
from framework.data import load_market_data
from framework.data.market_data import MarketData
from framework.data.sessions import sessions
from framework.live.operations import Operations
from framework.live.runner import PaperRunner

KEY, SECRET = "AKOPSTEST000000001", "OPSTESTSECRET00001"
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
CRASH_DAY = "2019-06-04"


def crash_market(tmp: Path, crash: str = CRASH_DAY) -> MarketData:
    """Random walks on XNYS sessions; on ``crash`` AAA opens at its last close, falls to 60% of it
    intraday and closes at 62% (and trades on from there: a crash, not a bad tick)."""
    days = sessions("XNYS", pd.Timestamp("2018-06-01"), pd.Timestamp("2019-12-31"))
    rng = np.random.default_rng(11)
    frames = []
    at = int(np.flatnonzero(days == pd.Timestamp(crash))[0])
    for k, symbol in enumerate(SYMBOLS):
        close = 50 * (k + 1) * np.exp(np.cumsum(rng.normal(0.0002, 0.01, len(days))))
        open_ = np.concatenate([[close[0]], close[:-1]]) * np.exp(rng.normal(0, 0.002, len(days)))
        if symbol == "AAA":
            open_[at] = close[at - 1]
            scale = np.ones(len(days))
            scale[at:] = 0.62 * close[at - 1] / close[at]
            close, open_[at + 1:] = close * scale, open_[at + 1:] * scale[at + 1:]
        high = np.maximum(open_, close) * 1.002
        low = np.minimum(open_, close) * 0.998
        if symbol == "AAA":
            high[at], low[at] = open_[at] * 1.002, open_[at] * 0.60
        frames.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "symbol": symbol, "open": open_.round(2),
                                    "high": high.round(2), "low": low.round(2), "close": close.round(2),
                                    "volume": rng.integers(500_000, 2_000_000, len(days))}))
    prices = tmp / "crash.csv"
    pd.concat(frames, ignore_index=True).to_csv(prices, index=False)
    sectors = tmp / "sectors.csv"
    sectors.write_text("symbol,sector\n" + "".join(f"{s},Sector {s}\n" for s in SYMBOLS))
    return load_market_data(prices, sectors)


def settings_file(tmp: Path, extra: str = "", market: Path | None = None, paper: str = "") -> Path:
    """``extra``: whole sections; ``paper``: more ``paper:`` keys (indented two spaces)."""
    data = f"data:\n  prices: {market / 'crash.csv'}\n  sectors: {market / 'sectors.csv'}\n" if market else ""
    cfg = tmp / "ops.yaml"
    cfg.write_text("strategy:\n  name: momentum\nsignals:\n  rebalance_every: 1\n" + data +
                   f"paper:\n  journal: {tmp / 'paper' / 'journal.sqlite'}\n  ack_deadline_seconds: 10\n" + paper
                   + extra)
    return cfg


def env_of(server) -> dict[str, str]:
    return {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": server.base_url,
            "APCA_API_DATA_URL": server.base_url, "APCA_API_STREAM_URL": server.stream_url}


@contextlib.contextmanager
def running(settings: Settings, server, *, cycles: bool, said: list[str] | None = None,
            fresh: Callable[[], contextlib.AbstractContextManager[PaperRunner]] | None = None,
            alerting=None, recheck: float = 0.2) -> Iterator[Operations]:
    """The service loop in a thread on its own connection; stopped (and joined) on exit."""
    conn = connect(settings, env_of(server), stream=False)
    runner = PaperRunner(settings, conn.broker, conn.bars)
    stop = threading.Event()
    ops = Operations(runner, alerting, cycles=cycles, fresh=fresh, say=(said.append if said is not None else print),
                     report=lambda _r: None, stop=stop, recheck=recheck)
    failure: list[BaseException] = []

    def loop() -> None:
        try:
            ops.run()
        except BaseException as e:  # surfaced by the test, not lost in the thread
            failure.append(e)

    thread = threading.Thread(target=loop, name="ops-loop", daemon=True)
    thread.start()
    try:
        yield ops
    finally:
        stop.set()
        thread.join(timeout=60)
        runner.close()
        conn.close()
    if failure:
        raise failure[0]


def load(cfg: Path) -> Settings:
    return load_settings([cfg])
