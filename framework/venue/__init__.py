"""The venue model: one broker-agnostic, pure description of where orders trade.

Profiles (``alpaca_paper`` by default, ``alpaca_live``, ``per_share``) set the economics
(commission, regulatory fees, dividends, margin); the rules are Alpaca's for every profile:
price increments, fractional orders, shortability, shares held for open orders, one order never
crossing from long to short, the $1 minimum, buying power checked at submission. The simulator
and the sandbox both enforce it; the engine plans within it.

    venue = venue_from_config(settings.venue)
    rejection = venue.check(order, book)     # Rejection | None, in Alpaca's order
"""

from framework.enums import Rule, VenueProfile
from framework.venue.book import AssetFlags, BookOrder, BookPosition, VenueBook
from framework.venue.buying_power import MarginFigures
from framework.venue.corporate import (
    ActionKind,
    CorporateAction,
    actions_on,
    actions_over,
    dividend_cash,
    split_quantity,
)
from framework.venue.rejection import Rejection
from framework.venue.venue import Venue, venue_from_config

__all__ = [
    "ActionKind",
    "AssetFlags",
    "BookOrder",
    "BookPosition",
    "CorporateAction",
    "MarginFigures",
    "Rejection",
    "Rule",
    "Venue",
    "VenueBook",
    "VenueProfile",
    "actions_on",
    "actions_over",
    "dividend_cash",
    "split_quantity",
    "venue_from_config",
]
