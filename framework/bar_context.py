"""What one decision sees, built once per bar and handed to every pure stage.

The engine reads its own books once, here, and hands the one read of the broker (the account's
buying power) as a question asked at most once, by the first stage that needs it: a decision that
grows no position (most bars) never asks. Signal processing, sizing, stop levels, risk and the
rebalance plan then do arithmetic on these arrays and no I/O. Every array is aligned to
``universe``: the bar's symbols widened with anything held or on order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from framework.arrays import nan_to_zero
from framework.memo import cached_property
from framework.universe import Universe


@dataclass(frozen=True, eq=False)
class BarContext:
    session: datetime  # the decision bar's session time (its New York midnight, in UTC)
    now: datetime  # the venue's clock at the decision
    universe: Universe
    prices: np.ndarray  # decision prices: the bar's close as traded; NaN = no price, not tradable
    marks: np.ndarray  # last known price of what we hold (NaN where nothing is known)
    volatility: np.ndarray  # trailing annualised volatility
    signals: np.ndarray  # the strategy's view at the bar; NaN = no view
    held: np.ndarray  # signed quantity held
    pending: np.ndarray  # signed quantity still to fill on open orders (protective orders excluded)
    avg_cost: np.ndarray  # average entry price of what is held (0 where flat)
    high_water: np.ndarray  # best mark since entry (lowest for shorts; 0 where flat)
    equity: float  # cash + positions at the decision prices (our books)
    buying_power_of: Callable[[], float]  # asks the venue what it grants for a new buy now (see buying_power)
    halted: bool
    rebalance: bool  # a rebalance decision (signals acted on) rather than a hold day
    opened: np.ndarray | None = None  # session each position was opened in (datetime64[D], NaT where flat)

    @cached_property
    def buying_power(self) -> float:
        """What the venue grants for a new buy now, asked once, at the first read: only a target
        that grows a position needs it (the risk runner's buying-power check). Nothing is sent
        before the plan is made, so a read made later in the decision sees the same account."""
        return float(self.buying_power_of())

    @cached_property
    def tradable(self) -> np.ndarray:
        return np.isfinite(self.prices)

    @cached_property
    def current(self) -> np.ndarray:
        """What we will hold if every open order fills: the base every target is compared to."""
        return self.held + self.pending

    @cached_property
    def values(self) -> np.ndarray:
        """Price to value each symbol at: today's price, else its last mark, else 0 (nothing held)."""
        return np.where(self.tradable, self.prices, nan_to_zero(self.marks))
