"""A strategy plugin for sweep tests: momentum that can fail on purpose or wait for a gate file.

Sweeps name it as ``sweep_plugins:Gated``; workers find it through ``PYTHONPATH``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from pydantic import Field

from framework.data import MarketData
from framework.strategy import Strategy, StrategyParams

GATE_DEADLINE_SECONDS = 900.0


class GatedParams(StrategyParams):
    lookback: int = Field(20, ge=2)
    fail: bool = False  # raise instead of answering
    gate: str | None = None  # answer only once this file exists


class Gated(Strategy):
    name = "gated"
    summary = "Trailing-return ranks; fails or waits when told to (sweep tests)."
    Params = GatedParams

    @property
    def warmup_bars(self) -> int:
        return self.params.lookback + 1

    def _wait_for_gate(self) -> None:
        assert self.params.gate is not None
        deadline = time.monotonic() + GATE_DEADLINE_SECONDS
        while not Path(self.params.gate).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"gate {self.params.gate} never opened")
            time.sleep(0.05)

    def signals(self, history: MarketData) -> pd.DataFrame:
        if self.params.fail:
            raise RuntimeError("this point fails on purpose")
        if self.params.gate:
            self._wait_for_gate()
        momentum = history.close.pct_change(self.params.lookback, fill_method=None)
        ranks = momentum.rank(axis=1, pct=True)
        return (ranks * 2.0 - 1.0).clip(-1.0, 1.0)
