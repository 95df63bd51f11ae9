"""Alpaca's extended-hours orders (``extended_hours: true``): which orders may carry the flag.

An order eligible for the pre-market and after-hours sessions must be a limit order with
``time_in_force: day`` (../shared/docs/ALPACA.md, "Fractional orders ... Extended hours: only
``day`` limit orders"; Alpaca's "Orders at Alpaca", Extended Hours Trading: "Only limit day orders
are eligible for extended hours"). Anything else carrying the flag is refused as an invalid order:
HTTP 422, code 42210000, "extended hours order must be DAY limit orders" (Alpaca's answer as its
users quote it; Alpaca documents the rule, not the text). Reports since mid-2026 quote a newer
answer, "... DAY or GTC limit orders": GTC extended-hours limits may now be accepted. We keep the
documented DAY-only rule (the stricter one: an order it takes, Alpaca takes either way) until our
own documentation says otherwise.

We send no extended-hours orders and no simulator fills in extended sessions: the rule is what
both venues refuse, so a plugin that sets the flag learns it from the backtest, not from Alpaca.
"""

from __future__ import annotations

from framework.enums import OrderType, Rule, TimeInForce
from framework.venue.rejection import Rejection, invalid

MESSAGE = "extended hours order must be DAY limit orders"


def refusal(order_type: OrderType, time_in_force: TimeInForce, extended_hours: bool) -> Rejection | None:
    """Alpaca's refusal of an order carrying ``extended_hours`` that is not a DAY limit (None: taken)."""
    if extended_hours and (order_type is not OrderType.LIMIT or time_in_force is not TimeInForce.DAY):
        return invalid(Rule.EXTENDED_HOURS, MESSAGE)
    return None


__all__ = ["MESSAGE", "refusal"]
