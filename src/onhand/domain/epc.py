"""RFID tags: the SGTIN-96 encoding of the GS1 EPC Tag Data Standard (TDS), decoded by hand.

An SGTIN-96 is 96 bits: header 0x30 (8), filter (3), partition (3), GS1 company prefix and item
reference (44 together, split as the partition says), serial (38). The GTIN is the item
reference's first digit (the indicator), the company prefix, the rest of the item reference and
a check digit. Written here rather than taken from a library: it is forty lines of bit
arithmetic that the TDS fully specifies, and the only Python package for it (epcpy) is small and
little used.
"""

from __future__ import annotations

from dataclasses import dataclass

from onhand.domain.errors import InvalidInput
from onhand.domain.gs1 import check_digit

SGTIN_96_HEADER = 0x30
# Partition value -> (company prefix bits, digits, item reference bits, digits): TDS table 14-2.
PARTITIONS = {
    0: (40, 12, 4, 1),
    1: (37, 11, 7, 2),
    2: (34, 10, 10, 3),
    3: (30, 9, 14, 4),
    4: (27, 8, 17, 5),
    5: (24, 7, 20, 6),
    6: (20, 6, 24, 7),
}
_HEX = frozenset("0123456789abcdefABCDEF")


class EpcError(InvalidInput):
    code = "epc_invalid"


@dataclass(frozen=True, slots=True)
class Sgtin:
    """A decoded SGTIN-96: the item (GTIN-14) and its serial number."""

    epc: str  # the 24 hex digits, upper case
    filter: int
    company_prefix: str
    item_reference: str
    serial: str
    gtin: str

    @property
    def uri(self) -> str:
        """The pure identity URI, e.g. ``urn:epc:id:sgtin:0614141.812345.6789``."""
        return f"urn:epc:id:sgtin:{self.company_prefix}.{self.item_reference}.{self.serial}"


def normalise(epc: str) -> str:
    """24 hex digits, upper case; ``epc_invalid_hex`` or ``epc_length`` otherwise."""
    if not epc or not set(epc) <= _HEX:
        raise EpcError(f"EPC {epc[:40]!r} is not hexadecimal", code="epc_invalid_hex")
    if len(epc) != 24:
        raise EpcError(
            f"EPC {epc[:40]!r} has {len(epc)} hex digits; an SGTIN-96 has 24",
            code="epc_length",
        )
    return epc.upper()


def decode_sgtin96(epc: str) -> Sgtin:
    """Decode a 96-bit EPC in hex as SGTIN-96 (TDS section 14.5.1)."""
    epc = normalise(epc)
    value = int(epc, 16)
    header = value >> 88
    if header != SGTIN_96_HEADER:
        raise EpcError(
            f"EPC {epc} has header 0x{header:02X}: not an SGTIN-96 (0x30)",
            code="epc_not_sgtin96",
        )
    filter_value = (value >> 85) & 0b111
    partition = (value >> 82) & 0b111
    if partition not in PARTITIONS:
        raise EpcError(f"EPC {epc} has partition {partition}: 0 to 6", code="epc_bad_partition")
    cp_bits, cp_digits, ir_bits, ir_digits = PARTITIONS[partition]
    company = (value >> (38 + ir_bits)) & ((1 << cp_bits) - 1)
    item_ref = (value >> 38) & ((1 << ir_bits) - 1)
    serial = value & ((1 << 38) - 1)
    if company >= 10**cp_digits or item_ref >= 10**ir_digits:
        raise EpcError(
            f"EPC {epc}: the company prefix or item reference does not fit its partition",
            code="epc_bad_partition",
        )
    cp_text = str(company).zfill(cp_digits)
    ir_text = str(item_ref).zfill(ir_digits)
    body = ir_text[0] + cp_text + ir_text[1:]
    return Sgtin(
        epc=epc,
        filter=filter_value,
        company_prefix=cp_text,
        item_reference=ir_text,
        serial=str(serial),
        gtin=body + str(check_digit(body)),
    )


def encode_sgtin96(
    gtin: str, serial: int, *, company_prefix_length: int = 7, filter_value: int = 1
) -> str:
    """The SGTIN-96 (hex) of a GTIN-14 and a numeric serial; the GS1 company prefix length
    (6 to 12 digits) decides the partition. The inverse of ``decode_sgtin96``."""
    partition = next(
        (p for p, (_, digits, _, _) in PARTITIONS.items() if digits == company_prefix_length),
        None,
    )
    if partition is None or len(gtin) != 14 or not gtin.isdigit():
        raise EpcError(
            "an SGTIN-96 needs a GTIN-14 and a company prefix of 6 to 12 digits",
            code="epc_invalid",
        )
    if not 0 <= serial < 1 << 38 or not 0 <= filter_value <= 7:
        raise EpcError("an SGTIN-96 serial is 0 to 2^38 - 1", code="epc_invalid")
    cp_bits, _, ir_bits, _ = PARTITIONS[partition]
    company = int(gtin[1 : 1 + company_prefix_length])
    item_ref = int(gtin[0] + gtin[1 + company_prefix_length : 13])
    value = (SGTIN_96_HEADER << 3 | filter_value) << 3 | partition
    value = ((value << cp_bits | company) << ir_bits | item_ref) << 38 | serial
    return f"{value:024X}"
