"""Costs on backtrader: commission and fees from the venue model, slippage through bt's settings.

backtrader splits an execution that flips a position into a closing and an opening bit and asks
for each bit's commission; a venue charges an order execution once (the $1 minimum once, the
TAF cap once), so :class:`VenueCommission` charges the bits of one execution their increments
of the whole execution's cost.
"""

from __future__ import annotations

import backtrader as bt

from framework.enums import OrderSide
from framework.venue import Venue


class VenueCommission(bt.CommInfoBase):
    """Stock-like, no interest: the venue's commission plus regulatory fees per execution."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED), ("venue", None))

    def __init__(self) -> None:
        super().__init__()
        self._charged: float | None = None  # shares already charged in the execution under way

    def one_execution(self) -> VenueCommission:
        """Within this block (``with info.one_execution():``) the bits asked for belong to one
        execution and are charged once. The scheme is its own context manager: every fill
        opens one, and a generator-based one costs several times the two assignments."""
        return self

    def __enter__(self) -> None:
        self._charged = 0.0

    def __exit__(self, *_exc: object) -> None:
        self._charged = None

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        venue: Venue = self.p.venue
        side = OrderSide.BUY if size > 0 else OrderSide.SELL
        if self._charged is None:
            return venue.charges(size, price, side)
        before = self._charged
        self._charged = before + abs(size)
        return venue.charges(self._charged, price, side) - venue.charges(before, price, side)


def configure_broker(broker: bt.brokers.BackBroker, venue: Venue, cash: float, volume_cap: float | None) -> None:
    """Cash, the venue's costs, and the fill settings every backtest runs with."""
    broker.setcash(cash)
    broker.addcommissioninfo(VenueCommission(venue=venue))
    slip = {"slip_open": True, "slip_limit": True, "slip_match": True, "slip_out": False}
    if venue.slippage.mode == "percent":
        broker.set_slippage_perc(venue.slippage.value, **slip)
    else:
        broker.set_slippage_fixed(venue.slippage.value, **slip)
    broker.set_coc(True)  # only orders that ask for it (time_in_force=cls) fill at the close
    if volume_cap is not None:
        broker.set_filler(bt.broker.fillers.FixedBarPerc(perc=volume_cap * 100))
