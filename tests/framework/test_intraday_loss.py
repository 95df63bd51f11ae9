"""The intraday loss policy agrees with the engine's guard and reads like `trade status`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.config.execution import RiskConfig
from framework.positions import Position
from framework.risk.decisions import HaltReason
from framework.risk.guards import breached
from framework.risk.intraday import HeadroomAlarm, LossReading, marked_equity

MONEY = st.floats(min_value=1_000, max_value=10_000_000, allow_nan=False)
LIMIT = st.floats(min_value=0.001, max_value=0.5)


@given(equity=MONEY, baseline=MONEY, limit=LIMIT)
def test_breach_is_the_engines_daily_loss_test(equity, baseline, limit) -> None:
    cfg = RiskConfig(daily_loss_limit=limit)
    reading = LossReading(equity, baseline, limit)
    assert reading.breached(cfg) == (HaltReason.DAILY_LOSS in breached(cfg, equity, baseline, 0.0))


@given(equity=MONEY, baseline=MONEY, limit=LIMIT)
def test_headroom_is_the_unused_share_of_the_allowance(equity, baseline, limit) -> None:
    r = LossReading(equity, baseline, limit)
    assert r.headroom >= 0
    assert r.headroom == pytest.approx(max(1 + (equity - baseline) / (baseline * limit), 0.0))
    if (baseline - equity) / baseline < limit * 0.999:
        assert r.headroom > 0  # not at the limit yet: some allowance left


def test_numbers_as_a_person_reads_them() -> None:
    r = LossReading(equity=97_600.0, baseline=100_000.0, limit=0.03)
    assert (r.pnl, r.pnl_fraction, r.allowance) == (-2_400.0, -0.024, pytest.approx(3_000.0))
    assert r.headroom == pytest.approx(0.2) and not r.breached(RiskConfig())
    assert LossReading(96_999.0, 100_000.0, 0.03).breached(RiskConfig())


def test_marked_equity_values_every_position_at_its_latest_price() -> None:
    held = [Position("AAA", Decimal(10), Decimal(100), Decimal(90)), Position("BBB", Decimal(-5), Decimal(50), Decimal(55))]
    assert marked_equity(Decimal(1000), held) == Decimal(1000) + 900 - 275
    assert marked_equity(Decimal(1000), [Position("CCC", Decimal(1), Decimal(1))]) is None  # no price: not known


def test_the_headroom_alarm_fires_once_per_session() -> None:
    alarm = HeadroomAlarm(below=0.25)
    low, fine = LossReading(97_500.0, 100_000.0, 0.03), LossReading(99_000.0, 100_000.0, 0.03)
    assert not alarm.check(date(2019, 6, 4), fine)
    assert alarm.check(date(2019, 6, 4), low)
    assert not alarm.check(date(2019, 6, 4), low)
    assert alarm.check(date(2019, 6, 5), low)
