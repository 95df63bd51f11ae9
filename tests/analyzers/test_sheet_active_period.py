"""The tear sheet's honesty about a run that sat out sessions halted and flat, and its colours.

Built from hand-made frames (the arithmetic is known), so each figure can be checked exactly.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analyzers import costs, sections, trade_charts
from analyzers.frames import Frames
from analyzers.halts import HaltEpisode, halted
from analyzers.sheet_model import versus

DAYS = pd.bdate_range("2019-01-01", periods=200, tz="UTC")
ACTIVE = 120  # sessions traded; the last 80 halted and flat


def _frames() -> Frames:
    rng = np.random.default_rng(4)
    returns = pd.Series(np.r_[rng.normal(0.001, 0.01, ACTIVE), np.zeros(len(DAYS) - ACTIVE)], index=DAYS)
    equity = 100_000 * (1 + returns).cumprod()
    held = np.r_[np.full(ACTIVE, 1.0), np.zeros(len(DAYS) - ACTIVE)]
    positions = pd.DataFrame({"AAA": equity * 0.9 * held, "cash": equity * (1 - 0.9 * held)}, index=DAYS)
    fills = pd.DataFrame({"amount": [100.0, -100.0], "price": [10.0, 12.0], "symbol": ["AAA", "AAA"]},
                         index=pd.DatetimeIndex([DAYS[0], DAYS[ACTIVE - 1]]) + pd.Timedelta(hours=14, minutes=30))
    commission = pd.Series(0.0, index=DAYS)
    return Frames(returns, positions, fills, equity, commission)


def _inputs(frames: Frames, episodes: list[HaltEpisode], benchmark: pd.Series | None = None) -> sections.Inputs:
    return sections.Inputs(frames=frames, benchmark=benchmark, sectors=None, quality=None,  # type: ignore[arg-type]
                           header=None, episodes=episodes)  # type: ignore[arg-type]


def _halt() -> HaltEpisode:
    start = DAYS[ACTIVE - 1].date()
    return HaltEpisode(start, None, len(DAYS) - ACTIVE, "max_drawdown", "persistent")


def test_halted_sessions_are_those_after_the_halt_day() -> None:
    flags = halted([_halt()], [d.date() for d in DAYS])
    assert sum(flags) == len(DAYS) - ACTIVE and not any(flags[:ACTIVE])


def test_a_run_halted_and_flat_shows_its_active_period_beside_the_whole() -> None:
    """The demo spent 263 of 916 sessions halted in cash: every whole-run figure was diluted."""
    section = sections.performance_section(_inputs(_frames(), [_halt()]))
    table = section.blocks[0]
    assert table.headers[:3] == ["", "Whole run", f"Active ({ACTIVE} of {len(DAYS)} sessions)"]
    rows = {row[0].text.rstrip(" *"): row for row in table.rows}
    whole, active = _frames().returns, _frames().returns[:ACTIVE]
    assert rows["Total return"][1].text == rows["Total return"][2].text  # flat sessions add nothing
    vol_whole = float(rows["Annual volatility"][1].text.rstrip("%"))
    vol_active = float(rows["Annual volatility"][2].text.rstrip("%"))
    assert vol_whole == pytest.approx(whole.std() * np.sqrt(252) * 100, abs=0.01)
    assert vol_active == pytest.approx(active.std() * np.sqrt(252) * 100, abs=0.01)
    assert "halted and flat" in table.note


def test_a_halt_that_kept_its_positions_is_not_taken_out() -> None:
    frames = _frames()
    kept = Frames(frames.returns, frames.positions.assign(AAA=1000.0), frames.transactions, frames.equity,
                  frames.commission)
    table = sections.performance_section(_inputs(kept, [_halt()])).blocks[0]
    assert table.headers == ["", "Whole run", "Benchmark (none)"]


def test_figures_are_coloured_against_the_benchmark_not_zero() -> None:
    """0.22% and a Sharpe of 0.06 were green beside a 95% benchmark."""
    assert versus("0.22%", 0.0022, 0.95).css == "num neg"
    assert versus("3%", 0.03, -0.10).css == "num pos"
    assert versus("0.22%", 0.0022, None).css == "num"  # nothing to compare: neutral
    bench = pd.Series(0.004, index=DAYS)  # a benchmark far ahead
    rows = {r[0].text.rstrip(" *"): r for r in sections.performance_section(_inputs(_frames(), [], bench)).blocks[0].rows}
    assert "neg" in rows["Total return"][1].css and "neg" in rows["Sharpe ratio"][1].css
    assert rows["Annual volatility"][1].css == "num"  # a size, not a score: uncoloured


def test_cost_sensitivity_reprices_what_the_run_paid() -> None:
    frames = _frames()
    orders = pd.DataFrame({"day": [DAYS[0].date(), DAYS[ACTIVE - 1].date()], "side": ["buy", "sell"],
                           "filled_qty": [100.0, 100.0], "filled_avg_price": [10.0, 12.0],
                           "arrival_price": [9.99, 12.01], "commission": [1.0, 1.0]})
    paid = costs.own_costs(orders, frames.equity.index)
    assert paid.sum() == pytest.approx(2.0 + 100 * 0.01 * 2)  # commission + 1 cent each way
    curves = costs.sensitivity(frames, paid)
    traded = 100 * 10.0 + 100 * 12.0
    final = frames.equity.iloc[-1]
    assert curves["0 bps"].iloc[-1] == pytest.approx(final + 4.0)
    # a cost is taken back from the session it was paid in (the fill after the decision), not before
    assert curves["0 bps"].iloc[0] == pytest.approx(frames.equity.iloc[0])
    assert paid.iloc[0] == 0 and paid.iloc[1] == pytest.approx(1.0 + 100 * 0.01)
    assert curves["20 bps"].iloc[-1] == pytest.approx(final + 4.0 - traded * 0.002)


def test_price_marks_are_entries_and_exits_not_every_fill() -> None:
    days = pd.bdate_range("2019-01-01", periods=6)
    close = pd.Series([10.0, 11, 12, 13, 14, 15], index=days)
    fills = pd.DataFrame({"amount": [10.0, 5.0, -15.0, -4.0, 4.0], "symbol": ["A"] * 5, "price": 1.0},
                         index=pd.DatetimeIndex(days[:5], tz="UTC") + pd.Timedelta(hours=15))
    m = trade_charts.marks(fills, "A", close)
    assert list(m.entries.index.date) == [date(2019, 1, 1), date(2019, 1, 4)]  # opened, and a short opened
    assert list(m.exits.index.date) == [date(2019, 1, 3), date(2019, 1, 7)]
    assert m.resized == 1
