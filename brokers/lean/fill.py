"""The lean path's fill step: one market-order execution, priced by the venue model, booked with
backtrader's own position and cash arithmetic (so the two paths agree to the last bit).

What backtrader's ``BackBroker._execute`` does for a stock-like, unlevered, interest-free scheme
with ``shortcash`` on, and what :class:`brokers.backtrader.sim_broker.VenueBroker` adds (the cash
lent for one execution, one commission an execution): the order of float operations is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from backtrader.position import Position as BtPosition

from brokers.backtrader.sim_broker import _loan_for
from framework.enums import OrderSide
from framework.venue import Venue


@dataclass(frozen=True)
class Execution:
    size: float  # signed shares
    price: float
    commission: float


class Account:
    """Cash and positions as backtrader's broker keeps them (floats, its position type)."""

    def __init__(self, cash: float) -> None:
        self.cash = cash
        self.positions: dict[str, BtPosition] = {}  # first order's order: backtrader's valuation order

    def position(self, symbol: str) -> BtPosition:
        found = self.positions.get(symbol)
        if found is None:
            found = self.positions[symbol] = BtPosition()
        return found


def capped(remaining: float, volume: float, volume_cap: float | None) -> float:
    """What backtrader's ``FixedBarPerc(perc=volume_cap * 100)`` lets execute of ``remaining``
    signed shares on a bar of ``volume`` (all of it without a cap)."""
    if volume_cap is None:
        return remaining
    size = min((volume * (volume_cap * 100)) // 100, abs(remaining))
    return size if remaining > 0 else -size


def execute(account: Account, venue: Venue, symbol: str, size: float, price: float, remaining: float) -> Execution:
    """Book ``size`` signed shares (of ``remaining`` still to fill) at ``price``: cash, position,
    one commission for the execution."""
    side = OrderSide.BUY if remaining > 0 else OrderSide.SELL
    needed = abs(remaining) * price * 1.05 + 100.0
    loan = _loan_for(needed - account.cash) if remaining > 0 and account.cash < needed else 0.0
    before = account.cash
    account.cash += loan
    position = account.position(symbol)
    pprice_orig = position.price
    # backtrader prices on a pseudo-update (a copy) and then updates the position by the executed
    # size, which is ``size`` itself (opened + closed == size on every branch; nothing when 0):
    # one update does both
    _psize, _pprice, opened, closed = position.update(size, price)
    charged = 0.0
    cash = account.cash
    closedcomm = openedcomm = 0.0
    if closed:
        pnl = (-closed) * (price - pprice_orig) * 1.0  # profitandloss(-closed, ...), mult 1.0
        closedvalue = (-closed) * pprice_orig  # getvaluesize(-closed, pprice_orig): shortcash
        cash += closedvalue + pnl
        charged = abs(closed)
        closedcomm = venue.charges(charged, price, side) - venue.charges(0.0, price, side)
        cash -= closedcomm
        account.cash = cash
    if opened:
        openedvalue = opened * price
        opencash = openedvalue
        if openedvalue > 0:
            opencash /= 1.0
        cash -= opencash
        openedcomm = venue.charges(charged + abs(opened), price, side) - venue.charges(charged, price, side)
        cash -= openedcomm
        account.cash = cash
    execsize = closed + opened
    if not execsize:
        account.cash = before
        return Execution(0.0, price, 0.0)
    account.cash = account.cash - loan
    return Execution(execsize, price, closedcomm + openedcomm)
