"""Causal features per (date, symbol), computed on wide frames for all symbols at once.

Every window is finite (rolling, not exponential), so a feature at t depends on a bounded
stretch of bars ≤ t: signals on a trailing window equal signals on the full history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework.data import MarketData

FEATURES: tuple[str, ...] = (
    "ret_1",
    "ret_5",
    "ret_21",
    "ret_63",
    "vol_21",
    "rsi_14",
    "dist_ma_20",
    "dist_ma_50",
    "volume_z_21",
    "range_5",
    "rank_ret_5",
    "rank_ret_21",
    "rank_vol_21",
    "sector_rel_21",
)
LOOKBACK = 64  # bars the longest feature needs (ret_63 plus one)


def _rsi(close: pd.DataFrame, window: int) -> pd.DataFrame:
    """Cutler's RSI (simple averages): finite memory, unlike Wilder's exponential one."""
    change = close.diff()
    gain = change.clip(lower=0).rolling(window).mean()
    loss = (-change.clip(upper=0)).rolling(window).mean()
    total = gain + loss
    return (gain / total.where(total > 0)).fillna(0.5) * 100 - 50


def _sector_relative(ret: pd.DataFrame, sectors: pd.Series) -> pd.DataFrame:
    if sectors.empty:
        return ret * 0.0
    groups = sectors.reindex(ret.columns).fillna("Unknown")
    sector_mean = ret.T.groupby(groups.to_numpy()).transform("mean").T
    return ret - sector_mean


def wide_features(history: MarketData) -> dict[str, pd.DataFrame]:
    close, volume = history.close, history.volume
    ret1 = close.pct_change(fill_method=None)
    ret = {h: close.pct_change(h, fill_method=None) for h in (1, 5, 21, 63)}
    vol21 = ret1.rolling(21).std() * np.sqrt(252)
    vmean, vstd = volume.rolling(21).mean(), volume.rolling(21).std()
    frames = {
        "ret_1": ret[1],
        "ret_5": ret[5],
        "ret_21": ret[21],
        "ret_63": ret[63],
        "vol_21": vol21,
        "rsi_14": _rsi(close, 14),
        "dist_ma_20": close / close.rolling(20).mean() - 1,
        "dist_ma_50": close / close.rolling(50).mean() - 1,
        "volume_z_21": (volume - vmean) / vstd.where(vstd > 0),
        "range_5": ((history.high - history.low) / close).rolling(5).mean(),
        "rank_ret_5": ret[5].rank(axis=1, pct=True),
        "rank_ret_21": ret[21].rank(axis=1, pct=True),
        "rank_vol_21": vol21.rank(axis=1, pct=True),
        "sector_rel_21": _sector_relative(ret[21], history.sectors),
    }
    assert tuple(frames) == FEATURES
    return frames


def feature_matrix(history: MarketData) -> pd.DataFrame:
    """Long frame indexed by (date, symbol) with one column per feature; rows with gaps dropped."""
    frames = wide_features(history)
    stacked = np.stack([frames[f].to_numpy(dtype=float) for f in FEATURES], axis=-1)
    n_dates, n_symbols = len(history.dates), len(history.symbols)
    index = pd.MultiIndex.from_product([history.dates, history.symbols], names=["date", "symbol"])
    long = pd.DataFrame(stacked.reshape(n_dates * n_symbols, len(FEATURES)), index=index, columns=list(FEATURES))
    finite = np.isfinite(long.to_numpy()).all(axis=1)
    return long[finite]
