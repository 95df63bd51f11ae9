"""Corporate actions: splits and cash dividends on their ex-dates, and adjustment by them.

Conventions (Alpaca's and CRSP's):

- ``splits``: the ratio of new to old shares (2.0 for a 2-for-1 split, 0.1 for a 1-for-10
  reverse split) on the ex-date. Prices before it are divided by the ratio, volumes multiplied.
- ``dividends``: cash per share on the ex-date. Prices before it are multiplied by
  ``1 - dividend / close_before``, where ``close_before`` is the raw close of the symbol's
  bar before the ex-date. Volumes are not adjusted for dividends.
- Adjusted *as of* a date T: a bar at t is scaled by the product of the factors of every
  action with t < ex-date <= T, so the bar at T is raw.

From a Yahoo-style ``adj_close`` the actions are derived: the factor ``F = adj_close / close``
changes only on ex-dates, and the change ``e = F[t-1] / F[t]`` is a split of ratio ``1 / e``
when ``1 / e`` is a plain ratio (2, 3, 3/2, 1/10, ...) at least 20% away from 1, else a cash
dividend ``(1 - e) * close[t-1]``. Changes below :data:`FACTOR_TOLERANCE` are rounding.

Derived actions are snapped as real ones are declared: a cash dividend to the cent
(:func:`snap_dividends`; under half a cent it is rounding, not a dividend), a split to its plain
ratio. Paper derives the venue's actions the same way from raw and adjusted bars, so a backtest
and a paper run of the same data see the same actions, whatever the rounding of the adjusted
prices each was given.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

#: Relative factor changes below this are the rounding of adj_close, not an action.
FACTOR_TOLERANCE = 1e-4
#: A split ratio within this relative distance of a plain ratio p/q is that ratio.
RATIO_TOLERANCE = 0.02
#: Cash dividends are declared in cents: a derived amount is rounded to this many decimals.
DIVIDEND_DECIMALS = 2
_PLAIN = sorted({float(Fraction(p, q)) for p in range(1, 51) for q in range(1, 21)})


def plain_ratio(value: float) -> float | None:
    """``value`` as a plain split ratio p/q (p <= 50, q <= 20), or None if it is none."""
    if not np.isfinite(value) or value <= 0 or abs(np.log(value)) < np.log(1.2):
        return None
    i = int(np.searchsorted(_PLAIN, value))
    near = [c for c in _PLAIN[max(i - 1, 0) : i + 1]]
    best = min(near, key=lambda c: abs(np.log(value / c)))
    return best if abs(np.log(value / best)) < RATIO_TOLERANCE else None


def snap_dividends(amounts: np.ndarray) -> np.ndarray:
    """Derived cash amounts per share snapped to the cent; NaN where none is left (below half
    a cent the change of the factor is the rounding of the adjusted prices)."""
    with np.errstate(invalid="ignore"):
        cents = np.round(np.asarray(amounts, dtype=float), DIVIDEND_DECIMALS)
        return np.where(cents > 0, cents, np.nan)


def previous_close(close: np.ndarray) -> np.ndarray:
    """Each cell's raw close of the symbol's previous bar (NaN before its first)."""
    filled = pd.DataFrame(close).ffill().to_numpy()
    out = np.full_like(filled, np.nan)
    out[1:] = filled[:-1]
    return out


def event_factors(close: np.ndarray, dividends: np.ndarray, splits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell factors (1 where no action) applied to earlier bars: (split, dividend)."""
    split = np.where(np.isfinite(splits) & (splits > 0), 1.0 / np.where(splits > 0, splits, 1.0), 1.0)
    before = previous_close(close)
    with np.errstate(invalid="ignore", divide="ignore"):
        div = 1.0 - dividends / before
    div = np.where(np.isfinite(div) & (div > 0), div, 1.0)
    return split, div


def factors_after(events: np.ndarray) -> np.ndarray:
    """``out[t] = prod(events[u] for u > t)``: the factor a bar at t gets as of the last row."""
    out = np.ones_like(events)
    if len(events) > 1:
        out[:-1] = np.cumprod(events[::-1], axis=0)[::-1][1:]
    return out


def derive(close: np.ndarray, adj_close: np.ndarray, first: np.ndarray,
           tolerance: float | np.ndarray = FACTOR_TOLERANCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Actions from raw and adjusted closes of rows sorted by symbol then date.

    ``first`` marks each symbol's first row. Returns (dividends, splits, rises): cash per share
    and split ratio on ex-dates (NaN elsewhere), and the relative rise of the factor where it
    rose without a split (NaN elsewhere): adjusted prices going *up* against raw ones are
    neither a dividend nor a split.
    """
    factor = adj_close / close
    e = np.full(len(factor), np.nan)
    e[1:] = factor[:-1] / factor[1:]
    e[first] = np.nan
    with np.errstate(invalid="ignore"):
        change = np.abs(e - 1.0) > tolerance
    dividends = np.full(len(e), np.nan)
    splits = np.full(len(e), np.nan)
    rises = np.full(len(e), np.nan)
    for i in np.flatnonzero(change):
        ratio = plain_ratio(1.0 / e[i])
        if ratio is not None:
            splits[i] = ratio
        elif e[i] < 1.0:
            dividends[i] = (1.0 - e[i]) * close[i - 1]
        else:
            rises[i] = e[i] - 1.0
    return snap_dividends(dividends), splits, rises


def absorbed_splits(close: np.ndarray, splits: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Which given splits the prices already absorb (Yahoo's Close is split-adjusted).

    Rows sorted by symbol then date, ``first`` marking each symbol's first row. At a split of
    ratio r the close as traded falls about r-fold; a split-adjusted close does not. True
    where the price move is nearer no jump than the split's jump.
    """
    move = np.full(len(close), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        move[1:] = np.log(close[1:] / close[:-1])
        move[first] = np.nan
        absorbed = np.abs(move) < np.abs(move + np.log(splits))
    return absorbed & np.isfinite(splits) & np.isfinite(move)


__all__ = [
    "FACTOR_TOLERANCE",
    "absorbed_splits",
    "derive",
    "event_factors",
    "factors_after",
    "plain_ratio",
    "previous_close",
    "snap_dividends",
    ]
