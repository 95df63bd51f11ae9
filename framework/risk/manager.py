"""The risk manager: the declared order of checks for one configuration, and the per-bar input.

Order matters and is fixed here: halt → penny stocks → exposure caps (position, sector, gross, net)
→ order notional → trade minimums → growth re-check → buying power → trade minimums → orders per
decision. Every check only moves targets toward the current position or toward zero. Undoing a
small trim can only leave a position where it already is, so the growth re-check after it scales
other positions' growth back until every cap holds again (against the cap, or the book's current
exposure where that is already higher); the second minimums pass only drops growth that buying
power shrank to a sliver, which never breaches anything. The runner keeps untradable symbols where
they are.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from framework.bar_context import BarContext
from framework.config.execution import OrdersConfig, RiskConfig, SizingConfig
from framework.risk.buying_power import BuyingPower
from framework.risk.exposure import GrossExposure, NetExposure, PositionWeight, SectorExposure
from framework.risk.halted import HaltedOnlyReduce
from framework.risk.minimums import MinimumTrade
from framework.risk.orders import GrowthRecheck, MaxOrders, OrderNotional
from framework.risk.prices import MinPrice
from framework.risk.runner import RiskCheck, RiskInput, RiskResult, RiskRunner
from framework.universe import Universe


def declared_checks(risk: RiskConfig, sizing: SizingConfig) -> list[RiskCheck]:
    return [
        HaltedOnlyReduce(),
        MinPrice(risk.min_price),
        PositionWeight(risk.max_position_weight),
        SectorExposure(risk.max_sector_exposure),
        GrossExposure(risk.max_gross_exposure),
        NetExposure(risk.max_net_exposure),
        OrderNotional(risk.max_order_notional),
        MinimumTrade(sizing),
        GrowthRecheck(risk.max_gross_exposure, risk.max_net_exposure, risk.max_sector_exposure),
        BuyingPower(),
        MinimumTrade(sizing),
        MaxOrders(risk.max_orders_per_cycle),
    ]


class RiskManager:
    def __init__(self, risk: RiskConfig, sizing: SizingConfig, sectors: Mapping[str, str],
                 orders: OrdersConfig | None = None) -> None:
        self.config, self.sizing = risk, sizing
        limits = orders is not None and orders.type == "limit"
        self.buy_markup = orders.limit_offset_bps / 1e4 if limits and orders is not None else None
        self.sectors = dict(sectors)
        self.runner = RiskRunner(declared_checks(risk, sizing))
        self._codes: dict[Universe, tuple[np.ndarray, int]] = {}

    def _sector_codes(self, universe: Universe) -> tuple[np.ndarray, int]:
        """Each symbol's sector as a small integer (computed once per universe)."""
        cached = self._codes.get(universe)
        if cached is None:
            names = [self.sectors.get(s, "Unknown") for s in universe.symbols]
            _, codes = np.unique(np.array(names, dtype=object), return_inverse=True)
            cached = self._codes[universe] = (codes.astype(np.intp), int(codes.max(initial=-1)) + 1)
        return cached

    def input(self, ctx: BarContext) -> RiskInput:
        codes, n_sectors = self._sector_codes(ctx.universe)
        return RiskInput(
            symbols=ctx.universe.symbols,
            current=ctx.current,
            prices=ctx.prices,
            values=ctx.values,
            equity=ctx.equity,
            buying_power_of=lambda: ctx.buying_power,  # the context's one read, when a check needs it
            halted=ctx.halted,
            sector_of=codes,
            n_sectors=n_sectors,
            fractional=self.sizing.fractional,
            buy_markup=self.buy_markup,
        )

    def check(self, requested: np.ndarray, ctx: BarContext) -> RiskResult:
        """Approved targets (aligned to the bar's universe) and one decision per change."""
        return self.runner.run(requested, self.input(ctx))
