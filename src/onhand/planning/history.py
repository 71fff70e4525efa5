"""Demand history of many items as matrices: from what the ledger gives per item and day (sparse
rows) to dense (items x buckets) arrays of net demand and out-of-stock days, with numpy.

The rules are those of :mod:`onhand.domain.demand` (which does the same for one item in plain
Python): a day is out of stock when it starts with nothing on hand (zero or below) or the
balance reaches zero or below at some instant of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from onhand.domain.demand import Bucket, bucket_start, days_of

# Cells (items x days) of the day-level work arrays filled at once: bounds memory to a few tens
# of MB whatever the number of items or the length of the range.
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True, slots=True)
class Buckets:
    """The buckets of [start, end]: first day of each, days of each inside the range, and the
    bucket of every day of the range (index from ``start``)."""

    starts: list[date]
    days: np.ndarray  # (b,) int64
    of_day: np.ndarray  # (D,) int64
    first_day: np.ndarray  # (b,) int64: index of each bucket's first day in the range


def buckets(bucket: Bucket, start: date, end: date) -> Buckets:
    """Split [start, end] into day, week or month buckets (the first and last may be partial)."""
    firsts = [bucket_start(day, bucket) for day in days_of(start, end)]
    starts = sorted(set(firsts))
    index = {s: k for k, s in enumerate(starts)}
    of_day = np.fromiter((index[f] for f in firsts), dtype=np.int64, count=len(firsts))
    days = np.bincount(of_day, minlength=len(starts)).astype(np.int64)
    first_day = np.concatenate(([0], np.cumsum(days)[:-1])).astype(np.int64)
    return Buckets(starts, days, of_day, first_day)


@dataclass(frozen=True, slots=True)
class DayRows:
    """Per item and day with movements (parallel arrays, any order): the row of the item in the
    matrix, the day's index in the range, ``low`` and ``net`` relative to the on hand at the start
    of the range, and net demand; all integers (micro-units)."""

    row: np.ndarray
    day: np.ndarray
    low: np.ndarray
    net: np.ndarray
    demand: np.ndarray


def day_rows(raw: Sequence[tuple[int, int, int, int]], item_ids: np.ndarray) -> DayRows:
    """From (item_id, day, change, demand) per instant, in time order per item, to one row per
    item and day, keeping the items of ``item_ids`` (sorted, unique; ``row`` indexes it). The
    running balance is a cumulative sum restarted at each item; ``low`` is its minimum over
    the day's instants."""
    a = np.array(raw, dtype=np.int64).reshape(-1, 4) if raw else np.zeros((0, 4), np.int64)
    pos = np.searchsorted(item_ids, a[:, 0])
    keep = pos < len(item_ids)
    keep[keep] = item_ids[pos[keep]] == a[keep, 0]
    a, pos = a[keep], pos[keep]
    day, change, demand = a[:, 1], a[:, 2], a[:, 3]
    if len(a) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return DayRows(empty, empty, empty, empty, empty)
    new_item = np.flatnonzero(pos[1:] != pos[:-1]) + 1
    firsts = np.concatenate(([0], new_item))
    total = np.cumsum(change)
    before = np.concatenate(([0], total[firsts[1:] - 1]))  # running total before each item
    lengths = np.diff(np.concatenate((firsts, [len(a)])))
    run = total - np.repeat(before, lengths)
    cells = np.concatenate(([0], np.flatnonzero((pos[1:] != pos[:-1]) | (day[1:] != day[:-1])) + 1))
    return DayRows(
        row=pos[cells],
        day=day[cells],
        low=np.minimum.reduceat(run, cells),
        net=np.add.reduceat(change, cells),
        demand=np.add.reduceat(demand, cells),
    )


def demand_by_bucket(rows: DayRows, n: int, b: Buckets) -> np.ndarray:
    """(n, buckets) int64: net demand summed per item and bucket, exactly (integers)."""
    nb = len(b.starts)
    out = np.zeros(n * nb, dtype=np.int64)
    # np.add.at adds repeated cells (several days in one bucket) in integers.
    np.add.at(out, rows.row * nb + b.of_day[rows.day], rows.demand)
    return out.reshape(n, nb)


def stockout_days(opening: np.ndarray, rows: DayRows, b: Buckets) -> np.ndarray:
    """(n, buckets) int64: days of each bucket the item was out of stock; ``opening`` (n,) is
    the on hand at the start of the range. Computed on dense (items x days) balances, a chunk of
    items at a time: the on hand at the start of each day is the opening plus the changes of
    the days before (a cumulative sum); days without movements keep it all day."""
    n, n_days, nb = len(opening), len(b.of_day), len(b.starts)
    out = np.zeros((n, nb), dtype=np.int64)
    if n == 0:
        return out
    step = max(1, CHUNK_CELLS // n_days)
    order = np.argsort(rows.row, kind="stable")
    by_row = rows.row[order]
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        sel = order[np.searchsorted(by_row, lo) : np.searchsorted(by_row, hi)]
        r, d = rows.row[sel] - lo, rows.day[sel]
        net = np.zeros((hi - lo, n_days), dtype=np.int64)
        net[r, d] = rows.net[sel]
        base = opening[lo:hi, None]
        at_start = base + np.cumsum(net, axis=1) - net
        low = at_start.copy()
        low[r, d] = base[r, 0] + rows.low[sel]
        short = (at_start <= 0) | (low <= 0)
        out[lo:hi] = np.add.reduceat(short, b.first_day, axis=1)
    return out
