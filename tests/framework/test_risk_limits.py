"""No approved target breaches a limit, whatever the portfolio, signals, prices and config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.config import RiskConfig
from framework.risk import Action, HaltReason, Reason, RiskContext, RiskManager
from framework.universe import Universe

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
SECTORS = {"AAA": "Tech", "BBB": "Tech", "CCC": "Tech", "DDD": "Energy", "EEE": "Energy", "FFF": "Health"}


@st.composite
def scenarios(draw):
    n = len(SYMBOLS)
    prices = draw(st.lists(st.floats(1.0, 500.0), min_size=n, max_size=n))
    equity = draw(st.floats(10_000.0, 1_000_000.0))
    cfg = RiskConfig(
        max_position_weight=draw(st.floats(0.02, 1.0)),
        max_gross_exposure=draw(st.floats(0.1, 2.0)),
        max_net_exposure=draw(st.floats(0.1, 2.0)),
        max_sector_exposure=draw(st.floats(0.05, 1.5)),
        max_order_notional=draw(st.floats(500.0, 500_000.0)),
        min_price=draw(st.floats(0.0, 20.0)),
        max_orders_per_cycle=draw(st.integers(1, 10)),
    )
    # A compliant starting book: scale random holdings inside every cap.
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    value = raw / max(raw.sum(), 1e-9) * equity * draw(st.floats(0.0, 1.0))
    limit = (
        min(cfg.max_position_weight, cfg.max_sector_exposure / 3, cfg.max_gross_exposure / n, cfg.max_net_exposure / n)
        * equity
    )
    value = np.minimum(value, limit)
    current = np.trunc(value / np.array(prices))
    wanted = np.array(draw(st.lists(st.floats(0.0, 5_000.0), min_size=n, max_size=n)))
    return (
        cfg,
        pd.Series(prices, index=SYMBOLS),
        equity,
        pd.Series(current, index=SYMBOLS),
        pd.Series(np.trunc(wanted), index=SYMBOLS),
        draw(st.floats(0.0, 2_000_000.0)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_approved_targets_never_breach_a_limit(case) -> None:
    cfg, prices, equity, current, wanted, buying_power = case
    u = Universe.of(SYMBOLS)
    ctx = RiskContext(u, current.to_numpy(), prices.to_numpy(), equity, buying_power)
    result = RiskManager(cfg, SECTORS).check(wanted.to_numpy(), ctx)
    a = u.series(result.approved)
    value = a * prices
    tol = 1e-6 * equity + 1e-6
    assert (value.abs() <= cfg.max_position_weight * equity + tol).all()
    assert value.abs().sum() <= cfg.max_gross_exposure * equity + tol
    assert abs(value.sum()) <= cfg.max_net_exposure * equity + tol
    by_sector = value.abs().groupby(pd.Series(SECTORS)).sum()
    assert (by_sector <= cfg.max_sector_exposure * equity + tol).all()
    orders = ((a - current) * prices).abs()
    assert (orders <= cfg.max_order_notional + tol).all()
    assert int(((a - current).abs() > 1e-9).sum()) <= cfg.max_orders_per_cycle
    growth = (((a.abs() - current.abs()).clip(lower=0)) * prices).sum()
    freed = (((current.abs() - a.abs()).clip(lower=0)) * prices).sum()
    assert growth <= buying_power + freed + tol
    assert (a == np.trunc(a)).all()  # whole shares
    for d in result.decisions:  # every change is explained
        assert isinstance(d.reason, Reason) and d.action in (Action.REDUCE, Action.REJECT)


def check(
    rm: RiskManager,
    wanted: dict[str, float],
    current: dict[str, float],
    prices: dict[str, float],
    equity: float,
    buying_power: float,
    halted: bool = False,
) -> tuple[pd.Series, list]:
    """One check over labelled inputs: a symbol not in ``wanted`` keeps its current target."""
    u = Universe.of([*wanted, *current, *prices])
    ctx = RiskContext(u, u.vector(current, 0.0), u.vector(prices), equity, buying_power, halted)
    result = rm.check(u.vector(wanted), ctx)
    return u.series(result.approved), result.decisions


def test_min_price_blocks_new_buys_but_not_sells() -> None:
    cfg = RiskConfig(min_price=5.0)
    rm = RiskManager(cfg, SECTORS)
    approved, decisions = check(rm, {"AAA": 50.0, "BBB": 100.0}, {"AAA": 100.0, "BBB": 0.0}, {"AAA": 3.0, "BBB": 4.0},
                                1e6, 1e6)
    assert approved["AAA"] == 50.0  # a sale of a cheap stock goes through
    assert approved["BBB"] == 0.0
    assert [(d.symbol, d.reason, d.action) for d in decisions] == [("BBB", Reason.MIN_PRICE, Action.REJECT)]


def test_halted_allows_only_risk_reducing_targets() -> None:
    rm = RiskManager(RiskConfig(), SECTORS)
    approved, decisions = check(
        rm,
        {"AAA": 40.0, "BBB": 50.0, "CCC": 20.0},
        {"AAA": 100.0, "BBB": 10.0},
        {"AAA": 10.0, "BBB": 10.0, "CCC": 10.0},
        1e6,
        1e6,
        halted=True,
    )
    assert approved.to_dict() == {"AAA": 40.0, "BBB": 10.0, "CCC": 0.0}
    assert {d.symbol for d in decisions if d.reason is Reason.HALTED} == {"BBB", "CCC"}


@pytest.mark.parametrize(
    ("equity", "start", "peak", "expected"),
    [
        (97_000.0, 100_000.0, 100_000.0, HaltReason.DAILY_LOSS),
        (97_100.0, 100_000.0, 100_000.0, None),
        (80_000.0, 80_100.0, 110_000.0, HaltReason.DRAWDOWN),
    ],
)
def test_account_guards(equity: float, start: float, peak: float, expected: HaltReason | None) -> None:
    rm = RiskManager(RiskConfig(daily_loss_limit=0.03, max_drawdown=0.25), SECTORS)
    assert rm.guard(equity, start, peak) == expected


def test_clipped_sale_does_not_let_buys_breach_gross() -> None:
    # One big sale is clipped by the order-notional cap while two buys fit under it:
    # without the growth re-check the book would end at 14k gross against a 10k cap.
    cfg = RiskConfig(
        max_position_weight=1.0,
        max_gross_exposure=1.0,
        max_net_exposure=1.0,
        max_sector_exposure=1.0,
        max_order_notional=6_000.0,
        min_price=0.0,
    )
    rm = RiskManager(cfg, {"AAA": "Tech", "DDD": "Energy", "FFF": "Health"})
    prices = {"AAA": 10.0, "DDD": 10.0, "FFF": 10.0}
    a, decisions = check(rm, {"AAA": 0.0, "DDD": 500.0, "FFF": 500.0}, {"AAA": 1000.0}, prices, 10_000.0, 1e6)
    assert a["AAA"] == 400.0  # the sale is clipped to 6k
    assert (a * pd.Series(prices)).abs().sum() <= 10_000.0
    assert any(d.reason is Reason.GROSS_EXPOSURE for d in decisions)
