"""summary.json's per-symbol coverage: counted over the whole grid at once, equal to counting
each symbol on its own (the reference below is the per-symbol loop it replaced, issue 31)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.data import MarketData
from framework.data.coverage import _life, coverage
from framework.data.sessions import sessions

CALENDAR = "XNYS"
DAYS = sessions(CALENDAR, pd.Timestamp("2020-01-02"), pd.Timestamp("2020-02-28"))


def _reference(market: MarketData, signals: pd.DataFrame) -> dict[str, dict[str, Any]]:
    close = market.close.reindex(DAYS)
    filled = market.filled.reindex(DAYS, fill_value=False).astype(bool)
    present = close.notna() | filled
    views = signals.reindex(index=DAYS, columns=close.columns).notna()
    life = _life(market, DAYS)
    per = {}
    for symbol in close.columns:
        alive = life[symbol].to_numpy()
        n = int(alive.sum())
        if not n:
            continue
        traded = int((close[symbol].notna().to_numpy() & alive).sum())
        no_view = int((~views[symbol].to_numpy() & alive).sum())
        per[symbol] = {"sessions": n, "traded": traded, "filled": int((filled[symbol].to_numpy() & alive).sum()),
                       "missing": int(n - (present[symbol].to_numpy() & alive).sum()),
                       "coverage": round(traded / n, 6), "no_view": no_view, "no_view_share": round(no_view / n, 6)}
    return per


def _market(bars: np.ndarray, repaired: np.ndarray) -> MarketData:
    symbols = [f"S{j}" for j in range(bars.shape[1])]
    close = pd.DataFrame(np.where(bars, 10.0, np.nan), index=DAYS, columns=symbols)
    close.index.name = "date"
    frames = {f: close.copy() for f in ("open", "high", "low", "close", "volume")}
    sectors = pd.Series("Tech", index=symbols, name="sector")
    filled = pd.DataFrame(repaired & ~bars, index=DAYS, columns=symbols)  # a repaired bar has no price
    return MarketData(**frames, sectors=sectors, source="test", fingerprint="cov", filled=filled)


@settings(max_examples=40)
@given(st.data())
def test_grid_counts_equal_per_symbol_counts(data: st.DataObject) -> None:
    symbols = data.draw(st.integers(1, 6))
    shape = (len(DAYS), symbols)
    cells = st.lists(st.booleans(), min_size=shape[0] * symbols, max_size=shape[0] * symbols)
    bars = np.array(data.draw(cells)).reshape(shape)
    repaired = np.array(data.draw(cells)).reshape(shape)
    views = np.array(data.draw(cells)).reshape(shape)
    market = _market(bars, repaired)
    signals = pd.DataFrame(np.where(views, 1.0, np.nan), index=DAYS, columns=market.close.columns)
    got = coverage(market, signals, DAYS[0], DAYS[-1], CALENDAR)["symbols"]
    assert got == _reference(market, signals)
    assert all(type(v) is int for s in got.values() for k, v in s.items() if "share" not in k and k != "coverage")
