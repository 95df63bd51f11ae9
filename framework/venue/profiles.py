"""Named venue profiles: what each charges and pays by default (the rules are the same for all).

- ``alpaca_paper`` (the default): Alpaca's paper account. Commission 0, no regulatory fees, no
  dividends (Alpaca's paper trading simulates neither), margin multiplier 2.
- ``alpaca_live``: a live Alpaca account. Commission 0, SEC + FINRA TAF fees on sells, cash
  dividends on ex-dates, multiplier 2 (``venue.margin_multiplier: 1`` for a cash account).
- ``per_share``: an IBKR-like per-share commission schedule (``venue.commission``), dividends
  paid, the same order rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.enums import VenueProfile


@dataclass(frozen=True, slots=True)
class ProfileTraits:
    charges_commission: bool
    charges_fees: bool
    pays_dividends: bool
    margin_multiplier: int


TRAITS: dict[VenueProfile, ProfileTraits] = {
    VenueProfile.ALPACA_PAPER: ProfileTraits(False, False, False, 2),
    VenueProfile.ALPACA_LIVE: ProfileTraits(False, True, True, 2),
    VenueProfile.PER_SHARE: ProfileTraits(True, False, True, 2),
}
