"""Random sequences of sessions against the sandbox — bars with gaps, halts and resumes, restarts,
partial fills — through the real paper runner and real alpaca-py. Whatever happens:

- never an order while halted that adds risk;
- never a position held into a session without its configured protection (one stop covering what
  is not already being sold);
- never two protective orders for one position;
- never a crash on a gap.

CI runs a fixed handful of examples (derandomised, so a red CI is reproducible); set
``TRADE_PROPERTY_EXAMPLES`` to explore more.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest
from alpaca_sandbox_helpers import KEY, SECRET, environment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_once import embedded

from brokers.alpaca.connect import connect
from brokers.sandbox import SandboxServer
from framework.config.loader import load_settings
from framework.data import MarketData
from framework.journal import Journal
from framework.live.runner import PaperRunner

SYMBOLS = ["AAPL", "MSFT", "XOM", "JPM"]
FIRST, LAST = "2019-03-01", "2019-05-31"
EXAMPLES = int(os.environ.get("TRADE_PROPERTY_EXAMPLES", "6"))
STEPS = st.lists(st.sampled_from(["session", "session", "session", "halt", "resume", "restart", "partial"]),
                 min_size=4, max_size=10)


def gappy_market(gaps: list[tuple[int, int]]) -> MarketData:
    """The embedded bars of four symbols with whole bars missing (a trading halt, a data gap)."""
    market = embedded().select(SYMBOLS).between(FIRST, LAST)
    frames = {f: getattr(market, f).copy() for f in ("open", "high", "low", "close", "volume")}
    for day, col in gaps:
        for frame in frames.values():
            frame.iloc[20 + day % (len(frame) - 21), col % len(SYMBOLS)] = np.nan
    return MarketData(**frames, sectors=market.sectors, source="gappy", fingerprint=f"gappy-{hash(tuple(gaps))}")


def _open_orders(client: TradingClient) -> list:
    return client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500))


def _check_protection(client: TradingClient) -> None:
    positions = {p.symbol: abs(Decimal(p.qty)) for p in client.get_all_positions()}
    guards: dict[str, list] = defaultdict(list)
    selling: dict[str, Decimal] = defaultdict(Decimal)
    for o in _open_orders(client):
        remaining = Decimal(o.qty) - Decimal(o.filled_qty)
        if o.type.value == "stop":
            guards[o.symbol].append(remaining)
        else:
            selling[o.symbol] += remaining
    for symbol, stops in guards.items():
        assert len(stops) <= 1, f"two protective orders for {symbol}"
    for symbol, qty in positions.items():
        covered = sum(guards.get(symbol, [])) + selling[symbol]
        assert covered >= qty, f"{symbol}: {qty} held into the session, {covered} protected or being sold"


def _check_halted_orders(client: TradingClient, before: dict[str, Decimal], sent: list) -> None:
    for o in sent:
        if o.type.value == "stop":
            continue  # protective: never adds risk
        held = before.get(o.symbol, Decimal(0))
        signed = Decimal(o.qty) * (1 if o.side.value == "buy" else -1)
        after = held + signed
        assert abs(after) <= abs(held) and after * held >= 0, f"while halted: {o.side.value} {o.qty} {o.symbol}"


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 6,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=STEPS, gaps=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 3)), max_size=6),
       seed=st.integers(0, 1000))
def test_halts_stops_gaps_restarts_and_partial_fills_keep_the_account_safe(tmp_path_factory, steps, gaps,
                                                                           seed) -> None:
    tmp = tmp_path_factory.mktemp("property")
    cfg = tmp / "paper.yaml"
    cfg.write_text(
        f"strategy:\n  name: paper_property_plugin:HashSignals\n  params: {{seed: {seed}}}\n"
        "signals:\n  rebalance_every: 1\n"
        "risk:\n  stop_loss: 0.04\n  daily_loss_limit: 0.01\n  max_position_weight: 0.3\n"
        "  max_sector_exposure: 1.0\n"
        f"data:\n  symbols: [{', '.join(SYMBOLS)}]\n"
        f"paper:\n  journal: {tmp / 'paper.sqlite'}\n  ack_deadline_seconds: 10\n  history_bars: 30\n"
    )
    settings_ = load_settings([cfg])
    market = gappy_market(gaps)
    with SandboxServer(settings_, market, state=tmp / "sandbox.sqlite", port=0, start="2019-04-01") as sb:
        env = environment(sb)
        client = TradingClient(KEY, SECRET, paper=True, url_override=sb.base_url)
        conn = connect(settings_, env, stream=False)
        runner = PaperRunner(settings_, conn.broker, conn.bars, echo=lambda _s: None)
        try:
            for step in steps:
                if step == "session":
                    before = {p.symbol: Decimal(p.qty) for p in client.get_all_positions()}
                    known = {o.id for o in client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL,
                                                                              limit=500))}
                    result = runner.cycle()  # never a crash, gaps included
                    sent = [o for o in client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))
                            if o.id not in known]
                    if result.halted:
                        _check_halted_orders(client, before, sent)
                    _check_protection(client)
                    sb.advance()
                elif step in ("halt", "resume"):
                    journal = Journal(tmp / "paper.sqlite")  # another process: `trade halt` / `trade resume`
                    journal.set_halt(step == "halt", f"property {step}", datetime.now(UTC))
                    journal.close()
                elif step == "restart":
                    runner.close()
                    conn.close()
                    conn = connect(settings_, env, stream=False)
                    runner = PaperRunner(settings_, conn.broker, conn.bars, echo=lambda _s: None)
                else:
                    sb.set_faults([{"kind": "partial", "count": 3}])
        finally:
            runner.close()
            conn.close()
