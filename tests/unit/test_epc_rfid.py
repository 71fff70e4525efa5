"""SGTIN-96 decoding (the EPC Tag Data Standard's worked example) and reconciliation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.epc import PARTITIONS, EpcError, decode_sgtin96, encode_sgtin96
from onhand.domain.gs1 import check_digit
from onhand.domain.rfid import BookLine, TagRead, reconcile, serial_key


def test_the_tag_data_standard_worked_example() -> None:
    tag = decode_sgtin96("3074257BF7194E4000001A85")
    assert tag.uri == "urn:epc:id:sgtin:0614141.812345.6789"
    assert tag.gtin == "80614141123458"
    assert tag.serial == "6789"
    assert (tag.filter, tag.company_prefix, tag.item_reference) == (3, "0614141", "812345")


def test_lower_case_hex_is_read_the_same() -> None:
    assert decode_sgtin96("3074257bf7194e4000001a85").epc == "3074257BF7194E4000001A85"


@pytest.mark.parametrize(
    ("epc", "code"),
    [
        ("3074257BF7194E4000001A8", "epc_length"),
        ("3074257BF7194E4000001A850", "epc_length"),
        ("3074257BF7194E4000001A8G", "epc_invalid_hex"),
        ("", "epc_invalid_hex"),
        ("3174257BF7194E4000001A85", "epc_not_sgtin96"),  # SSCC-96 header
        ("E200001D8914013821406F39", "epc_not_sgtin96"),  # a TID-like value
        ("307C257BF7194E4000001A85", "epc_bad_partition"),  # partition 7
        ("3018FFFFFFFFFFC000001A85", "epc_bad_partition"),  # company prefix too large
    ],
)
def test_bad_epcs_are_refused_with_a_code(epc: str, code: str) -> None:
    with pytest.raises(EpcError) as info:
        decode_sgtin96(epc)
    assert info.value.code == code


@given(st.data())
def test_encoding_any_valid_sgtin_decodes_back(data: st.DataObject) -> None:
    partition = data.draw(st.integers(0, 6))
    _, cp_digits, _, ir_digits = PARTITIONS[partition]
    company = data.draw(st.integers(0, 10**cp_digits - 1))
    item_ref = data.draw(st.integers(0, 10**ir_digits - 1))
    serial = data.draw(st.integers(0, 2**38 - 1))
    ir = str(item_ref).zfill(ir_digits)
    body = ir[0] + str(company).zfill(cp_digits) + ir[1:]
    gtin = body + str(check_digit(body))
    tag = decode_sgtin96(encode_sgtin96(gtin, serial, company_prefix_length=cp_digits))
    assert tag.gtin == gtin
    assert (tag.company_prefix, tag.item_reference) == (str(company).zfill(cp_digits), ir)
    assert tag.serial == str(serial)


def test_encoding_the_worked_example_gives_the_standards_hex() -> None:
    assert encode_sgtin96("80614141123458", 6789, filter_value=3) == "3074257BF7194E4000001A85"


@pytest.mark.parametrize(
    ("gtin", "serial", "length"),
    [("8061414112345", 1, 7), ("80614141123458", -1, 7), ("80614141123458", 2**38, 7),
     ("80614141123458", 1, 5), ("80614141123458", 1, 13)],
)  # fmt: skip
def test_what_cannot_be_an_sgtin_96_is_refused(gtin: str, serial: int, length: int) -> None:
    with pytest.raises(EpcError):
        encode_sgtin96(gtin, serial, company_prefix_length=length)


# Reconciliation ------------------------------------------------------------------------------


def test_matched_missing_unexpected_and_counts() -> None:
    book = [
        BookLine("CAM", "WH1/A/01", Decimal(1), "100"),
        BookLine("CAM", "WH1/A/02", Decimal(1), "101"),
        BookLine("CAM", "WH1/A/02", Decimal(1), "102"),
        BookLine("BOX", "WH1/A/01", Decimal(5)),
        BookLine("BOX", "WH1/A/02", Decimal(2)),
        BookLine("TAPE", "WH1/A/01", Decimal(3)),
    ]
    reads = [
        TagRead("E1", "G-CAM", "100", "CAM", serialised=True),
        TagRead("E2", "G-CAM", "102", "CAM", serialised=True),
        TagRead("E3", "G-CAM", "999", "CAM", serialised=True),
        TagRead("E4", "G-X", "1", None),
        *[TagRead(f"B{n}", "G-BOX", str(n), "BOX") for n in range(6)],
        TagRead("P1", "G-PEN", "1", "PEN"),
    ]
    r = reconcile(book, reads)
    assert [(m.serial, m.location) for m in r.matched] == [("100", "WH1/A/01"), ("102", "WH1/A/02")]
    assert [(m.sku, m.serial) for m in r.missing] == [("CAM", "101")]
    assert [(u.epc, u.reason) for u in r.unexpected] == [
        ("E3", "not_in_book_here"),
        ("E4", "unknown_gtin"),
    ]
    counts = {c.sku: (c.book, c.read, c.difference) for c in r.counts}
    assert counts == {
        "BOX": (Decimal(7), Decimal(6), Decimal(-1)),
        "PEN": (Decimal(0), Decimal(1), Decimal(1)),
        "TAPE": (Decimal(3), Decimal(0), Decimal(-3)),
    }


def test_book_serials_with_leading_zeros_match_the_numeric_tag_serial() -> None:
    assert serial_key("000123") == "123"
    assert serial_key("0") == "0"
    assert serial_key("000") == "0"
    assert serial_key("A-01") == "A-01"
    r = reconcile(
        [BookLine("CAM", "WH1", Decimal(1), "000123")],
        [TagRead("E", "G", "123", "CAM", serialised=True)],
    )
    assert [m.serial for m in r.matched] == ["000123"]
    assert not r.missing


def test_nothing_read_means_everything_is_missing() -> None:
    book = [BookLine("CAM", "WH1", Decimal(1), "1"), BookLine("BOX", "WH1", Decimal(4))]
    r = reconcile(book, [])
    assert [m.serial for m in r.missing] == ["1"]
    assert [(c.sku, c.difference) for c in r.counts] == [("BOX", Decimal(-4))]
    assert not r.matched
    assert not r.unexpected
