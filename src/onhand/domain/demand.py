"""Demand history: buckets (day, ISO week, calendar month), the range rules, and which days an
item was out of stock, from what the ledger gives per day.

Days are UTC calendar days. A bucket is named by its first day (a Monday for weeks, the 1st for
months); the first and last buckets of a range may be partial, and say how many of their days
fall inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from onhand.domain.errors import InvalidInput

# Five years of days: enough history for any seasonal model, and a bound on the answer's size.
MAX_DAYS = 5 * 366


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def parse_bucket(raw: str) -> Bucket:
    try:
        return Bucket(raw)
    except ValueError:
        raise InvalidInput(
            f"bucket {raw[:40]!r} is not known: use day, week or month", code="invalid_bucket"
        ) from None


def check_range(start: date, end: date) -> None:
    """[start, end], both days included: start not after end, at most MAX_DAYS days."""
    if start > end:
        raise InvalidInput(f"start {start} is after end {end}", code="invalid_range")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise InvalidInput(
            f"the range has {days} days; at most {MAX_DAYS} (five years) are allowed",
            code="range_too_long",
        )


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the bucket holding ``day``."""
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    if bucket is Bucket.MONTH:
        return day.replace(day=1)
    return day


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True, slots=True)
class DemandPoint:
    """One bucket of an item's history: net demand in micro-units, how many of the bucket's days
    are in the range, and how many of those the item was out of stock."""

    start: date
    days: int
    qty: int
    stockout_days: int


@dataclass(frozen=True, slots=True)
class DayLedger:
    """What the ledger says of one day with movements at the location: ``low`` is the lowest
    running balance after any instant of the day and ``net`` the day's change, both relative to
    the balance at the start of the range."""

    low: int
    net: int


def stockout_days(
    opening: int, ledger: Mapping[date, DayLedger], start: date, end: date
) -> set[date]:
    """Days of [start, end] that started with nothing on hand (zero or below) or reached zero at
    some instant; ``opening`` is the balance at the start of ``start``."""
    out: set[date] = set()
    cumulative = 0
    for day in days_of(start, end):
        seen = ledger.get(day)
        if opening + cumulative <= 0 or (seen is not None and opening + seen.low <= 0):
            out.add(day)
        if seen is not None:
            cumulative += seen.net
    return out


def build_series(
    bucket: Bucket,
    start: date,
    end: date,
    qty_by_bucket: Mapping[date, int],
    out_days: set[date],
) -> list[DemandPoint]:
    """The dense series over [start, end]: every bucket, 0 where nothing was demanded."""
    days: dict[date, int] = {}
    outs: dict[date, int] = {}
    for day in days_of(start, end):
        first = bucket_start(day, bucket)
        days[first] = days.get(first, 0) + 1
        outs[first] = outs.get(first, 0) + (day in out_days)
    return [
        DemandPoint(first, n, qty_by_bucket.get(first, 0), outs[first]) for first, n in days.items()
    ]
