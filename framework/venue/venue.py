"""The venue: one profile's costs and Alpaca's order rules behind one frozen object.

Both simulated venues (the backtrader adapter and `trade sandbox`) hold one, built from
``settings.venue`` by :func:`venue_from_config`; the engine plans with the same object, so an
order the venue would refuse need never be sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from framework.config.venue import CommissionConfig, FeesConfig, SlippageConfig, VenueConfig
from framework.enums import OrderSide, VenueProfile
from framework.orders import Order
from framework.venue import costs
from framework.venue.book import ZERO, AssetFlags, VenueBook
from framework.venue.buying_power import (
    MIN_MARGIN_EQUITY,
    MarginFigures,
    buying_power,
    effective_multiplier,
    margin_figures,
    opening_qty,
)
from framework.venue.increments import round_price
from framework.venue.profiles import TRAITS
from framework.venue.rejection import Rejection
from framework.venue.reservations import closing_side, qty_available
from framework.venue.rules import Ticket, first_rejection, is_fractional, unit

MIN_ORDER_NOTIONAL = Decimal(1)
DEFAULT_SLIPPAGE = SlippageConfig()


@dataclass(frozen=True)
class Venue:
    profile: VenueProfile = VenueProfile.ALPACA_PAPER
    margin_multiplier: int = 2
    slippage: SlippageConfig = DEFAULT_SLIPPAGE
    schedule: CommissionConfig | None = None  # None: no commission
    fee_rates: FeesConfig | None = None  # None: no regulatory fees
    pays_dividends: bool = False
    hard_to_borrow: frozenset[str] = frozenset()
    min_order_notional: Decimal = MIN_ORDER_NOTIONAL

    # -- prices and quantities ------------------------------------------------------------

    def round_price(self, price: Decimal | float | int | str) -> Decimal:
        """The nearest price the venue accepts for a limit or stop."""
        return round_price(price)

    def is_fractional(self, qty: Decimal | None) -> bool:
        return is_fractional(qty)

    # -- rules ------------------------------------------------------------------------------

    def asset(self, book: VenueBook, symbol: str) -> AssetFlags:
        flags = book.asset(symbol)
        if symbol in self.hard_to_borrow and flags.easy_to_borrow:
            return AssetFlags(flags.tradable, flags.marginable, flags.shortable, False, flags.fractionable)
        return flags

    def multiplier(self, book: VenueBook) -> int:
        return effective_multiplier(book, self.margin_multiplier)

    def can_short(self, symbols: Sequence[str], equity: float) -> np.ndarray:
        """Which symbols the account may open shorts in: a margin account (multiplier 2, at least
        $2,000 of equity) and not hard to borrow (``rules.shortable``, planned before sending)."""
        margin = self.margin_multiplier >= 2 and Decimal(str(equity)) >= MIN_MARGIN_EQUITY
        return np.array([margin and s not in self.hard_to_borrow for s in symbols], dtype=bool)

    def ticket(self, order: Order, book: VenueBook) -> Ticket:
        qty = order.qty
        if qty is None and order.notional is not None:
            price = book.price(order.symbol)
            qty = order.notional / price if price else None
        position = book.position_qty(order.symbol)
        opening = ZERO if qty is None else opening_qty(order.side, qty, position)
        return Ticket(
            order=order,
            book=book,
            qty=qty,
            position=position,
            multiplier=self.multiplier(book),
            asset=self.asset(book, order.symbol),
            minimum=self.min_order_notional,
            closes=order.side is closing_side(position),
            opening=opening,
            # priced once: the minimum order values a buy by it, the buying power an opening
            unit=unit(order, book) if opening or order.side is OrderSide.BUY else None,
        )

    def check(self, order: Order, book: VenueBook) -> Rejection | None:
        """Every rule, in Alpaca's order: the first refusal, or None when the venue takes it."""
        return first_rejection(self.ticket(order, book))

    def buying_power(self, book: VenueBook) -> Decimal:
        """What the venue grants a new opening order (pending sells free nothing)."""
        return buying_power(book, self.multiplier(book))

    def margin(self, book: VenueBook) -> MarginFigures:
        return margin_figures(book, self.margin_multiplier)

    def qty_available(self, book: VenueBook, symbol: str) -> Decimal:
        return qty_available(book, symbol)

    # -- costs ------------------------------------------------------------------------------

    def commission(self, qty: float, price: float, side: OrderSide) -> float:
        """Commission for one order execution (a position flip is one execution)."""
        return 0.0 if self.schedule is None else costs.schedule_commission(qty, price, self.schedule)

    def fees(self, qty: float, price: float, side: OrderSide) -> float:
        return 0.0 if self.fee_rates is None else costs.regulatory_fees(qty, price, side, self.fee_rates)

    def charges(self, qty: float, price: float, side: OrderSide) -> float:
        """Everything one execution costs beyond its price: commission plus fees."""
        if self.schedule is None and self.fee_rates is None:
            return 0.0  # a venue charging neither (the default profile): nothing to work out per fill
        return self.commission(qty, price, side) + self.fees(qty, price, side)

    def slipped_price(
        self, price: float, side: OrderSide, *, low: float | None = None, high: float | None = None
    ) -> float:
        return costs.slipped_price(price, side, self.slippage, low=low, high=high)


def venue_from_config(cfg: VenueConfig) -> Venue:
    traits = TRAITS[cfg.profile]
    return Venue(
        profile=cfg.profile,
        margin_multiplier=cfg.margin_multiplier or traits.margin_multiplier,
        slippage=cfg.slippage,
        schedule=cfg.commission if traits.charges_commission else None,
        fee_rates=cfg.fees if traits.charges_fees else None,
        pays_dividends=traits.pays_dividends if cfg.dividends is None else cfg.dividends,
        hard_to_borrow=frozenset(cfg.hard_to_borrow),
    )
