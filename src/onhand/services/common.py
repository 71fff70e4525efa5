"""Small helpers shared by the use cases."""

from __future__ import annotations

from datetime import UTC, datetime

from onhand.domain.errors import NotFound
from onhand.domain.quantities import from_micro


def utcnow() -> datetime:
    return datetime.now(UTC)


def qty_out(micro: int, precision: int) -> str:
    """A quantity as the API and CLI show it: a decimal string in the unit's precision."""
    return str(from_micro(micro, precision))


def not_found(what: str, key: object) -> NotFound:
    # Codes are lower case whatever the wording ("SKU 'A' not found" -> sku_not_found).
    return NotFound(f"{what} {key!r} not found", code=f"{what.replace(' ', '_').lower()}_not_found")
