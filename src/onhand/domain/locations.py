"""Location tree and location kinds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from onhand.domain.errors import InvalidInput


class LocationKind(StrEnum):
    INTERNAL = "internal"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    TRANSIT = "transit"
    SCRAP = "scrap"


# Kinds that hold physical stock: their balances may not go below zero (unless allowed).
STOCK_KINDS = frozenset({LocationKind.INTERNAL, LocationKind.TRANSIT})

# The virtual locations every organisation gets, by path. '@' cannot start a user code.
VIRTUAL_LOCATIONS: dict[str, LocationKind] = {
    "@supplier": LocationKind.SUPPLIER,
    "@customer": LocationKind.CUSTOMER,
    "@adjustment": LocationKind.ADJUSTMENT,
    "@transit": LocationKind.TRANSIT,
    "@scrap": LocationKind.SCRAP,
}

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")
MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class LocationRef:
    """What the ledger needs to know about a location to validate a movement."""

    id: int
    path: str
    kind: LocationKind
    allow_negative: bool
    active: bool
    warehouse_id: int | None  # root of the tree it belongs to; None for virtual locations

    @property
    def must_stay_non_negative(self) -> bool:
        return self.kind in STOCK_KINDS and not self.allow_negative


def check_code(code: str) -> str:
    if not CODE_RE.match(code):
        raise InvalidInput(
            f"location code {code[:80]!r} is not valid: use 1-32 letters, digits or . _ -, "
            "starting with a letter or digit",
            code="invalid_location_code",
        )
    return code


def child_path(parent_path: str | None, code: str) -> str:
    path = code if parent_path is None else f"{parent_path}/{code}"
    if path.count("/") >= MAX_DEPTH:
        raise InvalidInput(
            f"location tree is limited to {MAX_DEPTH} levels", code="location_too_deep"
        )
    return path


def subtree_bounds(path: str) -> tuple[str, str]:
    """Half-open string range [path + '/', path + '0') selecting a path's descendants.

    '0' is the character after '/', so the range is an index range scan on both databases.
    """
    return path + "/", path + "0"
