"""Price increments (SEC Rule 612 as Alpaca applies it): prices of $1.00 and above move in
cents, prices below $1.00 in hundredths of a cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONE = Decimal(1)
CENT = Decimal("0.01")
SUB_CENT = Decimal("0.0001")


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """A Decimal of what was written (a float through its shortest repr, not its binary value)."""
    return value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))


def increment(price: Decimal) -> Decimal:
    return CENT if price >= ONE else SUB_CENT


def is_valid_price(price: Decimal) -> bool:
    return price > 0 and price == price.quantize(increment(price))


def round_price(price: Decimal | float | int | str) -> Decimal:
    """The nearest valid price (half up), never below the smallest increment. Idempotent: a
    price that crosses $1.00 by rounding lands on a whole cent, which is valid above $1.00."""
    value = to_decimal(price)
    rounded = value.quantize(increment(value), rounding=ROUND_HALF_UP)
    if rounded >= ONE:
        rounded = rounded.quantize(CENT, rounding=ROUND_HALF_UP)
    return max(rounded, SUB_CENT)


def plain(number: Decimal) -> str:
    """A number as a venue prints it: no exponent, no trailing zeros (``10``, ``0.9998``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text
