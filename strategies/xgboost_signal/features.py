"""Causal features per (date, symbol), computed on wide frames for all symbols at once.

Every window is finite (rolling, not exponential), so a feature at t depends on a bounded
stretch of bars ≤ t: signals on a trailing window equal signals on the full history.

A missing bar costs only its own session: a return across it runs from the last close before it
(up to ``GAP_BARS`` sessions back), a return window whose far end falls on it starts at the first
bar after it, and a rolling statistic needs 80% of its window, not all of it. On a symbol's first
bars (and on data without gaps) every feature is exactly the full-window one.
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
GAP_BARS = 5  # a gap is bridged over at most this many missing sessions
DECIMALS = 10  # features are rounded here: see `stable`
#: Fixed bin edges per feature, as (step, low, high): with ``feature_grid`` (the default) a feature
#: is snapped to a multiple of its step inside [low, high] before the model sees it. Each has at
#: most 200 values, fewer than XGBoost's ``max_bin`` (256), so its histogram bins are these fixed
#: values rather than a quantile sketch of the data: 1e-5 of price noise (another venue's
#: arithmetic, a dividend factor a cent apart) moves a feature across an edge only when it sits
#: within 1e-5 of one, and the trees, their splits and the predictions stay the same.
GRID: dict[str, tuple[float, float, float]] = {
    "ret_1": (0.0025, -0.25, 0.25),
    "ret_5": (0.005, -0.5, 0.5),
    "ret_21": (0.01, -1.0, 1.0),
    "ret_63": (0.02, -1.0, 2.0),
    "vol_21": (0.02, 0.0, 3.0),
    "rsi_14": (1.0, -50.0, 50.0),
    "dist_ma_20": (0.005, -0.5, 0.5),
    "dist_ma_50": (0.01, -1.0, 1.0),
    "volume_z_21": (0.05, -5.0, 5.0),
    "range_5": (0.002, 0.0, 0.4),
    "rank_ret_5": (0.05, 0.0, 1.0),
    "rank_ret_21": (0.05, 0.0, 1.0),
    "rank_vol_21": (0.05, 0.0, 1.0),
    "sector_rel_21": (0.01, -1.0, 1.0),
}


RANK_SCALE_MAX = 4.0  # a rank's grid coarsens at most to steps of 0.2 (6 values)


def grid_cell(name: str, scale: float = 1.0) -> tuple[float, float, float]:
    """``GRID[name]`` with its step times ``scale`` (a rank's at most :data:`RANK_SCALE_MAX`): cells
    that much wider are crossed that much more rarely by a venue's last digits."""
    step, low, high = GRID[name]
    return step * (min(scale, RANK_SCALE_MAX) if name.startswith("rank_") else scale), low, high


def stable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame rounded to ``DECIMALS`` places. History adjusted as of one date is the history
    adjusted as of another times a factor, so every ratio is the same up to the last bits of a
    float; those bits would break ties (two symbols with the same 5-day return rank in either
    order) and move XGBoost's histogram bins, and a model trained on history as of one day would
    differ from the same model as of another. Rounded, they are the same number."""
    return frame.round(DECIMALS)


def snap(frame: pd.DataFrame, step: float, low: float, high: float) -> pd.DataFrame:
    """``frame`` on the fixed grid ``low, low + step, ..., high`` (NaN stays NaN). Rounded to
    ``DECIMALS`` first, so values the adjustment basis leaves equal snap equally."""
    values = np.clip(frame.to_numpy(dtype=float).round(DECIMALS), low, high)  # what pandas' round and clip do
    snapped = ((values / step).round() * step).round(DECIMALS)  # NaN stays NaN; pandas' clip took 6 ms a frame
    return pd.DataFrame(snapped, index=frame.index, columns=frame.columns)


def _age(close: pd.DataFrame) -> pd.DataFrame:
    """Sessions since each symbol's first bar (1 on it; 0 before it): a window is complete
    when it lies inside the symbol's life, gaps or not."""
    return close.notna().cummax().cumsum()


def _rolling(frame: pd.DataFrame, window: int, age: pd.DataFrame, span: int, how: str) -> pd.DataFrame:
    """``how`` ("mean" or "std") over ``window`` rows with at least 80% of them present, where the
    ``span`` bars the window reaches back over lie in the symbol's life."""
    rolled = getattr(frame.rolling(window, min_periods=window - window // 5), how)()
    return rolled.where(age >= span)


def _returns(close: pd.DataFrame, h: int) -> pd.DataFrame:
    """Close-to-close return over ``h`` sessions, robust to a missing bar at either end: from the
    last close before the far end (h = 1), or the first one after it (h > 1, inside the window)."""
    if h == 1:
        return close / close.ffill(limit=GAP_BARS).shift(1) - 1
    listed = close.notna().cummax()
    return close / close.bfill(limit=min(GAP_BARS, h - 1)).where(listed).shift(h) - 1


def _rsi(close: pd.DataFrame, window: int, age: pd.DataFrame) -> pd.DataFrame:
    """Cutler's RSI (simple averages): finite memory, unlike Wilder's exponential one."""
    change = close - close.ffill(limit=GAP_BARS).shift(1)
    gain = _rolling(change.clip(lower=0), window, age, window + 1, "mean")
    loss = _rolling(-change.clip(upper=0), window, age, window + 1, "mean")
    total = gain + loss
    return (gain / total.where(total > 0)).fillna(0.5).where(gain.notna()) * 100 - 50


def _sector_relative(ret: pd.DataFrame, sectors: pd.Series) -> pd.DataFrame:
    if sectors.empty:
        return ret * 0.0
    groups = sectors.reindex(ret.columns).fillna("Unknown")
    sector_mean = ret.T.groupby(groups.to_numpy()).transform("mean").T
    return ret - sector_mean


def wide_features(history: MarketData, grid: bool = True, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Every feature as a wide frame; with ``grid`` each on its fixed grid (:func:`grid_cell`), the
    cross-sectional ranks taken of the snapped values (so near-ties rank as ties)."""
    close, volume = history.close, history.volume
    age = _age(close)

    def fix(name: str, frame: pd.DataFrame) -> pd.DataFrame:
        return snap(frame, *grid_cell(name, scale)) if grid else stable(frame)

    ret = {h: fix(f"ret_{h}", _returns(close, h)) for h in (1, 5, 21, 63)}
    vol21 = fix("vol_21", _rolling(stable(_returns(close, 1)), 21, age, 22, "std") * np.sqrt(252))
    vmean, vstd = _rolling(volume, 21, age, 21, "mean"), _rolling(volume, 21, age, 21, "std")
    frames = {
        "ret_1": ret[1],
        "ret_5": ret[5],
        "ret_21": ret[21],
        "ret_63": ret[63],
        "vol_21": vol21,
        "rsi_14": _rsi(close, 14, age),
        "dist_ma_20": close / _rolling(close, 20, age, 20, "mean") - 1,
        "dist_ma_50": close / _rolling(close, 50, age, 50, "mean") - 1,
        "volume_z_21": (volume - vmean) / vstd.where(vstd > 0),
        "range_5": _rolling((history.high - history.low) / close, 5, age, 5, "mean"),
        "rank_ret_5": ret[5].rank(axis=1, pct=True),
        "rank_ret_21": ret[21].rank(axis=1, pct=True),
        "rank_vol_21": vol21.rank(axis=1, pct=True),
        "sector_rel_21": _sector_relative(ret[21], history.sectors),
    }
    assert tuple(frames) == FEATURES
    return {name: fix(name, frame) for name, frame in frames.items()}


def feature_matrix(history: MarketData, grid: bool = True, scale: float = 1.0) -> pd.DataFrame:
    """Long frame indexed by (date, symbol) with one column per feature; rows with gaps dropped.
    Rows are date-major (every row of a date before the next date's): the walk-forward slices them."""
    frames = wide_features(history, grid, scale)
    stacked = np.stack([frames[f].to_numpy(dtype=float) for f in FEATURES], axis=-1)
    n_dates, n_symbols = len(history.dates), len(history.symbols)
    index = pd.MultiIndex.from_product([history.dates, history.symbols], names=["date", "symbol"])
    long = pd.DataFrame(stacked.reshape(n_dates * n_symbols, len(FEATURES)), index=index, columns=list(FEATURES))
    finite = np.isfinite(long.to_numpy()).all(axis=1)
    return long[finite]
