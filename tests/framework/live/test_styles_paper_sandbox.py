"""Every daily execution style through the paper path (issue 29): a real paper cycle (runner,
engine, journal, alpaca-py) against the loopback sandbox, before the open, then the session
played out. What reaches the venue is the style's type and time in force; what fills, fills at
the style's price, worked out here from the session's daily bar by hand: the official open or
close unslipped for an auction order, the slipped open for a market order, the open or the limit
for a limit; an auction limit the auction price misses is canceled. (TWAP, which needs the
service loop: tests/framework/live/test_twap_paper_sandbox.py.)"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
import requests
from ops_helpers import crash_market, env_of, settings_file

from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from framework.config import load_settings
from framework.enums import OrderStatus
from framework.journal import Journal
from framework.live.runner import PaperRunner

SESSION = "2019-03-12"
SLIP = 5e-4  # the default venue profile (alpaca_paper): 5 bps on a market order
OFFSET = 10e-4  # orders.limit_offset_bps and orders.collar_bps: 10 each by default

#: style -> (type, time in force) at the venue
SENT = {
    "market": ("market", "day"),
    "limit": ("limit", "day"),
    "market_on_open": ("market", "opg"),
    "limit_on_open": ("limit", "opg"),
    "market_on_close": ("market", "cls"),
    "limit_on_close": ("limit", "cls"),
    "marketable_limit": ("limit", "day"),
}


def _venue_orders(sb: SandboxServer) -> list[dict]:
    env = env_of(sb)
    return requests.get(f"{sb.base_url}/v2/orders", params={"status": "all", "limit": 500}, timeout=30,
                        headers={"APCA-API-KEY-ID": env["APCA_API_KEY_ID"],
                                 "APCA-API-SECRET-KEY": env["APCA_API_SECRET_KEY"]}).json()


def _session(tmp_path, extra: str, cycles: int = 1) -> tuple[list[dict], Journal, object]:
    """``cycles`` paper cycles, each before an open, the sandbox playing each session out."""
    market = crash_market(tmp_path)
    settings = load_settings([settings_file(tmp_path, extra, market=tmp_path)])
    with SandboxServer(settings, market, state=tmp_path / "sb.sqlite", port=0, start=SESSION,
                       cash=settings.backtest.cash) as sb:
        conn = connect(settings, env_of(sb), stream=False)
        runner = PaperRunner(settings, conn.broker, conn.bars)
        try:
            for k in range(cycles):
                runner.cycle()
                if k + 1 < cycles:
                    sb.advance("close")
            if cycles == 1:
                sb.advance("close")
                runner.sync_orders(runner.ensure_engine())
            orders = _venue_orders(sb)
        finally:
            runner.close()
            conn.close()
    return orders, Journal(settings.paper.journal), market


@pytest.mark.parametrize("style", sorted(SENT))
def test_each_style_goes_out_as_its_order_and_fills_at_its_price(style, tmp_path) -> None:
    orders, journal, market = _session(tmp_path, f"orders:\n  style: {style}\n")
    ours = [o for o in orders if o["client_order_id"].startswith("momentum-20190311")]
    assert ours and all((o["type"], o["time_in_force"]) == SENT[style] for o in ours)
    day = pd.Timestamp(SESSION)
    fills = {f.client_order_id: f for f in journal.fills()}
    decided = {o.client_order_id: o for o in journal.orders()}
    for o in ours:
        symbol, side = o["symbol"], o["side"]
        assert side == "buy"  # a fresh account: the first decision only buys
        bar = {f: float(getattr(market, f).at[day, symbol]) for f in ("open", "high", "low", "close")}
        limit = float(o["limit_price"]) if o["limit_price"] else None
        if limit is not None:  # the decision close plus the offset (or collar), to the cent
            close = float(decided[o["client_order_id"]].decision_price)
            assert limit == pytest.approx(round(close * (1 + OFFSET), 2), abs=1e-9)
        price = float(fills[o["client_order_id"]].price) if o["client_order_id"] in fills else None
        if style == "market":
            expected = bar["open"] * (1 + SLIP)
        elif style in ("market_on_open", "market_on_close"):
            expected = bar["open" if style == "market_on_open" else "close"]  # official, unslipped
        elif style in ("limit_on_open", "limit_on_close"):
            official = bar["open" if style == "limit_on_open" else "close"]
            expected = official if official <= limit else None  # missed by the auction: canceled
        else:  # limit, marketable_limit: the open inside the limit, else the limit if the day reaches it
            expected = bar["open"] if bar["open"] <= limit else (limit if bar["low"] <= limit else None)
        if expected is None:
            assert price is None and o["status"] in ("canceled", "expired")
            if style in ("limit_on_open", "limit_on_close"):
                assert o["status"] == "canceled"
        else:
            assert price == pytest.approx(expected, rel=1e-9) and o["status"] == "filled"
    journal.close()


def test_protective_stops_go_out_as_stop_limits_with_their_offset(tmp_path) -> None:
    orders, journal, _ = _session(
        tmp_path, "orders:\n  style: market_on_open\nrisk:\n  stop_loss: 0.05\n  stop_limit_offset_bps: 50\n", cycles=2)
    stops = [o for o in orders if o["type"] == "stop_limit"]
    assert stops and all(o["side"] == "sell" for o in stops)
    for o in stops:
        stop, limit = Decimal(o["stop_price"]), Decimal(o["limit_price"])
        assert limit == (stop * Decimal("0.995")).quantize(Decimal("0.01"))  # 50 bps below the stop
        assert o["status"] in ("new", "accepted")  # resting: not touched yet
    held = {o.symbol for o in journal.orders() if o.status is OrderStatus.FILLED}
    assert {o["symbol"] for o in stops} == held
    journal.close()
