"""Orders: validated on construction, immutable, moved only along the transition table."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Self

from framework.enums import TERMINAL_STATUSES, OrderSide, OrderStatus, OrderType, TimeInForce
from framework.errors import IllegalTransition, InvalidOrder
from framework.serialization import WIRE, from_dict, from_json, to_decimal, to_dict, to_utc

S = OrderStatus

#: Every legal status step. Anything not listed raises :class:`IllegalTransition`.
#: Brokers may skip intermediate states (a polled order can jump from ``created`` straight to
#: ``filled``), so the table allows skipping forward, never stepping back out of a fill or out
#: of a terminal status.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.CREATED: frozenset({
        S.PENDING_NEW, S.ACCEPTED, S.NEW, S.ACCEPTED_FOR_BIDDING, S.HELD,
        S.PARTIALLY_FILLED, S.FILLED, S.REJECTED, S.CANCELED, S.EXPIRED,
    }),
    S.PENDING_NEW: frozenset({
        S.ACCEPTED, S.NEW, S.ACCEPTED_FOR_BIDDING, S.HELD, S.SUSPENDED, S.PARTIALLY_FILLED,
        S.FILLED, S.REJECTED, S.CANCELED, S.EXPIRED, S.PENDING_CANCEL, S.PENDING_REPLACE,
    }),
    S.ACCEPTED: frozenset({
        S.PENDING_NEW, S.NEW, S.ACCEPTED_FOR_BIDDING, S.HELD, S.SUSPENDED, S.PARTIALLY_FILLED,
        S.FILLED, S.REJECTED, S.CANCELED, S.EXPIRED, S.PENDING_CANCEL, S.PENDING_REPLACE,
        S.REPLACED, S.DONE_FOR_DAY,
    }),
    S.NEW: frozenset({
        S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED, S.DONE_FOR_DAY,
        S.PENDING_CANCEL, S.PENDING_REPLACE, S.REPLACED, S.STOPPED, S.SUSPENDED, S.HELD,
        S.CALCULATED,
    }),
    S.ACCEPTED_FOR_BIDDING: frozenset({
        S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED,
        S.PENDING_CANCEL,
    }),
    S.HELD: frozenset({
        S.NEW, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED,
        S.PENDING_CANCEL, S.PENDING_REPLACE, S.REPLACED,
    }),
    S.CALCULATED: frozenset({
        S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.DONE_FOR_DAY,
    }),
    S.SUSPENDED: frozenset({
        S.NEW, S.ACCEPTED, S.CANCELED, S.EXPIRED, S.REJECTED, S.PENDING_CANCEL,
    }),
    S.STOPPED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({
        S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.DONE_FOR_DAY, S.PENDING_CANCEL,
        S.PENDING_REPLACE, S.REPLACED, S.STOPPED, S.CALCULATED,
    }),
    S.DONE_FOR_DAY: frozenset({
        S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.PENDING_CANCEL,
    }),
    S.PENDING_CANCEL: frozenset({
        S.CANCELED, S.PARTIALLY_FILLED, S.FILLED, S.EXPIRED, S.NEW, S.HELD,
    }),
    S.PENDING_REPLACE: frozenset({
        S.REPLACED, S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.HELD,
    }),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REPLACED: frozenset(),
    S.REJECTED: frozenset(),
}

#: Time-in-force values each order type accepts (Alpaca's rules).
ALLOWED_TIF: dict[OrderType, frozenset[TimeInForce]] = {
    OrderType.MARKET: frozenset(TimeInForce),
    OrderType.LIMIT: frozenset(TimeInForce),
    OrderType.STOP: frozenset({TimeInForce.DAY, TimeInForce.GTC}),
    OrderType.STOP_LIMIT: frozenset({TimeInForce.DAY, TimeInForce.GTC}),
    OrderType.TRAILING_STOP: frozenset({TimeInForce.DAY, TimeInForce.GTC}),
}

_NEEDS_LIMIT = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_NEEDS_STOP = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-]{0,11}$")
MAX_CLIENT_ORDER_ID = 48


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[current]


def check_transition(current: OrderStatus, new: OrderStatus, *, order_id: str = "") -> None:
    if new not in TRANSITIONS[current]:  # can_transition, on every step of every order
        raise IllegalTransition(f"order {order_id}: {current.value} -> {new.value} is not allowed")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Order:
    """One order as the project sees it. Prices and quantities are Decimals.

    ``decision_price`` (close when the signal was made) and ``arrival_price`` (price when the
    order reached the broker) are carried so slippage is measured identically everywhere.
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType = OrderType.MARKET
    qty: Decimal | None = None
    notional: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    status: OrderStatus = OrderStatus.CREATED
    broker_order_id: str | None = None
    filled_qty: Decimal = Decimal(0)
    filled_avg_price: Decimal | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime | None = None
    decision_price: Decimal | None = None
    arrival_price: Decimal | None = None
    tag: str = ""

    def __post_init__(self) -> None:
        try:
            _normalise(self)
        except ValueError as e:
            raise InvalidOrder(f"order {self.client_order_id!r}: {e}") from None
        reason = self._problem()
        if reason:
            raise InvalidOrder(f"order {self.client_order_id!r} ({self.symbol}): {reason}")

    def _problem(self) -> str | None:
        return self._definition_problem() or self._state_problem()

    def _state_problem(self) -> str | None:
        """The invariants a change of state (status, fills, broker id) can break."""
        if self.filled_qty < 0 or (self.qty is not None and self.filled_qty > self.qty):
            return f"filled_qty {self.filled_qty} outside [0, qty]"
        return None

    def _definition_problem(self) -> str | None:
        if not 0 < len(self.client_order_id) <= MAX_CLIENT_ORDER_ID:
            return f"client_order_id must be 1-{MAX_CLIENT_ORDER_ID} characters"
        if not _SYMBOL.match(self.symbol or ""):
            return f"symbol {self.symbol!r} is not a valid ticker"
        if (self.qty is None) == (self.notional is None):
            return "exactly one of qty and notional is required"
        if self.qty is not None and self.qty <= 0:
            return f"qty must be > 0, got {self.qty}"
        if self.notional is not None:
            if self.notional <= 0:
                return f"notional must be > 0, got {self.notional}"
            if self.type not in (OrderType.MARKET, OrderType.LIMIT):
                return "notional orders must be market or limit"
            if self.time_in_force is not TimeInForce.DAY:
                return "notional orders must be time_in_force day"
        for name, needed in (("limit_price", self.type in _NEEDS_LIMIT),
                             ("stop_price", self.type in _NEEDS_STOP)):
            value = getattr(self, name)
            if needed and value is None:
                return f"{self.type.value} orders need a {name}"
            if not needed and value is not None:
                return f"{self.type.value} orders take no {name}"
            if value is not None and value <= 0:
                return f"{name} must be > 0, got {value}"
        trails = [v for v in (self.trail_price, self.trail_percent) if v is not None]
        if self.type is OrderType.TRAILING_STOP:
            if len(trails) != 1:
                return "trailing_stop orders need exactly one of trail_price and trail_percent"
            if trails[0] <= 0 or (self.trail_percent is not None and self.trail_percent >= 100):
                return "trail must be > 0 (and trail_percent < 100)"
        elif trails:
            return f"{self.type.value} orders take no trail"
        if self.time_in_force not in ALLOWED_TIF[self.type]:
            return f"time_in_force {self.time_in_force.value} is not allowed for {self.type.value}"
        # extended_hours on anything but a DAY limit is the venue's refusal, not a malformed
        # order (framework.venue.extended: both simulators refuse it as Alpaca does)
        return None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES  # OrderStatus.is_open, read on every update

    @property
    def remaining_qty(self) -> Decimal | None:
        return None if self.qty is None else self.qty - self.filled_qty

    @property
    def signed_qty(self) -> Decimal:
        return self.side.sign * (self.qty or Decimal(0))

    def transition(self, status: OrderStatus, **changes: Any) -> Order:
        """The order after a status step; raises :class:`IllegalTransition` off the table."""
        check_transition(self.status, status, order_id=self.client_order_id)
        changes["status"] = status  # the call's own dict
        return self._replaced(changes)

    def apply(self, view: Order, now: Callable[[], datetime]) -> Order:
        """This order after the broker's view of it (an acknowledgement, a look-up, a cancel's
        confirmation, a stream update), along :data:`TRANSITIONS`: the status only moves forward
        (a stale one is ignored), fills never shrink, our definition (tag, decision price) stays.
        ``self`` when nothing changed; ``now`` stamps a change the view carries no time for."""
        status = view.status if view.status in TRANSITIONS[self.status] else self.status  # can_transition
        broker_id = view.broker_order_id or self.broker_order_id
        filled = view.filled_qty if view.filled_qty > self.filled_qty else self.filled_qty
        avg = view.filled_avg_price or self.filled_avg_price
        arrival = view.arrival_price or self.arrival_price
        if (status, broker_id, filled, avg, arrival) == (
            self.status, self.broker_order_id, self.filled_qty, self.filled_avg_price, self.arrival_price
        ):
            return self
        updated = view.updated_at or now()
        if (status, broker_id, filled, avg, arrival, updated, view.tag, view.decision_price, view.created_at) == (
            view.status, view.broker_order_id, view.filled_qty, view.filled_avg_price, view.arrival_price,
            view.updated_at, self.tag, self.decision_price, self.created_at,
        ):  # and the view carries our own definition (a venue such as Alpaca knows none of it)
            return view  # the broker's view already is the merge (a simulator's, usually)
        changes = {"broker_order_id": broker_id, "filled_qty": filled, "filled_avg_price": avg,
                   "arrival_price": arrival, "updated_at": updated}
        if status is not self.status:
            return self.transition(status, **changes)
        return self.evolve(**changes)

    def evolve(self, **changes: Any) -> Order:
        """A copy with non-status fields changed (broker id, arrival price, ...)."""
        if "status" in changes:
            raise ValueError("use transition() to change status")
        return self._replaced(changes)

    def _replaced(self, changes: dict[str, Any]) -> Order:
        """``dataclasses.replace`` that coerces only what changed (the rest was validated when
        this order was built), then checks the invariants the change can break: all of them
        when the definition changes, the state's when only the state does."""
        state_only = changes.keys() <= _STATE_FIELDS  # a step of state (a transition, an update)
        if not state_only and not changes.keys() <= _FIELD_SET:
            raise TypeError(f"Order has no field(s) {sorted(changes.keys() - _FIELD_SET)}")
        try:
            new = _step(self, changes) if state_only else self._changed(changes)
        except ValueError as e:
            raise InvalidOrder(f"order {self.client_order_id!r}: {e}") from None
        # The definition was checked when this order was built; a change of state alone can
        # only break the state's invariants.
        reason = new._state_problem() if state_only else new._problem()
        if reason:
            raise InvalidOrder(f"order {self.client_order_id!r} ({self.symbol}): {reason}")
        return new

    def _changed(self, changes: dict[str, Any]) -> Order:
        """A copy with ``changes`` (of any fields) normalised, unchecked."""
        new = _copy(self)
        set_ = object.__setattr__
        for name, value in changes.items():
            typed = _TYPED_BY_NAME.get(name)
            if typed is not None and (value is not None or not typed[2]):
                value = typed[1](value, name)
            set_(new, name, value)
        return new

    # -- serialization ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return from_dict(cls, data)

    def to_json(self) -> str:
        """Same text as :func:`framework.serialization.to_json` (sorted keys, compact), built
        without the generic walk: orders are journaled on every decision (see :func:`_json_encoder`)."""
        return _to_json(self)

    def restored(self, **state: Any) -> Order:
        """This order in a journaled state (status, fills, broker id): a restore from the
        journal, not a step, so the transition table is not consulted; invariants still are."""
        unknown = state.keys() - _STATE_FIELDS
        if unknown:
            raise ValueError(f"not order state: {sorted(unknown)}")
        return self._replaced(state)

    @classmethod
    def from_json(cls, text: str) -> Self:
        return from_json(cls, text)


#: The tag of a protective order: a stop resting at the venue to guard a position. It only fills if
#: the stop is hit, so it never counts as pending quantity, never counts as adding risk, and no
#: sweep of old orders or halt cancels it.
PROTECTIVE_TAG = "protective"


def is_protective(order: Order) -> bool:
    return order.tag == PROTECTIVE_TAG


#: The tag of a delisting's close-out (market-on-close on its last session): the venue's own
#: act, which the venue's order rules do not judge.
DELISTING_TAG = "delisting"


def is_delisting(order: Order) -> bool:
    return order.tag == DELISTING_TAG


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Order))
_FIELD_SET = frozenset(_FIELD_NAMES)
#: The fields that change over an order's life; everything else is its definition.
_STATE_FIELDS = frozenset(
    {"status", "broker_order_id", "filled_qty", "filled_avg_price", "arrival_price", "updated_at"}
)
_OPTIONAL = frozenset(f.name for f in dataclasses.fields(Order) if f.default is None)  # `X | None = None`


def _decimal(value: object, name: str) -> Decimal:
    if type(value) is Decimal and value.is_finite():
        return value  # already normal (to_decimal's first case, without the second call)
    return to_decimal(value, field=name)


def _utc(value: object, name: str) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already normal (to_utc's first case, without the second call)
    return to_utc(value, field=name)  # type: ignore[arg-type]


def _enum(cls: type[Any]) -> Callable[[object, str], Any]:
    return lambda value, _name: value if type(value) is cls else cls(value)


_ENUM_OF: dict[str, type[Any]] = {
    "side": OrderSide, "type": OrderType, "time_in_force": TimeInForce, "status": OrderStatus,
}
#: How each typed field is normalised on construction (str and bool fields are taken as given).
_COERCE: dict[str, Callable[[Any, str], Any]] = {
    **{name: _enum(kind) for name, kind in _ENUM_OF.items()},
    **{name: _decimal for name in ("qty", "notional", "limit_price", "stop_price", "trail_price", "trail_percent",
                                    "filled_qty", "filled_avg_price", "decision_price", "arrival_price")},
    "created_at": _utc,
    "updated_at": _utc,
}


#: For each typed field, the test that its value is already normal (what its normaliser would
#: return unchanged), an expression of ``v``.
_NORMAL_IF: dict[Callable[[Any, str], Any], str] = {
    _decimal: "type(v) is Decimal and v.is_finite()",
    _utc: "type(v) is datetime and v.tzinfo is UTC",
}


#: (field, how to normalise it, may it be None) for every typed field, in declaration order.
_TYPED: tuple[tuple[str, Callable[[Any, str], Any], bool], ...] = tuple(
    (name, _COERCE[name], name in _OPTIONAL) for name in _FIELD_NAMES if name in _COERCE
)
_TYPED_BY_NAME = {entry[0]: entry for entry in _TYPED}


# The three functions below are written out field by field once, at import (``exec``, as
# ``dataclasses`` writes ``__init__``): an order is built, and moved to a new state twice or more,
# for every decision, and a loop over the fields' names costs several times the straight line.

#: What the generated functions read: each field's slot setter (``_set_<field>``), normaliser
#: (``_c_<field>``) and enum class (``_t_<field>``).
_GENERATED: dict[str, Any] = {
    "_new": object.__new__, "Order": Order, "Decimal": Decimal, "datetime": datetime, "UTC": UTC,
    **{f"_set_{name}": Order.__dict__[name].__set__ for name in _FIELD_NAMES},
    **{f"_c_{name}": coerce for name, coerce, _ in _TYPED},
    **{f"_t_{name}": kind for name, kind in _ENUM_OF.items()},
}


def _normal(name: str) -> str:
    """The test that ``v`` is already normal as field ``name`` (its normaliser would return it
    unchanged): the usual case, the engine builds and steps orders with typed values, costs one
    type test instead of a call to the normaliser."""
    typed = _TYPED_BY_NAME.get(name)
    if typed is None:  # a str or bool field: taken as given
        return "True"
    normal = _NORMAL_IF.get(typed[1], f"type(v) is _t_{name}")
    return f"v is None or {normal}" if typed[2] else normal


def _normalised(name: str) -> str:
    """``v`` normalised as field ``name``, an expression."""
    return f"v if {_normal(name)} else _c_{name}(v, {name!r})"


def _generated(source: str) -> Callable[..., Any]:
    namespace = dict(_GENERATED)
    exec(source, namespace)
    return namespace[source[4:source.index("(")]]  # type: ignore[no-any-return]


#: A field-for-field copy of an order, unchecked (what it copies was checked when the original was built).
_copy: Callable[[Order], Order] = _generated(
    "def copy(order):\n    new = _new(Order)\n"
    + "".join(f"    _set_{name}(new, order.{name})\n" for name in _FIELD_NAMES) + "    return new\n"
)

#: Every typed field of a new order normalised in place (an enum from its value, a Decimal from a
#: number or its text, a UTC time from an aware one or its ISO text).
_normalise: Callable[[Order], None] = _generated(
    "def normalise(order):\n"
    + "".join(f"    v = order.{name}\n    if not ({_normal(name)}):\n"
              f"        _set_{name}(order, _c_{name}(v, {name!r}))\n" for name, _, _ in _TYPED)
)

#: An order after a step of state: its definition copied as it is (checked when it was built), each
#: state field from ``changes`` (normalised) or as it was — a transition, not a validated copy.
_step: Callable[[Order, dict[str, Any]], Order] = _generated(
    "def step(order, changes):\n    new = _new(Order)\n    get = changes.get\n"
    + "".join(f"    _set_{name}(new, order.{name})\n" if name not in _STATE_FIELDS
              else f"    v = get({name!r}, order.{name})\n    _set_{name}(new, {_normalised(name)})\n"
              for name in _FIELD_NAMES)
    + "    return new\n"
)


def _json_kind(name: str) -> str:
    kind = _COERCE.get(name)
    if kind is _decimal:
        return "decimal"
    if kind is _utc:
        return "time"
    return "enum" if kind is not None else ""


_JSON_STRING = json.encoder.encode_basestring_ascii  # json.dumps' escaping of a str (ensure_ascii)
#: An enum member's JSON text ('"buy"'), one dict read instead of the enum's ``value`` property.
_JSON_ENUM = {member: _JSON_STRING(text) for member, text in WIRE.items()}



@lru_cache(maxsize=4096)
def _json_time(value: datetime) -> str:
    """A time's JSON text, once per time: the orders of a decision share their creation time.
    Memoised by the datetime alone, which is safe because every time field is UTC
    (:func:`_utc`): equal times have equal text."""
    return '"' + value.isoformat() + '"'


#: How each kind of field is written: an expression of ``v`` (the field's value), as the generic
#: codec writes it (``json.dumps`` of :func:`framework.serialization.to_dict`).
_JSON_OF_KIND = {
    "decimal": "'\"' + str(v) + '\"'",  # digits, sign, point, exponent: nothing to escape
    "time": "_json_time(v)",
    "enum": "_JSON_ENUM[v]",
    "": "('true' if v else 'false') if v is True or v is False else _JSON_STRING(v)",  # str and bool
}


def _json_encoder() -> Callable[[Order], str]:
    """:meth:`Order.to_json` as one generated expression over the fields in key order, each field's
    encoding chosen once here instead of per value (an order's definition is journaled once, with
    its intent; a loop testing each value's kind cost three times as much)."""
    parts = []
    for k, name in enumerate(sorted(_FIELD_NAMES)):
        key = ("{" if k == 0 else ",") + json.dumps(name) + ":"
        parts.append(f"    {key!r}, 'null' if (v := order.{name}) is None else {_JSON_OF_KIND[_json_kind(name)]},\n")
    namespace: dict[str, Any] = {"_JSON_ENUM": _JSON_ENUM, "_JSON_STRING": _JSON_STRING, "_json_time": _json_time}
    exec(f"def to_json(order):\n  return ''.join((\n{''.join(parts)}    '}}'))\n", namespace)
    return namespace["to_json"]  # type: ignore[no-any-return]


_to_json = _json_encoder()


@lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def make_client_order_id(strategy: str, run_id: str, bar_time: datetime, symbol: str, purpose: str) -> str:
    """Deterministic id from meaning — (strategy, run, decision session, symbol, purpose) — so the
    same decision always gets the same id whatever else it contains or in what order: a retry or
    a restart resubmits nothing new (the broker refuses a duplicate id, and we look it up first).

    Readable prefix for people, hash of every component for uniqueness; ≤ 48 characters.
    """
    key_prefix, stem_prefix = _id_prefixes(strategy, run_id, bar_time)
    digest = hashlib.sha256(f"{key_prefix}|{symbol}|{purpose}".encode()).hexdigest()[:12]
    stem = f"{stem_prefix}-{_slug(symbol)[:6]}-{_slug(purpose)[:8]}"
    return f"{stem[: MAX_CLIENT_ORDER_ID - 13]}-{digest}"


@lru_cache(maxsize=256)
def _id_prefixes(strategy: str, run_id: str, bar_time: datetime) -> tuple[str, str]:
    """The parts of a client id shared by every order of one decision."""
    when = to_utc(bar_time)
    return f"{strategy}|{run_id}|{when.isoformat()}", f"{_slug(strategy)[:8]}-{when:%Y%m%d}"
