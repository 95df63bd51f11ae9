"""A corporate action on the sandbox account at a session's open, before its fills: a split
rescales the holding (the cost basis stays; the exchange cancels the symbol's open orders), a
dividend is credited where the venue pays them.

The action's arithmetic is Alpaca's as the venue model states it (``framework.venue.corporate``);
the sandbox's data arithmetic (what its bars serve) stays its own, in ``adjusting.py``.
"""

from __future__ import annotations

from brokers.sandbox.ledger import Ledger
from framework.venue import ActionKind, CorporateAction, dividend_cash
from framework.venue.increments import to_decimal


def apply_action(ledger: Ledger, action: CorporateAction, *, pays_dividends: bool) -> None:
    held = ledger.positions.get(action.symbol)
    if held is None:
        return
    if action.kind is ActionKind.SPLIT:
        ledger.positions[action.symbol] = held.split(action.value)
    elif pays_dividends:
        ledger.cash += float(dividend_cash(to_decimal(held.qty), action.value))


__all__ = ["apply_action"]
