"""The snapshot a venue judges an order against: cash, positions, open orders, latest trades.

Built by each adapter from its own state (backtrader's broker, the sandbox's account) right
before a submission; the rules read nothing else, so both venues answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from framework.enums import OrderSide, OrderType
from framework.memo import cached_property
from framework.orders import Order

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class AssetFlags:
    """What Alpaca's asset record says about a symbol (``GET /v2/assets/{symbol}``)."""

    tradable: bool = True
    marginable: bool = True
    shortable: bool = True
    easy_to_borrow: bool = True
    fractionable: bool = True


#: What a book says of a symbol it has no asset record for (frozen: one value serves every check).
PLAIN_ASSET = AssetFlags()


class BookPosition(NamedTuple):
    """A held position as the venue marks it (a named tuple: every book builds one per holding
    per bar, and a tuple costs a third of a frozen dataclass to make)."""

    qty: Decimal  # signed: negative is short
    last_price: Decimal  # its latest trade: what it is marked at


@dataclass(frozen=True, slots=True)
class BookOrder:
    """An open order as the rules see it: what is left of it, and at what price."""

    order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    remaining_qty: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None

    def __hash__(self) -> int:
        """By id alone (equal orders share it; :func:`~framework.venue.buying_power.buying_power`'s
        memo hashes every open order of every check): the generated hash hashes all seven fields."""
        return hash(self.order_id)

    @classmethod
    def of(cls, order: Order) -> BookOrder:
        qty = order.qty  # remaining_qty, read once
        return cls(
            order.broker_order_id or order.client_order_id,
            order.symbol,
            order.side,
            order.type,
            ZERO if qty is None else qty - order.filled_qty,
            order.limit_price,
            order.stop_price,
        )


class OrderValues(dict[BookOrder, Decimal]):
    """Each open order's buying-power value, and the open orders last totted up with their total.

    The books of one account version share it (:meth:`VenueBook.with_orders`). A decision sends
    its orders one by one, each judged against the open orders so far: the orders of the next
    book are the last total's orders and one more, so only the new ones are added to the total
    (the same Decimal additions in the same order as a full pass: the same total)."""

    __slots__ = ("held", "totalled")

    def __init__(self) -> None:
        super().__init__()
        self.totalled: tuple[BookOrder, ...] = ()
        self.held = ZERO


@dataclass(frozen=True)
class VenueBook:
    """The account at one instant. Positions are marked at their latest trade; ``prices`` holds
    the latest trade of any other symbol a check may need (on order, or being ordered)."""

    cash: Decimal
    positions: Mapping[str, BookPosition] = field(default_factory=dict)
    open_orders: tuple[BookOrder, ...] = ()
    prices: Mapping[str, Decimal] = field(default_factory=dict)
    market_open: bool = False
    assets: Mapping[str, AssetFlags] = field(default_factory=dict)
    now: datetime | None = None  # the venue's time, where the book is the venue's own (auction cut-offs)

    def position_qty(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.qty if pos is not None else ZERO

    def price(self, symbol: str) -> Decimal | None:
        """The latest trade; None when nothing is known."""
        pos = self.positions.get(symbol)
        return pos.last_price if pos is not None else self.prices.get(symbol)

    def asset(self, symbol: str) -> AssetFlags:
        return self.assets.get(symbol) or PLAIN_ASSET

    @cached_property
    def _values(self) -> tuple[Decimal, Decimal, Decimal]:
        """Long value, short value and equity: every rule of every check reads them, and every
        book :meth:`with_orders` makes shares them (same cash, same positions)."""
        long = shorts = ZERO  # the very additions ``sum`` makes, in one pass
        for p in self.positions.values():
            value = p.qty * p.last_price
            if value > 0:
                long += value
            elif value < 0:
                shorts += value
        short = -shorts
        return long, short, self.cash + long - short

    @property
    def long_value(self) -> Decimal:
        return self._values[0]

    @property
    def short_value(self) -> Decimal:
        """Market value of the shorts, as a positive number."""
        return self._values[1]

    @property
    def equity(self) -> Decimal:
        return self._values[2]

    @cached_property
    def _by_symbol(self) -> dict[str, list[BookOrder]]:
        """The open orders by symbol, in their order: one pass a book, then each rule's lookup
        costs the orders of its symbol alone (not every open order of the account)."""
        index: dict[str, list[BookOrder]] = {}
        for o in self.open_orders:
            found = index.get(o.symbol)
            if found is None:
                index[o.symbol] = [o]
            else:
                found.append(o)
        return index

    def orders_for(self, symbol: str) -> list[BookOrder]:
        return list(self._by_symbol.get(symbol, ()))

    @cached_property
    def order_values(self) -> OrderValues:
        """Memo of each open order's buying-power value, filled by
        :func:`framework.venue.buying_power.buying_power`: a value depends on the order, the
        positions and the prices alone, which every book :meth:`with_orders` makes shares."""
        return OrderValues()

    @cached_property
    def gross_values(self) -> dict[int, Decimal]:
        """Memo of the gross buying power by multiplier (cash and positions alone: shared like
        :attr:`order_values`)."""
        return {}

    def with_orders(self, orders: tuple[BookOrder, ...]) -> VenueBook:
        """This account with other open orders (the valuation of its positions, and the values
        of the orders already valued, are kept)."""
        # a field copy, not dataclasses.replace: every order's check builds one (no __post_init__
        # to run; the fields were set when this book was built)
        new = object.__new__(type(self))
        mine, theirs = self.__dict__, new.__dict__
        for name in _FIELDS:
            theirs[name] = mine[name]
        theirs["open_orders"] = orders
        for shared in _SHARED:
            if shared in mine:
                theirs[shared] = mine[shared]
        return new

    def without(self, order_id: str) -> VenueBook:
        """This book as if ``order_id`` were not open (a replacement is judged without the order
        it replaces)."""
        return self.with_orders(tuple(o for o in self.open_orders if o.order_id != order_id))


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(VenueBook))
#: The caches that depend on the cash and positions alone: a book with other orders keeps them.
_SHARED = ("_values", "order_values", "gross_values")
