"""`trade backtest --minutes FILE` with `orders.style: twap` (issue 29): the children filled on the
cached minute bars (drawn by the sandbox's own minute model from the embedded daily bars, written
as `trade data fetch --timeframe 1Min` writes its cache); the refusals one line, exit 2, no run
folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_invoke import trade_here
from market_once import configured

from brokers.sandbox.minutes import session_minutes
from framework.config import load_settings
from framework.data.cache import MINUTE, Cache, write_cache
from framework.styles import TWAP_CHILD

SYMBOLS = "AAPL,MSFT"
WINDOW = ["--symbols", SYMBOLS, "--start", "2019-03-04", "--end", "2019-03-15"]
TWAP = "strategy:\n  name: momentum\norders:\n  style: twap\n  twap_slices: 3\n  twap_window_minutes: 15\n"


def minute_cache(path: Path, first: str, last: str) -> Path:
    market = configured(load_settings([], {}, validate_strategy=False).data)
    days = market.dates[(market.dates >= pd.Timestamp(first)) & (market.dates <= pd.Timestamp(last))]
    frames = []
    for day in days:
        for symbol in SYMBOLS.split(","):
            bar = [float(getattr(market, f).at[day, symbol]) for f in ("open", "high", "low", "close", "volume")]
            frame = session_minutes(symbol, day, *bar).rename_axis("time").reset_index()
            frame.insert(1, "symbol", symbol)
            frames.append(frame)
    covered = {s: (days[0].date(), days[-1].date()) for s in SYMBOLS.split(",")}
    write_cache(path, Cache(pd.concat(frames, ignore_index=True), covered, "sip", MINUTE))
    return path


def test_a_twap_backtest_on_cached_minutes_journals_and_fills_the_children(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "twap.yaml").write_text(TWAP)
    minutes = minute_cache(tmp_path / "minutes.parquet", "2019-03-04", "2019-03-15")
    out = tmp_path / "run"
    result = trade_here(["backtest", *WINDOW, "--config", str(tmp_path / "twap.yaml"), "--minutes", str(minutes),
                         "--out", str(out), "--no-report"], capsys, monkeypatch, tmp_path)
    assert result.returncode == 0, result.stderr
    orders, fills = pd.read_csv(out / "orders.csv"), pd.read_csv(out / "fills.csv")
    assert len(orders) and all(TWAP_CHILD.search(i) for i in orders["client_order_id"])
    assert len(orders) % 3 == 0  # three children a parent
    times = pd.to_datetime(fills["time"], utc=True, format="ISO8601").dt.tz_convert("America/New_York")
    assert len(fills) and ((times.dt.hour == 9) & (times.dt.minute >= 30)).all()  # inside the 15-minute window
    assert (times.dt.minute < 45).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["minutes"] == str(minutes) and summary["config"]["orders"]["style"] == "twap"


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (None, "orders.style twap: the backtest trades daily bars, which hold no minutes"),
        ("missing.parquet", "--minutes missing.parquet: file not found"),
        ("short.parquet", "no minute bars of"),
    ],
)
def test_twap_without_the_minutes_it_needs_is_one_line_exit_2(tmp_path, capsys, monkeypatch, minutes, message) -> None:
    (tmp_path / "twap.yaml").write_text(TWAP)
    minute_cache(tmp_path / "short.parquet", "2019-03-11", "2019-03-15")  # the first week missing
    out = tmp_path / "run"
    given = ["--minutes", minutes] if minutes else []
    result = trade_here(["backtest", *WINDOW, "--config", str(tmp_path / "twap.yaml"), *given, "--out", str(out)],
                        capsys, monkeypatch, tmp_path)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert errors == result.stderr.strip().splitlines()[-1:] and message in errors[0], result.stderr
    if minutes != "short.parquet":  # refused before the data is read: the error is all there is
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists()
