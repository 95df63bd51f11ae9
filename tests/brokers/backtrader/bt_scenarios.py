"""Small hand-made markets and a fixed-signal plugin for the simulator tests."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd

from framework.config import Settings
from framework.data import MarketData
from framework.strategy import Strategy


def market(
    closes: dict[str, list[float]],
    opens: dict[str, list[float]] | None = None,
    volume: float = 1e9,
    start: str = "2020-01-02",
) -> MarketData:
    n = max(len(v) for v in closes.values())
    dates = pd.bdate_range(start, periods=n)
    close = pd.DataFrame({s: v + [np.nan] * (n - len(v)) for s, v in closes.items()}, index=dates)
    open_ = close.copy()
    for s, v in (opens or {}).items():
        open_[s] = v + [np.nan] * (n - len(v))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    vol = close.notna() * volume
    vol = vol.where(close.notna())
    for frame in (open_, high, low, close, vol):
        frame.index.name = "date"
    sectors = pd.Series({s: f"Sector{i}" for i, s in enumerate(closes)}, name="sector")
    return MarketData(open_, high, low, close, vol.astype(float), sectors, source="test", fingerprint="golden")




def with_actions(data: MarketData, *, dividends: dict[tuple[int, str], float] | None = None,
                 splits: dict[tuple[int, str], float] | None = None) -> MarketData:
    """``data`` plus actions keyed by (bar index, symbol)."""

    def frame(values: dict[tuple[int, str], float] | None) -> pd.DataFrame:
        out = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        for (i, symbol), value in (values or {}).items():
            out.iloc[i, out.columns.get_loc(symbol)] = value
        return out

    return replace(data, dividends=frame(dividends), splits=frame(splits))


class FixedSignals(Strategy):
    """Signals given by the test, per date index."""

    name = "fixed_signals"
    table: ClassVar[pd.DataFrame | None] = None

    def signals(self, history: MarketData) -> pd.DataFrame:
        assert self.table is not None
        return self.table.reindex(index=history.dates, columns=history.symbols)


def fixed(table: pd.DataFrame) -> FixedSignals:
    cls = type("Fixed", (FixedSignals,), {"table": table})
    return cls()


def settings(**overrides: object) -> Settings:
    base = {
        "signals": {"threshold": 0.1, "weighting": "equal", "gross_target": 1.0, "rebalance_every": 1},
        "sizing": {"cash_buffer": 0.01, "rebalance_band": 0.2, "min_trade_shares": 1, "min_trade_notional": 0},
        "risk": {
            "max_position_weight": 1.0,
            "max_gross_exposure": 1.0,
            "max_net_exposure": 1.0,
            "max_sector_exposure": 4.0,
            "max_order_notional": 1e9,
            "min_price": 0.0,
            "daily_loss_limit": 0.5,
            "max_drawdown": 0.9,
        },
        "backtest": {"cash": 10_000.0},
        "venue": {
            "profile": "per_share",
            "slippage": {"mode": "percent", "value": 0.001},
            "commission": {"mode": "per_share", "per_share": 0.01, "minimum": 1.0, "maximum_pct": 0.01},
        },
    }
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values)  # type: ignore[union-attr]
    return Settings.model_validate(base)
