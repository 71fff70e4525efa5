"""Item master data rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import SCALE

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-+#:]{0,63}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
BARCODE_RE = re.compile(r"^[\x21-\x7e]{1,64}$")


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


@dataclass(frozen=True, slots=True)
class ItemRef:
    """What the ledger needs to know about an item to validate a movement."""

    id: int
    sku: str
    uom: str
    precision: int
    tracking: Tracking
    shelf_life_days: int | None
    active: bool


def check_sku(sku: str) -> str:
    if not SKU_RE.match(sku):
        raise InvalidInput(
            f"SKU {sku[:80]!r} is not valid: use 1-64 letters, digits or . _ - + # :, "
            "starting with a letter or digit",
            code="invalid_sku",
        )
    return sku


def check_precision(precision: int) -> int:
    if not 0 <= precision <= SCALE:
        raise InvalidInput(
            f"unit precision must be between 0 and {SCALE} decimals, got {precision}",
            code="invalid_precision",
        )
    return precision


def check_currency(currency: str) -> str:
    if not CURRENCY_RE.match(currency):
        raise InvalidInput(
            f"currency {currency[:20]!r} is not an ISO 4217 code such as EUR or USD",
            code="invalid_currency",
        )
    return currency


def check_barcodes(barcodes: list[str]) -> list[str]:
    seen: set[str] = set()
    for code in barcodes:
        if not BARCODE_RE.match(code):
            raise InvalidInput(
                f"barcode {code[:80]!r} must be 1-64 printable characters without spaces",
                code="invalid_barcode",
            )
        if code in seen:
            raise InvalidInput(f"barcode {code!r} is listed twice", code="duplicate_barcode")
        seen.add(code)
    return barcodes


def check_shelf_life(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= 36500:
        raise InvalidInput("shelf life must be between 1 and 36500 days", code="invalid_shelf_life")
    return days
