"""Available-to-promise (ATP) for one item at one fulfilment location.

Quantities are micro-unit integers (see ``quantities``), dates are calendar days.

Inputs (an ``AtpPosition``):
- ``on_hand``: available physical stock now (held and expired stock already left out);
- ``reserved``: the part of it already promised through reservations;
- ``supply``: expected receipts as (date, qty): open purchase order lines, inbound transfers;
- ``demand``: commitments no reservation covers yet, as (date, qty): backorders, later orders;
- ``today``.

Definitions:
- an event dated before ``today`` counts as due ``today`` (a late receipt is still expected, an
  overdue order is still owed);
- projected(t) = on_hand - reserved + sum of supply dated <= t - sum of demand dated <= t;
- ATP(D) = the minimum of projected(t) over t = D and every event date after D: what can be
  promised for day D without breaking any later commitment. Taking the minimum over a shrinking
  set of days, ATP is non-decreasing in D. It is negative when the location is overcommitted
  (callers show max(0, ATP)); ``reserved`` may exceed ``on_hand`` when reserved stock has since
  been put on hold.

The timeline is built once in O(n log n) (sort the events, one running sum, one suffix minimum);
each question after that is a binary search, so many items with thousands of events stay cheap.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import micro_text

Event = tuple[date, int]


@dataclass(frozen=True, slots=True)
class AtpPosition:
    """Stock, reservations and dated supply and demand of one item at one location."""

    on_hand: int
    reserved: int
    supply: Sequence[Event]
    demand: Sequence[Event]
    today: date

    def __post_init__(self) -> None:
        _check_not_negative(self.on_hand, "on hand")
        _check_not_negative(self.reserved, "reserved")
        for kind in ("supply", "demand"):
            events = tuple(getattr(self, kind))
            for day, qty in events:
                _check_not_negative(qty, f"{kind} on {day.isoformat()}")
            # Stored as a tuple so that a frozen position cannot change under its timeline.
            object.__setattr__(self, kind, events)


@dataclass(frozen=True, slots=True)
class AtpTimeline:
    """Projected stock and ATP at ``today`` and at each distinct event date after it.

    Build it with ``build_timeline`` when asking several questions about one position.
    """

    dates: tuple[date, ...]  # today first, then event dates, ascending
    projected: tuple[int, ...]
    atp: tuple[int, ...]  # suffix minimum of ``projected``: non-decreasing

    def _index(self, day: date) -> int:
        # The last known date <= day; a day before today is answered as today.
        return max(0, bisect_right(self.dates, day) - 1)

    def projected_on(self, day: date) -> int:
        """Projected stock at the end of ``day`` (days before today are answered as today)."""
        return self.projected[self._index(day)]

    def atp_on(self, day: date) -> int:
        """What can be promised for ``day`` (negative when overcommitted)."""
        return self.atp[self._index(day)]

    def profile(self) -> list[tuple[date, int]]:
        """ATP at today and at each distinct event date after today."""
        return list(zip(self.dates, self.atp, strict=True))

    def earliest_promise(self, qty: int) -> date | None:
        """The first day D >= today with ATP(D) >= qty, or None when no known supply covers it."""
        if qty <= 0:
            raise InvalidInput(
                f"the quantity to promise must be greater than zero, got {micro_text(qty)}",
                code="quantity_not_positive",
            )
        # ATP is non-decreasing and only changes at event dates: a binary search finds it.
        i = bisect_left(self.atp, qty)
        return self.dates[i] if i < len(self.dates) else None


def build_timeline(position: AtpPosition) -> AtpTimeline:
    """Sort the events once and compute projected stock and ATP at every date that matters."""
    today = position.today
    net: defaultdict[date, int] = defaultdict(int)
    net[today] = 0  # today is always on the timeline, even without events
    for day, qty in position.supply:
        net[max(day, today)] += qty
    for day, qty in position.demand:
        net[max(day, today)] -= qty
    dates = sorted(net)
    start = position.on_hand - position.reserved
    projected = tuple(accumulate((net[d] for d in dates), initial=start))[1:]
    suffix_min = list(accumulate(reversed(projected), min))
    suffix_min.reverse()
    return AtpTimeline(tuple(dates), projected, tuple(suffix_min))


def atp_on(position: AtpPosition, day: date) -> int:
    """ATP for ``day``: may be negative when overcommitted; callers show max(0, ATP)."""
    return build_timeline(position).atp_on(day)


def atp_profile(position: AtpPosition) -> list[tuple[date, int]]:
    """ATP at today and at each distinct event date after today, ascending by date."""
    return build_timeline(position).profile()


def earliest_promise(position: AtpPosition, qty: int) -> date | None:
    """The first day D >= today with ATP(D) >= qty; None when even all known supply is short."""
    return build_timeline(position).earliest_promise(qty)


def projected_on(position: AtpPosition, day: date) -> int:
    """Projected stock at the end of ``day``: on hand - reserved + supply - demand up to it."""
    return build_timeline(position).projected_on(day)


def _check_not_negative(qty: int, what: str) -> None:
    if qty < 0:
        raise InvalidInput(
            f"{what} must be zero or more, got {micro_text(qty)}", code="quantity_negative"
        )
