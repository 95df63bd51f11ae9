"""Lossless dict/JSON codec for the domain's frozen dataclasses.

Decimals travel as strings (never floats), timestamps as ISO 8601 with their UTC offset,
enums as their wire value. ``from_dict(cls, to_dict(x)) == x`` for every domain value.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from functools import cache
from typing import Any, TypeVar

from framework import enums

T = TypeVar("T")

#: Each of the domain's enum members (:mod:`framework.enums`) → its wire value as a plain ``str``.
#: Where an order's life writes one (a journal row, an event), ``member.value`` is a descriptor
#: call (Enum's property, tens of thousands a backtest) and SQLite binds a ``str`` subclass
#: through its adapter look-up; this is one dict read.
WIRE: dict[StrEnum, str] = {
    member: member.value
    for kind in vars(enums).values() if isinstance(kind, type) and issubclass(kind, StrEnum) and kind is not StrEnum
    for member in kind
}


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """A Decimal from a Decimal, int, str or float (floats through their shortest repr)."""
    if type(value) is Decimal and value.is_finite():
        return value  # the common case, first
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"{field} must be a number, got {value!r}")
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{field} must be a number, got {value!r}") from None
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        raise ValueError(f"{field} must be a number, got {value!r}")
    if not result.is_finite():
        raise ValueError(f"{field} must be finite, got {value!r}")
    return result


def to_utc(value: datetime | str, *, field: str = "timestamp") -> datetime:
    """An aware UTC datetime; naive timestamps are refused rather than guessed."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # the common case, first
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError(f"{field} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Decimal:
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_dict(obj: Any) -> dict[str, Any]:
    """A JSON-safe dict of a domain dataclass."""
    return {name: _encode(getattr(obj, name)) for name in _field_names(type(obj))}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        (inner, *_) = typing.get_args(tp)
        return tuple(_decode(inner, v) for v in value)
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return tp(value)
        if tp is Decimal:
            return to_decimal(value)
        if tp is datetime:
            return to_utc(value)
        if dataclasses.is_dataclass(tp):
            return from_dict(tp, value)
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a domain dataclass from :func:`to_dict` output (validation runs again)."""
    hints = _hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
    kwargs = {name: _decode(hints[name], value) for name, value in data.items()}
    return cls(**kwargs)


def to_json(obj: Any) -> str:
    return json.dumps(to_dict(obj), sort_keys=True, separators=(",", ":"))


def from_json(cls: type[T], text: str) -> T:
    return from_dict(cls, json.loads(text))
