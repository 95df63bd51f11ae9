"""Stops: where each position's stop is, and the one protective order per position that rests at it.

**The level** (pure): the tighter of ``risk.stop_loss`` below the average cost and
``risk.trailing_stop`` below the best close since entry (above, for shorts). The same level is used
everywhere: a position whose decision price has crossed it is exited at the next open (checked on
each bar, whatever the venue), and a venue with native stops holds a stop order at it, so an
intraday break is caught too. Setting both stops arms one order, never two.

**The protective order** (:class:`StopManager`, I/O through the order manager): at most one per
position, for its whole quantity, at the level rounded to the venue's increment; raised (replaced)
as the level rises; GTC for whole shares, DAY for fractional quantities (a venue refuses fractional
GTC stops), re-armed every session. A venue holds the shares of an open stop, so before any sale the
stop is canceled (exit) or replaced down to what the sale leaves (trim), and the sale goes out only
once the venue confirms it. Client ids are built from (session, symbol, purpose), never from a
position in a list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np

from framework.config.execution import RiskConfig
from framework.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from framework.order_manager import OrderManager
from framework.orders import PROTECTIVE_TAG, Order, is_protective, make_client_order_id
from framework.risk.decisions import Reason

log = logging.getLogger(__name__)

TAG = PROTECTIVE_TAG
PURPOSE = "stop"


# -- the level (pure) ---------------------------------------------------------------------------


def configured(cfg: RiskConfig) -> bool:
    return cfg.stop_loss is not None or cfg.trailing_stop is not None


def stop_levels(held: np.ndarray, avg_cost: np.ndarray, high_water: np.ndarray, cfg: RiskConfig) -> np.ndarray:
    """Each position's stop level (NaN: flat, or no stop configured)."""
    nan = np.full(len(held), np.nan)
    if not configured(cfg):
        return nan
    direction = np.sign(held)
    fixed = avg_cost * (1 - direction * cfg.stop_loss) if cfg.stop_loss is not None else nan
    trail = high_water * (1 - direction * cfg.trailing_stop) if cfg.trailing_stop is not None else nan
    both = np.vstack([fixed, trail])
    with np.errstate(all="ignore"):  # all-NaN columns are the flat positions
        long_level = np.fmax(both[0], both[1])
        short_level = np.fmin(both[0], both[1])
    level = np.where(direction > 0, long_level, short_level)
    return np.where((direction != 0) & (level > 0), level, np.nan)


def stop_reason(held: np.ndarray, avg_cost: np.ndarray, levels: np.ndarray, cfg: RiskConfig) -> list[Reason]:
    """Which rule sets each level: the trailing stop when it is the tighter one."""
    if cfg.stop_loss is None:
        return [Reason.TRAILING_STOP] * len(levels)
    fixed = avg_cost * (1 - np.sign(held) * cfg.stop_loss)
    return [Reason.STOP_LOSS if abs(level - f) < 1e-12 else Reason.TRAILING_STOP for level, f in zip(levels, fixed,
                                                                                                   strict=True)]


def stop_hits(held: np.ndarray, prices: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Positions whose decision price has crossed their stop level."""
    direction = np.sign(held)
    with np.errstate(invalid="ignore"):
        return (direction != 0) & np.isfinite(prices) & np.isfinite(levels) & (direction * (prices - levels) <= 0)


# -- the protective orders (I/O) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Guarded:
    """A held position as the stop manager needs it."""

    symbol: str
    qty: Decimal  # signed
    level: float  # NaN: no stop
    price: Decimal | None  # decision price (recorded on the order)


@dataclass(frozen=True, slots=True)
class Terms:
    """What a protective order for a position should say (what :func:`_same` compares): a
    standing order saying it is kept, and no order is built."""

    type: OrderType
    side: OrderSide
    qty: Decimal
    stop_price: Decimal
    limit_price: Decimal | None
    time_in_force: TimeInForce


@dataclass
class Clearance:
    """What may be sold now, after the protective orders were withdrawn or resized."""

    sellable: dict[str, Decimal] = field(default_factory=dict)  # symbol -> quantity cleared to trade
    blocked: dict[str, str] = field(default_factory=dict)  # symbol -> why the sale waits
    stopped: dict[str, Decimal] = field(default_factory=dict)  # symbol -> shares the stop sold meanwhile


class StopManager:
    def __init__(
        self,
        orders: OrderManager,
        config: RiskConfig,
        *,
        strategy: str,
        run_id: str,
        round_price: Callable[[float], Decimal],
        is_fractional: Callable[[Decimal], bool],
        native: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.orders, self.config = orders, config
        self.strategy, self.run_id = strategy, run_id
        self.round_price, self.is_fractional = round_price, is_fractional
        self.native = native and configured(config)
        self._clock = clock

    # -- standing orders -----------------------------------------------------------------

    def standing(self) -> dict[str, list[Order]]:
        found: dict[str, list[Order]] = {}
        for order in self.orders.open_orders():
            if is_protective(order):
                found.setdefault(order.symbol, []).append(order)
        return found

    def _client_id(self, session: datetime, symbol: str) -> str:
        """(session, symbol, purpose); a second protective order for the symbol in one session
        (after a stop was replaced for a sale) takes the next generation."""
        generation = 1
        while True:
            purpose = PURPOSE if generation == 1 else f"{PURPOSE}{generation}"
            cid = make_client_order_id(self.strategy, self.run_id, session, symbol, purpose)
            if cid not in self.orders.orders:
                return cid
            generation += 1

    def _terms(self, position: Guarded) -> Terms:
        qty = abs(position.qty)
        side = OrderSide.SELL if position.qty > 0 else OrderSide.BUY
        tif = TimeInForce.DAY if self.is_fractional(qty) else TimeInForce.GTC
        offset = self.config.stop_limit_offset_bps
        # a stop-limit's limit sits beyond the stop (below it for a sale): it bounds the fill
        # price on a gap, at the cost of no fill when the price runs through the limit
        stop = self.round_price(position.level)
        limit = None if offset is None else self.round_price(float(stop) * (1 + offset / 1e4 * side.sign))
        return Terms(OrderType.STOP if limit is None else OrderType.STOP_LIMIT, side, qty, stop, limit, tif)

    def _desired(self, session: datetime, position: Guarded, terms: Terms | None = None) -> Order:
        t = terms or self._terms(position)
        return Order(
            client_order_id=self._client_id(session, position.symbol),
            symbol=position.symbol,
            side=t.side,
            type=t.type,
            qty=t.qty,
            stop_price=t.stop_price,
            limit_price=t.limit_price,
            time_in_force=t.time_in_force,
            created_at=self._clock(),
            decision_price=position.price,
            tag=TAG,
        )

    # -- before a sale -------------------------------------------------------------------

    def clear_for_sale(self, sales: dict[str, Decimal]) -> Clearance:
        """``sales``: symbol -> quantity to sell toward zero. Each symbol's protection is canceled
        and the venue must confirm it (its shares are held for the stop until then) before the
        symbol is cleared; a stop that fired meanwhile reduces what is left to sell. What the sale
        leaves is protected again by :meth:`refresh`, once the sale is out."""
        out = Clearance()
        if not sales:  # nothing sold: nothing to clear (no look at the standing orders)
            return out
        standing = self.standing()
        for symbol, qty in sorted(sales.items()):
            stopped = Decimal(0)
            confirmed = True
            for guard in standing.get(symbol, []):
                final = self.orders.cancel_and_confirm(guard)
                stopped += final.filled_qty - guard.filled_qty  # fills before this are in the holding already
                confirmed = confirmed and not final.is_open
            if stopped:
                out.stopped[symbol] = stopped
            if not confirmed:
                out.blocked[symbol] = "the venue has not confirmed the protective order's cancel"
            elif qty - stopped > 0:
                out.sellable[symbol] = qty - stopped
        return out

    # -- after the decision's orders -----------------------------------------------------

    def refresh(
        self, session: datetime, positions: list[Guarded], selling: dict[str, Decimal], stopped: set[str]
    ) -> list[Order]:
        """One protective order per held position, at its level, for what is held less what is
        being sold (a pending buy is protected from the next decision, once it is held); withdraw
        the ones whose position is gone and any duplicate. ``stopped``: symbols whose stop fired
        during this decision (the position is changing under us: the next decision re-arms)."""
        if not self.native:
            return []
        standing = self.standing()
        armed: list[Order] = []
        held = {p.symbol for p in positions}
        for position in positions:
            guards = standing.get(position.symbol, [])
            for extra in guards[1:]:  # never two protective orders for one position
                self.orders.cancel(extra)
            current = guards[0] if guards else None
            protect = abs(position.qty) - selling.get(position.symbol, Decimal(0))
            if position.symbol in stopped or position.level != position.level:
                continue
            if protect <= 0:
                if current is not None:
                    self.orders.cancel(current)
                continue
            sign = Decimal(1) if position.qty > 0 else Decimal(-1)
            guarded = Guarded(position.symbol, sign * protect, position.level, position.price)
            terms = self._terms(guarded)
            if current is not None and _same(current, terms):
                continue  # standing as wanted: no order to build
            want = self._desired(session, guarded, terms)
            if current is not None:
                final = self.orders.cancel_and_confirm(current)
                if final.is_open:
                    log.warning("protective order %s for %s not confirmed canceled; keeping it",
                                current.client_order_id, position.symbol)
                    continue
                if final.filled_qty:
                    continue  # the stop fired: the position is changing under us; next bar re-arms
            armed.append(self.orders.submit(want, session).order)
        for symbol, guards in standing.items():
            if symbol not in held:
                for guard in guards:  # position gone: its protection goes too
                    self.orders.cancel(guard)
        return armed

    def rearm_missing(self, session: datetime, positions: list[Guarded], selling: dict[str, Decimal]) -> list[Order]:
        """A protective order for each held position that has none (cancelled since the decision
        by a person or the venue), for what is held less what is being sold; a standing one is
        left as it is (nothing is re-decided). Used by a re-run of a session already traded."""
        if not self.native:
            return []
        standing = self.standing()
        armed: list[Order] = []
        for position in positions:
            if position.symbol in standing or position.level != position.level:
                continue
            protect = abs(position.qty) - selling.get(position.symbol, Decimal(0))
            if protect <= 0:
                continue
            sign = Decimal(1) if position.qty > 0 else Decimal(-1)
            want = self._desired(session, Guarded(position.symbol, sign * protect, position.level, position.price))
            armed.append(self.orders.submit(want, session).order)
        return armed


def _same(order: Order, want: Order | Terms) -> bool:
    return (
        order.status is not OrderStatus.CREATED
        and order.type is want.type
        and order.side is want.side
        and order.qty == want.qty
        and order.stop_price == want.stop_price
        and order.limit_price == want.limit_price
        and order.time_in_force is want.time_in_force
    )
