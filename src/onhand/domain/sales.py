"""Sales orders: line quantities, backorders and the order's state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SoStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


ACTIVE = frozenset({SoStatus.OPEN, SoStatus.PARTIALLY_SHIPPED})
MAX_LINES = 1000


@dataclass(frozen=True, slots=True)
class LineQty:
    """One order line in micro-units. ``reserved`` is reserved and not yet shipped."""

    ordered: int
    reserved: int
    shipped: int
    cancelled: int

    @property
    def open(self) -> int:
        """Still to ship: reserved or backordered."""
        return self.ordered - self.shipped - self.cancelled

    @property
    def backordered(self) -> int:
        """Still to ship and not covered by a reservation."""
        return self.open - self.reserved


def status_of(lines: list[LineQty]) -> SoStatus:
    """An order is shipped when nothing is open, partially shipped once anything left."""
    if all(x.open == 0 for x in lines):
        if any(x.shipped > 0 for x in lines):
            return SoStatus.SHIPPED
        return SoStatus.CANCELLED
    if any(x.shipped > 0 for x in lines):
        return SoStatus.PARTIALLY_SHIPPED
    return SoStatus.OPEN


def reservable(need: int, available: int) -> int:
    """How much of ``need`` a reservation may take when ``available`` is free (never below 0)."""
    return max(0, min(need, available))


def pick_list_status(task_statuses: list[str]) -> str:
    """A pick list's state from its tasks': open while one is open; then done if anything
    was picked or found short, cancelled if every task was cancelled (its orders were)."""
    if not task_statuses or any(s == "open" for s in task_statuses):
        return "open"
    return "cancelled" if all(s == "cancelled" for s in task_statuses) else "done"
