"""Exact quantities and money.

Quantities and money are ``Decimal`` everywhere. The store keeps them as integers scaled by
``10**SCALE`` ("micro-units") so that SQLite and PostgreSQL compare and sum them exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from onhand.domain.errors import InvalidInput

SCALE = 6
FACTOR = 10**SCALE
# Every quantity, moved or held as a balance, stays below this (in micro-units: 10**18). Twice
# the limit still fits a signed 64-bit integer, so the guards that keep balances in range can
# compute ``limit - delta`` without overflowing.
MAX_QUANTITY = Decimal(10**12)
BALANCE_LIMIT = 10**12 * FACTOR


def decimals_of(value: Decimal) -> int:
    """Number of digits after the decimal point that carry information (trailing zeros don't)."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def parse_decimal(raw: object, *, field: str) -> Decimal:
    """A finite Decimal from a str/int/Decimal; floats are refused by the API layer earlier."""
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field} {raw!r} is not a number", code="invalid_number") from None
    if not value.is_finite():
        raise InvalidInput(f"{field} must be a finite number", code="invalid_number")
    return value


def check_quantity(value: Decimal, *, precision: int, uom: str, field: str = "quantity") -> Decimal:
    """Validate a moved quantity: positive, within range, at most ``precision`` decimals."""
    if not value.is_finite():
        raise InvalidInput(f"{field} must be a finite number", code="invalid_number")
    if value <= 0:
        raise InvalidInput(
            f"{field} must be greater than zero, got {value}", code="quantity_not_positive"
        )
    if value >= MAX_QUANTITY:
        raise InvalidInput(f"{field} {value} is too large", code="quantity_too_large")
    if decimals_of(value) > precision:
        raise InvalidInput(
            f"{field} {value} has more decimals than unit {uom!r} allows ({precision})",
            code="quantity_precision",
            precision=precision,
        )
    return value


def to_micro(value: Decimal) -> int:
    """Decimal -> scaled integer; the caller has checked precision <= SCALE."""
    return int(value.scaleb(SCALE).to_integral_exact())


def from_micro(value: int, precision: int = SCALE) -> Decimal:
    """Scaled integer -> Decimal quantized to ``precision`` decimals."""
    d = Decimal(value).scaleb(-SCALE)
    return d.quantize(Decimal(1).scaleb(-precision))


def micro_text(value: int) -> str:
    """Scaled integer -> plain decimal text for messages, without trailing zeros ("2.5", "10")."""
    return format(Decimal(value).scaleb(-SCALE).normalize(), "f")


def check_money(value: Decimal, *, field: str = "unit_cost") -> Decimal:
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{field} must be zero or a positive number", code="invalid_money")
    if value >= MAX_QUANTITY:
        raise InvalidInput(f"{field} {value} is too large", code="invalid_money")
    if decimals_of(value) > SCALE:
        raise InvalidInput(f"{field} {value} has more than {SCALE} decimals", code="invalid_money")
    return value
