"""Small array helpers of the per-bar path (every decision calls them several times).

``numpy.nan_to_num`` is generic (any dtype, scalars, complex, a copy flag): on the short float
vectors of a decision its overhead costs several times the arithmetic it guards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def nan_to_zero(values: np.ndarray) -> np.ndarray:
    """``np.nan_to_num(values)`` for a float vector: NaN → 0, ±inf → the largest finite float
    of its sign (a new array; ``values`` is left as it was)."""
    values = np.asarray(values, dtype=float)
    out = np.where(np.isnan(values), 0.0, values)
    if np.isinf(out).any():  # never for prices; kept so the two are the same function
        np.copyto(out, np.nan_to_num(out))
    return out


def clip_frame(frame: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """``frame.clip(low, high)`` for a float frame, on its array: pandas' clip costs ~1 ms of
    overhead a call (a lookahead check computes signals hundreds of times); NaN stays NaN."""
    return pd.DataFrame(np.clip(frame.to_numpy(dtype=float), low, high), index=frame.index, columns=frame.columns)


__all__ = ["clip_frame", "nan_to_zero"]
