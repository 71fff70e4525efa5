"""Purchase orders: their states, what a receipt may add, and supplier lead times."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from enum import StrEnum

from onhand.domain.errors import Conflict, InvalidInput

# Receipts needed before learnt lead times replace the buyer's configured ones.
LEAD_TIME_MIN_OBSERVATIONS = 3
MAX_LINES = 1000


class PoStatus(StrEnum):
    DRAFT = "draft"
    ORDERED = "ordered"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


RECEIVABLE = frozenset({PoStatus.ORDERED, PoStatus.PARTIALLY_RECEIVED})
# Open for ATP: goods still expected.
OPEN = RECEIVABLE


def require_status(number: str, status: PoStatus, allowed: set[PoStatus], doing: str) -> None:
    """Refuse ``doing`` on a purchase order whose status does not allow it."""
    if status not in allowed:
        raise Conflict(
            f"purchase order {number} is {status.value.replace('_', ' ')}: cannot {doing}",
            code=f"po_{status.value}",
            po_status=status.value,
        )


def receipt_limit(ordered: int, over_receipt_pct: int) -> int:
    """The most a line may have received in total (micro-units), tolerance included."""
    return ordered + ordered * over_receipt_pct // 100


def check_receipt(
    *,
    number: str,
    line_no: int,
    sku: str,
    ordered: int,
    received: int,
    qty: int,
    over_receipt_pct: int,
) -> None:
    """Refuse a receipt that would take the line past its ordered quantity plus tolerance."""
    limit = receipt_limit(ordered, over_receipt_pct)
    if received + qty > limit:
        raise Conflict(
            f"line {line_no} of {number} ({sku}) would receive more than ordered plus "
            f"{over_receipt_pct}% tolerance",
            code="over_receipt",
            line_no=line_no,
            limit=limit,
            received=received,
        )


@dataclass(frozen=True, slots=True)
class LineProgress:
    ordered: int
    received: int
    closed: bool

    @property
    def done(self) -> bool:
        return self.closed or self.received >= self.ordered


def status_after_receipt(lines: list[LineProgress]) -> PoStatus:
    """An ordered PO is received once every line is fully received (or closed)."""
    if all(line.done for line in lines):
        return PoStatus.RECEIVED
    if any(line.received > 0 for line in lines):
        return PoStatus.PARTIALLY_RECEIVED
    return PoStatus.ORDERED


def check_number(number: str, what: str = "purchase order number") -> str:
    if not number or len(number) > 32 or not number.isprintable() or number != number.strip():
        raise InvalidInput(
            f"{what} must be 1-32 printable characters without surrounding spaces",
            code="invalid_number_format",
        )
    if "/" in number:
        raise InvalidInput(f"{what} may not contain '/'", code="invalid_number_format")
    return number


def check_days(value: int, field: str) -> int:
    if not 0 <= value <= 3650:
        raise InvalidInput(f"{field} must be between 0 and 3650 days", code="invalid_lead_time")
    return value


def check_percent(value: int, field: str) -> int:
    if not 0 <= value <= 1000:
        raise InvalidInput(f"{field} must be between 0 and 1000", code="invalid_tolerance")
    return value


@dataclass(frozen=True, slots=True)
class LeadTime:
    """A supplier's lead time in days: what the buyer configured, what receipts showed, and
    which of the two planning uses (the learnt one once there are enough receipts)."""

    configured_days: int
    configured_sd_days: int
    observations: int
    learnt_days: float | None
    learnt_sd_days: float | None

    @property
    def days(self) -> float:
        if self.learnt_days is not None and self.observations >= LEAD_TIME_MIN_OBSERVATIONS:
            return self.learnt_days
        return float(self.configured_days)

    @property
    def sd_days(self) -> float:
        if self.learnt_sd_days is not None and self.observations >= LEAD_TIME_MIN_OBSERVATIONS:
            return self.learnt_sd_days
        return float(self.configured_sd_days)


def lead_time(configured_days: int, configured_sd_days: int, observed: list[int]) -> LeadTime:
    """Mean and sample standard deviation of the observed lead times (days per receipt)."""
    mean = round(statistics.fmean(observed), 2) if observed else None
    sd = round(statistics.stdev(observed), 2) if len(observed) >= 2 else None
    return LeadTime(configured_days, configured_sd_days, len(observed), mean, sd)
