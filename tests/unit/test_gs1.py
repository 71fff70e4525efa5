"""GS1 reading: check digits, element strings in raw and human-readable form, and the errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.gs1 import (
    GS,
    Gs1Error,
    as_gtin14,
    check_digit,
    element_string,
    expiry_date,
    gtin14,
    gtin_forms,
    looks_like_gs1,
    parse_scan,
)

TODAY = date(2026, 12, 2)


def scan(code: str):  # type: ignore[no-untyped-def]
    return parse_scan(code, today=TODAY)


def refused(code: str) -> Gs1Error:
    with pytest.raises(Gs1Error) as info:
        scan(code)
    return info.value


# Examples of the GS1 General Specifications and the GS1 DataMatrix Guideline --------------------------------------------------


def test_check_digit_of_the_specifications_gtin_13_example() -> None:
    # General Specifications 7.9.1, the check digit calculation: GTIN-13 629104150021 -> 3.
    assert check_digit("629104150021") == 3
    assert gtin14("6291041500213") == "06291041500213"


def test_check_digit_of_the_specifications_sscc_example() -> None:
    # The same section's SSCC: 37610425002123456 -> 9.
    assert check_digit("37610425002123456") == 9
    assert scan("(00)376104250021234569").sscc == "376104250021234569"


def test_the_datamatrix_guideline_element_string_in_human_readable_form() -> None:
    # GS1 DataMatrix Guideline 2.3 (human-readable interpretation).
    s = scan("(01)09501101020917(17)190508(10)ABCD1234(21)10")
    assert s.kind == "gs1"
    assert (s.gtin, s.lot, s.serial) == ("09501101020917", "ABCD1234", "10")
    assert s.expiry == date(2019, 5, 8)
    assert s.ais == {"01": "09501101020917", "17": "190508", "10": "ABCD1234", "21": "10"}


def test_the_same_element_string_raw_with_fnc1_and_a_symbology_identifier() -> None:
    # As the guideline encodes it: FNC1 01.. 17.. 10ABCD1234 FNC1 2110.
    for sym in ("]C1", "]d2", "]Q3", "]e0"):
        s = scan(f"{sym}0109501101020917171905081" + f"0ABCD1234{GS}2110")
        assert s.symbology == sym
        assert (s.gtin, s.lot, s.serial, s.expiry) == (
            "09501101020917",
            "ABCD1234",
            "10",
            date(2019, 5, 8),
        )


def test_net_weight_example_keeps_unknown_to_us_but_valid_ais_in_the_raw_list() -> None:
    s = scan("(01)95012345678903(3103)000123")
    assert s.gtin == "95012345678903"
    assert s.ais["3103"] == "000123"


def test_sscc_and_counts() -> None:
    s = scan(f"]C100106141411234567897{GS}37120")
    assert s.sscc == "106141411234567897"
    assert s.count == Decimal(120)
    assert scan("(02)09501101020917(37)5").count == Decimal(5)
    assert scan("(30)17").count == Decimal(17)


def test_a_leading_fnc1_marks_gs1_without_a_symbology_identifier() -> None:
    s = scan(f"{GS}0109501101020917{GS}10L1")
    assert (s.gtin, s.lot) == ("09501101020917", "L1")


def test_a_long_numeric_string_starting_with_01_is_read_as_gs1() -> None:
    assert scan("010950110102091717190508").expiry == date(2019, 5, 8)


# Bare GTINs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "gtin"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("96385074", "00000096385074"),  # EAN-8
        ("10614141123459", "10614141123459"),  # GTIN-14
    ],
)
def test_bare_gtins_are_normalised_to_gtin_14(code: str, gtin: str) -> None:
    s = scan(code)
    assert (s.kind, s.gtin) == ("gtin", gtin)
    assert code in gtin_forms(gtin)


def test_gtin_forms_lists_every_shorter_form_the_zeros_allow() -> None:
    assert gtin_forms("00000096385074") == [
        "00000096385074",
        "0000096385074",
        "000096385074",
        "96385074",
    ]
    assert gtin_forms("10614141123459") == ["10614141123459"]


def test_as_gtin14_is_none_for_anything_but_a_valid_gtin() -> None:
    assert as_gtin14("4006381333931") == "04006381333931"
    assert as_gtin14("4006381333932") is None
    assert as_gtin14("ABC") is None
    assert as_gtin14("１２３４５６７８") is None


def test_text_is_text() -> None:
    assert scan("WH1/A/01").kind == "text"
    assert scan("]C0INT-4711").kind == "text"
    assert scan("]C0INT-4711").symbology == "]C0"


# Errors --------------------------------------------------------------------------------------


def test_a_bad_check_digit_names_the_ai_and_position() -> None:
    e = refused("(17)190508(01)09501101020918")
    assert e.code == "gs1_check_digit"
    assert "(01)" in e.message
    assert "position 10" in e.message
    assert "expected 7" in e.message
    assert refused("4006381333932").code == "gs1_check_digit"
    assert refused("(00)376104250021234560").code == "gs1_check_digit"


def test_an_unknown_ai_is_named() -> None:
    e = refused("(01)09501101020917(23)12")
    assert e.code == "gs1_unknown_ai"
    assert "(23)" in e.message
    e = refused("]C10109501101020917" + "2312")
    assert (e.code, e.extra["position"]) == ("gs1_unknown_ai", 19)


@pytest.mark.parametrize(
    "code",
    [
        "(01)0950110102091",  # GTIN one digit short
        "]C1010950110102091",
        "(01)09501101020917(10)",  # lot without data
        f"]C10109501101020917{GS}10",
        "]C1010950110102091717",  # expiry cut off
        "]C101095011010209171",  # an AI cut off
        "]e0",
    ],
)
def test_a_truncated_string_says_so(code: str) -> None:
    assert refused(code).code == "gs1_truncated"


@pytest.mark.parametrize(
    "code",
    [
        "(17)191399",  # month 13
        "(17)190230",  # 30 February
        "(10)" + "A" * 21,  # lot longer than 20
        "(21)a b",  # a space is not in GS1's character set
        "(01)09501101020917(01)95012345678903",  # the same AI twice, different values
        "(01)0950110102091X",
    ],
)
def test_invalid_values_are_refused(code: str) -> None:
    assert refused(code).code in ("gs1_invalid", "gs1_truncated")


def test_a_bare_gtin_shape_with_letters_is_not_a_gtin() -> None:
    with pytest.raises(Gs1Error):
        gtin14("40063813339A")


# Dates ---------------------------------------------------------------------------------------


def test_day_00_means_the_last_day_of_the_month() -> None:
    assert expiry_date("240200", today=TODAY) == date(2024, 2, 29)
    assert expiry_date("230200", today=TODAY) == date(2023, 2, 28)
    assert scan("(17)261100").expiry == date(2026, 11, 30)


def test_the_century_is_within_49_years_back_and_50_ahead() -> None:
    assert expiry_date("760101", today=TODAY) == date(2076, 1, 1)
    assert expiry_date("770101", today=TODAY) == date(1977, 1, 1)
    assert expiry_date("990101", today=date(2051, 1, 1)) == date(2099, 1, 1)
    assert expiry_date("010101", today=date(1999, 6, 1)) == date(2001, 1, 1)


# Properties ----------------------------------------------------------------------------------

digits = st.text(alphabet="0123456789", min_size=13, max_size=13)
gs1_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_",
    min_size=1,
    max_size=20,
)


@given(digits)
def test_a_gtin_passes_with_its_check_digit_and_fails_with_any_other(body: str) -> None:
    good = body + str(check_digit(body))
    assert scan(good).gtin == good
    for wrong in "0123456789":
        if wrong != good[-1]:
            with pytest.raises(Gs1Error):
                gtin14(body + wrong)


@given(digits, gs1_text, gs1_text, st.dates(date(2000, 1, 1), date(2070, 12, 31)))
def test_what_element_string_builds_reads_back_in_both_forms(
    body: str, lot: str, serial: str, expiry: date
) -> None:
    gtin = body + str(check_digit(body))
    pairs = [("01", gtin), ("17", expiry.strftime("%y%m%d")), ("10", lot), ("21", serial)]
    hri, raw = element_string(pairs)
    for text in (hri, "]C1" + raw, "]d2" + raw):
        s = scan(text)
        assert (s.gtin, s.lot, s.serial, s.expiry) == (gtin, lot, serial, expiry)
        assert looks_like_gs1(text)


@given(st.text(max_size=60))
def test_any_text_is_read_or_refused_with_a_gs1_code(text: str) -> None:
    codes = ("gs1_check_digit", "gs1_unknown_ai", "gs1_truncated", "gs1_invalid")
    outcome: str
    try:
        outcome = scan(text).kind
    except Gs1Error as e:
        outcome = e.code
    assert outcome in ("gtin", "gs1", "text", *codes)
