"""Running totals of an item's valuation entries in one scope, in effective order.

Each entry carries the totals of its item and scope up to and including itself, ordered by
effective time (then by when it was recorded). Any figure over a period is then the difference
of two totals, each found by one index seek (the last entry before the boundary), so reports
and KPIs cost per item and scope, not per movement.

Two totals are integrals over days rather than sums of entries: the end-of-day values held
(for the average inventory value) and the days that ended with nothing on hand (stockout days).
An entry carries them for the days *before* its own day; a boundary's figure adds the days from
the last entry before it, whose end-of-day level held since (``Totals.at_day``).

Days are whole UTC days numbered from 1970-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from onhand.domain.valuation import COGS_KINDS, Kind

EPOCH = date(1970, 1, 1)
SHRINK_KINDS = frozenset({Kind.ADJUSTMENT, Kind.SCRAP})
SOLD_KINDS = frozenset({Kind.ISSUE, Kind.CUSTOMER_RETURN})
OUT_KINDS = frozenset({Kind.ISSUE, Kind.TRANSFER_OUT})


@dataclass(frozen=True, slots=True)
class Totals:
    """The totals of one item in one scope after an entry on ``day``.

    ``held_value`` sums the end-of-day values of the days before ``day`` and ``out_days``
    counts those of them that ended with nothing or less, both from the first entry's day."""

    day: int
    level_qty: int = 0
    level_value: int = 0
    held_value: int = 0
    out_days: int = 0
    sum_cogs: int = 0  # expense of cost-of-goods-sold entries
    sum_shrinkage: int = 0  # expense of adjustments and scrap
    sum_ppv: int = 0  # purchase price variances
    sum_sold: int = 0  # quantity of issues and customer returns (negative: sold)
    sum_received: int = 0  # quantity of receipts
    sum_transferred_in: int = 0
    sum_outbound: int = 0  # quantity of issues and transfers out (negative)

    def at_day(self, day: int) -> tuple[int, int]:
        """(held_value, out_days) at the start of ``day``, for the last entry before it."""
        gap = day - self.day
        return (
            self.held_value + self.level_value * gap,
            self.out_days + (gap if self.level_qty <= 0 else 0),
        )

    def after(self, day: int, kind: Kind, qty: int, value: int, expense: int) -> Totals:
        """The totals after one more entry, on ``day`` (not before this one's)."""
        if day < self.day:
            raise ValueError(f"an entry on day {day} cannot follow one on day {self.day}")
        held, out = self.at_day(day)
        return Totals(
            day,
            self.level_qty + qty,
            self.level_value + value,
            held,
            out,
            self.sum_cogs + (expense if kind in COGS_KINDS else 0),
            self.sum_shrinkage + (expense if kind in SHRINK_KINDS else 0),
            self.sum_ppv + (expense if kind is Kind.PPV else 0),
            self.sum_sold + (qty if kind in SOLD_KINDS else 0),
            self.sum_received + (qty if kind is Kind.RECEIPT else 0),
            self.sum_transferred_in + (qty if kind is Kind.TRANSFER_IN else 0),
            self.sum_outbound + (qty if kind in OUT_KINDS else 0),
        )


def day_number(at: datetime | date) -> int:
    """The UTC day of a time (or a day) as days since 1970-01-01."""
    if isinstance(at, datetime):
        at = at.astimezone(UTC).date()
    return (at - EPOCH).days


def first(day: int) -> Totals:
    """The totals before an item's first entry in a scope, on ``day``."""
    return Totals(day=day)


TOTAL_FIELDS = tuple(f for f in Totals.__slots__ if f != "day")
