"""Quantities are exact decimals: parsing, precision, limits and the micro-unit round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import (
    BALANCE_LIMIT,
    FACTOR,
    MAX_QUANTITY,
    SCALE,
    check_money,
    check_quantity,
    decimals_of,
    from_micro,
    parse_decimal,
    to_micro,
)


def code_of(fn: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(InvalidInput) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    return info.value.code


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 0), ("5.0", 0), ("5.10", 1), ("0.001", 3), ("1E+3", 0), ("1.5E-4", 5), ("-2.25", 2)],
)
def test_trailing_zeros_and_exponents_do_not_count_as_decimals(text: str, expected: int) -> None:
    assert decimals_of(Decimal(text)) == expected


@pytest.mark.parametrize("raw", ["abc", "", "1,5", "1.2.3", "0x10", "five", None, True, [1]])
def test_a_value_that_is_not_a_number_is_refused_with_a_clear_code(raw: object) -> None:
    assert code_of(parse_decimal, raw, field="quantity") == "invalid_number"


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-inf", "sNaN"])
def test_non_finite_numbers_are_refused(raw: str) -> None:
    assert code_of(parse_decimal, raw, field="quantity") == "invalid_number"


def test_numbers_parse_exactly_from_strings_ints_and_decimals() -> None:
    assert parse_decimal(" 1.25 ", field="q") == Decimal("1.25")
    assert parse_decimal(7, field="q") == Decimal(7)
    assert parse_decimal(Decimal("0.1"), field="q") == Decimal("0.1")
    # A float is never involved: the decimal string is taken as written.
    assert parse_decimal("0.1", field="q") + parse_decimal("0.2", field="q") == Decimal("0.3")


@pytest.mark.parametrize("value", ["0", "-1", "-0.001", "0.000"])
def test_zero_and_negative_quantities_are_refused(value: str) -> None:
    assert code_of(check_quantity, Decimal(value), precision=3, uom="kg") == "quantity_not_positive"


def test_a_quantity_with_more_decimals_than_the_unit_allows_is_refused_and_says_so() -> None:
    with pytest.raises(InvalidInput) as info:
        check_quantity(Decimal("1.25"), precision=1, uom="kg")
    assert info.value.code == "quantity_precision"
    assert "kg" in info.value.message
    assert "(1)" in info.value.message
    assert info.value.extra == {"precision": 1}
    assert code_of(check_quantity, Decimal("1.5"), precision=0, uom="ea") == "quantity_precision"


def test_trailing_zeros_beyond_the_precision_are_accepted() -> None:
    assert check_quantity(Decimal("2.500000"), precision=1, uom="kg") == Decimal("2.500000")
    assert check_quantity(Decimal("3E+2"), precision=0, uom="ea") == Decimal(300)


def test_quantities_at_or_above_the_limit_are_refused() -> None:
    just_below = MAX_QUANTITY - Decimal("0.000001")
    assert check_quantity(just_below, precision=6, uom="kg") == just_below
    assert code_of(check_quantity, MAX_QUANTITY, precision=6, uom="kg") == "quantity_too_large"
    assert code_of(check_quantity, Decimal("1E+30"), precision=0, uom="ea") == "quantity_too_large"


def test_a_tiny_exponent_is_a_precision_error_not_a_crash() -> None:
    assert code_of(check_quantity, Decimal("1E-999999"), precision=6, uom="g") == (
        "quantity_precision"
    )


def test_twice_the_balance_limit_still_fits_a_signed_64_bit_integer() -> None:
    # The balance guards compute limit - delta with |delta| < limit.
    assert to_micro(MAX_QUANTITY) == BALANCE_LIMIT
    assert 2 * BALANCE_LIMIT < 2**63


@given(
    st.decimals(
        min_value=Decimal("0.000001"),
        max_value=MAX_QUANTITY - 1,
        places=SCALE,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_micro_units_round_trip_every_valid_quantity_exactly(value: Decimal) -> None:
    micro = to_micro(value)
    assert isinstance(micro, int)
    assert micro == value * FACTOR
    assert from_micro(micro) == value
    assert from_micro(micro, SCALE) == value


@given(st.integers(min_value=-(10**18), max_value=10**18), st.integers(min_value=0, max_value=6))
def test_from_micro_shows_the_units_precision(micro: int, precision: int) -> None:
    shown = from_micro(micro, precision)
    assert decimals_of(shown) <= precision
    exponent = shown.as_tuple().exponent
    assert exponent == -precision


def test_money_is_non_negative_with_at_most_six_decimals() -> None:
    assert check_money(Decimal("0")) == 0
    assert check_money(Decimal("12.345678")) == Decimal("12.345678")
    assert code_of(check_money, Decimal("-0.01")) == "invalid_money"
    assert code_of(check_money, Decimal("0.0000001")) == "invalid_money"
    assert code_of(check_money, Decimal("NaN")) == "invalid_money"
    assert code_of(check_money, MAX_QUANTITY) == "invalid_money"
