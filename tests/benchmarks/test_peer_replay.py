"""The peers' replays (benchmarks/peer_replay.py) on a hand-made market and plan whose fills
and final value are worked out by hand: next-open fills, 5 bps against us both ways.

The benchmark asserts each peer equal to our run before it prints a time; these tests pin that
each peer's model is the one the docstrings state, on numbers small enough to check by eye.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from brokers.backtrader.feeds import datenums
from framework.data import MarketData

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import peer_replay
from plain_replay import CREDIT_PER_CASH, Fill, Trades, check_equal

S = 0.0005
CASH = 1000.0
DATES = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"])


def _market() -> MarketData:
    opens = pd.DataFrame({"AAA": [10.0, 11.0, 12.0, 13.0, 14.0], "BBB": [20.0, 21.0, 22.0, 23.0, 24.0]}, index=DATES)
    frames = {"open": opens, "close": opens + 0.5, "high": opens + 1.0, "low": opens - 1.0, "volume": opens * 0 + 1e6}
    return MarketData(**frames, sectors=pd.Series({"AAA": "x", "BBB": "y"}))


def _trades() -> Trades:
    """Buy 10 AAA (decided 01-03), buy 5 BBB (01-06), sell 4 AAA (01-07); each fills the next open."""
    decided = [("2020-01-03", "AAA", 10.0), ("2020-01-06", "BBB", 5.0), ("2020-01-07", "AAA", -4.0)]
    fills = [
        Fill(DATES[2], "AAA", 10.0, 12.0 * (1 + S)),
        Fill(DATES[3], "BBB", 5.0, 23.0 * (1 + S)),
        Fill(DATES[4], "AAA", -4.0, 14.0 * (1 - S)),
    ]
    plan = {float(datenums(pd.DatetimeIndex([day]))[0]): [(symbol, qty, False)] for day, symbol, qty in decided}
    cash = CASH - sum(f.qty * f.price for f in fills)
    return Trades(plan, fills, cash + 6 * 14.5 + 5 * 24.5, len(fills))


def test_the_plan_reads_back_as_decision_dates() -> None:
    plan = peer_replay.plan_frame(_trades())
    assert list(plan.itertuples(index=False, name=None)) == [
        (DATES[1], "AAA", 10.0), (DATES[2], "BBB", 5.0), (DATES[3], "AAA", -4.0)
    ]


def test_a_market_on_close_order_stops_the_replay() -> None:
    trades = _trades()
    key = next(iter(trades.plan))
    moc = Trades({key: [("AAA", 10.0, True)]}, trades.fills, trades.final_value, 1)
    with pytest.raises(SystemExit, match="market-on-close"):
        peer_replay.plan_frame(moc)


def test_a_position_held_into_a_split_stops_the_replay() -> None:
    market = _market()
    splits = pd.DataFrame(float("nan"), index=DATES, columns=market.symbols)
    peer_replay.check_no_split_held(_trades(), MarketData(**{**market.__dict__, "splits": splits.copy()}))
    splits.loc[DATES[0], "AAA"] = 2.0  # before the first fill: nothing held, fine
    peer_replay.check_no_split_held(_trades(), MarketData(**{**market.__dict__, "splits": splits.copy()}))
    splits.loc[DATES[4], "AAA"] = 2.0  # 10 AAA held on the ex-date (the sale fills that day, after it)
    with pytest.raises(SystemExit, match="AAA splits on 2020-01-08 with 10 held"):
        peer_replay.check_no_split_held(_trades(), MarketData(**{**market.__dict__, "splits": splits}))


def test_backtesting_py_makes_the_hand_worked_fills_and_value() -> None:
    pytest.importorskip("backtesting")
    market, trades = _market(), _trades()
    value, fills = peer_replay._backtesting_py(peer_replay.bars_frame(market), peer_replay.plan_frame(trades), CASH, S)
    assert value == pytest.approx(trades.final_value, rel=1e-12)
    check_equal(trades, fills, value, "backtesting.py")  # exits on any difference


def test_backtesting_py_cannot_place_an_order_on_its_first_bar() -> None:
    pytest.importorskip("backtesting")
    first = Trades({float(datenums(DATES[:1])[0]): [("AAA", 10.0, False)]}, [Fill(DATES[1], "AAA", 10.0, 11.0)], 0.0, 1)
    with pytest.raises(SystemExit, match="an order of AAA on its first bar"):
        peer_replay._backtesting_py(peer_replay.bars_frame(_market()), peer_replay.plan_frame(first), CASH, S)


def test_vectorbt_makes_the_hand_worked_fills_and_value() -> None:
    pytest.importorskip("vectorbt")
    market, trades = _market(), _trades()
    value, fills = peer_replay._vectorbt(market, trades, CASH, S)
    assert value == pytest.approx(trades.final_value, rel=1e-12)
    check_equal(trades, fills, value, "vectorbt")


def test_nautilus_makes_the_hand_worked_fills_and_value(tmp_path: Path) -> None:
    if not peer_replay.PEERS_PYTHON.exists():
        pytest.skip("no .venv-peers (make bench-peers builds it)")
    market, trades = _market(), _trades()
    peer_replay.plan_frame(trades).to_parquet(tmp_path / "plan.parquet")
    peer_replay.bars_frame(market).to_parquet(tmp_path / "bars.parquet")
    (tmp_path / "meta.json").write_text(json.dumps({"cash": CASH, "slippage": S, "credit_per_cash": CREDIT_PER_CASH}))
    out = peer_replay._nautilus(peer_replay.PEERS_PYTHON, tmp_path)
    assert out["final_value"] == pytest.approx(trades.final_value, rel=1e-12)
    check_equal(trades, peer_replay._nautilus_fills(out), out["final_value"], "NautilusTrader")


def _best(**changes: float) -> dict[str, float]:
    best = {peer_replay.OURS: 1.2, peer_replay.IDLE: 0.3, peer_replay.LEAN: 0.8, peer_replay.LEAN_IDLE: 0.2,
            peer_replay.BT_ORDERS: 0.5, peer_replay.BT_IDLE: 0.2, "backtesting.py": 1.0}
    return {**best, **{getattr(peer_replay, k): v for k, v in changes.items()}}


def test_the_floor_says_what_2x_leaves_each_path_per_order() -> None:
    # 2x over 1.0 s allows 0.5 s. Backtrader: 0.3 s with no orders and (0.5 - 0.2) s / 1,000 =
    # 300 us an order of its own leave 200 - 300 < 0 us: out of reach. Lean: (0.5 - 0.2) s / 1,000
    # leaves 300 us an order, and it spends (0.8 - 0.2) s / 1,000 = 600 us.
    header, backtrader, lean = peer_replay.floor_lines(_best(), 1000)
    assert "allows 0.500 s" in header
    assert "backtrader's own order handling 300 us" in backtrader
    assert "leaves  -100 us" in backtrader and "(today  600 us)" in backtrader and "out of reach" in backtrader
    assert "leaves   300 us" in lean and "(today  600 us)" in lean and lean.endswith("NOT met")


def test_the_floor_says_met_when_a_path_spends_within_what_is_left() -> None:
    _, backtrader, lean = peer_replay.floor_lines(_best(OURS=0.45, IDLE=0.1, BT_ORDERS=0.3, LEAN=0.4), 1000)
    # backtrader: (0.5 - 0.1) s leaves 400 us, less 100 us of its own: 300; it spends 350 - 100 = 250
    assert "leaves   300 us" in backtrader and "(today  250 us)" in backtrader and backtrader.endswith(": met")
    assert lean.endswith(": met")  # 200 us spent of 300
