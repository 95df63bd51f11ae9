"""The strategy plugin API.

A plugin turns market history into signals: a DataFrame indexed by session date with one
column per symbol, values in [-1, 1] (sign = direction, magnitude = conviction), NaN = no view.
It must be *causal*: the row for date t depends only on bars up to and including t, because
the backtest calls it once on the whole history and paper trading on a trailing window, and
both must agree (``trade check-strategy`` verifies this).

Minimal plugin::

    class Reversal(Strategy):
        name = "reversal"
        summary = "Buy last week's losers."

        class Params(StrategyParams):
            lookback: int = Field(5, ge=1, description="bars in the return window")

        @property
        def warmup_bars(self) -> int:
            return self.params.lookback + 1

        def signals(self, history: MarketData) -> pd.DataFrame:
            ret = history.close.pct_change(self.params.lookback, fill_method=None)
            return (-ret.rank(axis=1, pct=True) * 2 + 1).clip(-1, 1)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from framework.data import MarketData
from framework.errors import ConfigError, StrategyError


class StrategyParams(BaseModel):
    """Base of every plugin's parameters: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Strategy(ABC):
    """Base class of strategy plugins. Subclasses set ``name``, ``summary`` and ``Params``."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    Params: ClassVar[type[StrategyParams]] = StrategyParams

    def __init__(self, params: StrategyParams | Mapping[str, Any] | None = None) -> None:
        if isinstance(params, StrategyParams):
            self.params = params
        else:
            self.params = self.parse_params(dict(params or {}))

    @classmethod
    def parse_params(cls, raw: Mapping[str, Any], *, origin: str = "strategy.params") -> Any:
        try:
            return cls.Params.model_validate(dict(raw))
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            raise ConfigError(f"{origin}: {cls.name}.{where}: {err['msg']}") from None

    @property
    def warmup_bars(self) -> int:
        """Bars of history needed before the first meaningful signal."""
        return 0

    @abstractmethod
    def signals(self, history: MarketData) -> pd.DataFrame:
        """Causal signals for every date in ``history`` (see the module docstring)."""


def compute_signals(strategy: Strategy, history: MarketData) -> pd.DataFrame:
    """Call a plugin on ``history.adjusted()`` and hold it to the contract.

    The plugin sees history adjusted as of its last date (``data.adjust``: Alpaca's
    ``adjustment=all``, or as traded), exactly what the paper path receives from Alpaca; the
    engine keeps sizing and filling on the raw prices. Failures become a :class:`StrategyError`.
    """
    try:
        raw = strategy.signals(history.adjusted())
    except Exception as e:
        raise StrategyError(f"strategy {strategy.name!r} failed: {type(e).__name__}: {e}") from e
    if not isinstance(raw, pd.DataFrame):
        raise StrategyError(f"strategy {strategy.name!r} returned {type(raw).__name__}, not a DataFrame")
    unknown = [c for c in raw.columns if c not in history.close.columns]
    if unknown:
        raise StrategyError(f"strategy {strategy.name!r} returned unknown symbols: {unknown[:5]}")
    signals = raw.reindex(index=history.dates, columns=history.symbols).astype(float)
    values = signals.to_numpy()
    finite = np.isfinite(values)
    if np.isinf(values).any():
        raise StrategyError(f"strategy {strategy.name!r} returned infinite signals")
    if (np.abs(values[finite]) > 1 + 1e-12).any():
        raise StrategyError(f"strategy {strategy.name!r} returned signals outside [-1, 1]")
    return signals.clip(-1.0, 1.0)
