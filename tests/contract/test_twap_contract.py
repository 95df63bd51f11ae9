"""TWAP over both venues (issue 29): one parent sliced into children (framework.twap), each child
sent at its minute and worked on the session's minute bars, the same minutes on both: the ones
the sandbox serves for the contract's session (:func:`brokers.sandbox.minutes.session_minutes`),
given to the backtest as ``trade backtest --minutes`` gives them.

- ``backtrader``: the children sent at the decision, the simulator filling each on its minutes;
- ``alpaca``: alpaca-py against the sandbox, its clock pinned minute by minute (the intraday
  pin); each child sent at its minute, what it left canceled when its turn ends, as the paper
  service schedules it (framework.twap.plan_children; here the test does the sending).

The contract: each child fills on its own minutes only, never above the cap of a minute's
volume, at the minute's open slipped by the venue; the children's fills add to at most the
parent; a child the cap leaves short is canceled at its turn's end. The expected fills are
worked out here from the bars."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import requests
from venues import CASH, FIRST_FILL, Played, _settle, market, play_backtrader, sandbox_broker, sessions

from brokers.backtrader.minute_fills import MinuteFills
from brokers.sandbox.minutes import session_minutes
from framework.config import Settings, load_settings
from framework.enums import OrderEvent, OrderSide, OrderStatus
from framework.orders import Order
from framework.twap import slice_parent, window_start
from framework.venue import venue_from_config

SYMBOL, SLICES, WINDOW, CAP = "AAPL", 3, 15, 0.0001  # a child's turn: 5 minutes of ~14 shares of room each
PARENT = Decimal(240)  # 80 a child: more than a turn's room, so each child is canceled short
STEP = WINDOW // SLICES


def _settings() -> Settings:
    """The shipped defaults, the participation cap the sandbox's volume cap too (one cap on both)."""
    return load_settings([], {"backtest": {"cash": CASH, "volume_cap": CAP},
                              "orders": {"participation_cap": CAP, "twap_window_minutes": WINDOW,
                                         "twap_slices": SLICES}}, validate_strategy=False)


def _minutes() -> pd.DataFrame:
    day, data = pd.Timestamp(FIRST_FILL), market()
    return session_minutes(SYMBOL, day, *(float(getattr(data, f).at[day, SYMBOL])
                                          for f in ("open", "high", "low", "close", "volume")))


def _children(now: datetime, calendar: str) -> list[Order]:
    parent = Order(client_order_id="contract-twap", symbol=SYMBOL, side=OrderSide.BUY, qty=PARENT, created_at=now)
    return slice_parent(parent, slices=SLICES, window_minutes=WINDOW, start=window_start(now, calendar))


def play_backtest(tmp_path: Path) -> tuple[Played, list[Order]]:
    cfg = _settings()
    minutes = _minutes()
    fills = MinuteFills(lambda symbol: minutes, participation_cap=CAP, window_minutes=WINDOW,
                        venue=venue_from_config(cfg.venue), source="contract")
    sent: list[Order] = []

    def decide(b, now):
        sent.extend(_children(now, cfg.data.calendar))
        for child in sent:
            b.submit_order(child)

    return play_backtrader([decide, lambda b, now: None], tmp_path, cfg, minutes=fills), sent


def play_sandbox(tmp_path: Path) -> tuple[Played, list[Order]]:
    cfg, played = _settings(), Played([])
    decided = sessions(1)[0] + timedelta(hours=16)
    children = _children(pd.Timestamp(decided).tz_localize("America/New_York").to_pydatetime(), cfg.data.calendar)
    with sandbox_broker(tmp_path, played, cfg, market()) as (sb, broker):
        sb.advance("open")
        working: Order | None = None
        for minute in range(WINDOW + 1):
            requests.post(f"{sb.base_url}/_sandbox/clock/intraday", json={"progress": minute / 390}, timeout=30)
            if minute % STEP == 0:  # a turn ends (the last: the window's end), the next child goes
                if working is not None:
                    now = broker.get_order_by_client_id(working.client_order_id)
                    if now is not None and now.status not in (OrderStatus.FILLED, OrderStatus.CANCELED):
                        broker.cancel_order(now.broker_order_id)
                k = minute // STEP
                working = broker.submit_order(children[k]) if k < SLICES else None
            _settle(broker, played)
        sb.advance("close")
        _settle(broker, played)
    return played, children


VENUES = {"backtrader": play_backtest, "alpaca": play_sandbox}


@pytest.fixture(scope="module", params=sorted(VENUES))
def twap(request, tmp_path_factory) -> tuple[str, Played, list[Order]]:
    played, children = VENUES[request.param](tmp_path_factory.mktemp(f"twap_{request.param}"))
    return request.param, played, children


def _expected(children: list[Order]) -> list[tuple[str, pd.Timestamp, float, float]]:
    """By hand from the bars: from each child's minute to the next child's, the slipped open, at
    most floor(cap × the minute's volume), until the child is done."""
    minutes, venue = _minutes(), venue_from_config(_settings().venue)
    out = []
    for child in children:
        left = float(child.qty)
        start = pd.Timestamp(child.created_at)
        for when, bar in minutes[(minutes.index >= start) & (minutes.index < start + pd.Timedelta(minutes=STEP))].iterrows():
            take = min(left, math.floor(bar["volume"] * CAP))
            if take > 0:
                out.append((child.client_order_id, when, take, venue.slipped_price(float(bar["open"]), OrderSide.BUY)))
                left -= take
    return out


def test_each_child_fills_on_its_own_minutes_under_the_cap_at_the_slipped_open(twap) -> None:
    _, played, children = twap
    fills = [u.fill for u in played.updates if u.fill is not None]
    got = [(f.client_order_id, pd.Timestamp(f.timestamp).tz_convert("UTC"), float(f.qty), float(f.price))
           for f in fills]
    expected = _expected(children)
    assert len(expected) >= 2 * SLICES  # the cap makes each child take several minutes
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    assert [g[3] for g in got] == pytest.approx([e[3] for e in expected], abs=1e-6)
    minutes = _minutes()
    for _, when, qty, _ in got:
        assert qty <= math.floor(minutes.at[when, "volume"] * CAP)
    assert sum(q for *_, q, _ in got) <= float(PARENT)


def test_a_child_the_cap_leaves_short_is_canceled_at_its_turns_end(twap) -> None:
    _, played, children = twap
    ends = [c.created_at for c in children[1:]] + [children[0].created_at + timedelta(minutes=WINDOW)]
    for child, end in zip(children, ends, strict=True):
        last = played.of(child.client_order_id)[-1]
        assert last.event is OrderEvent.CANCELED and last.order.status is OrderStatus.CANCELED
        assert 0 < last.order.filled_qty < child.qty
        assert pd.Timestamp(last.timestamp) == pd.Timestamp(end)
