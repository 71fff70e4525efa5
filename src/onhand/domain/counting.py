"""Cycle counting maths: ABC and XYZ classes, the daily plan, tolerances and accuracy.

Plain Python on Decimal: the services load the numbers, these functions decide.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.errors import InvalidInput

CLASSES = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
BUCKETS = {"week": 7, "month": 30}
PERIODS = ("day", "week", "month")
HUNDRED = Decimal(100)
# Monday: the epoch from which working days are numbered (any Monday would do).
EPOCH = date(2001, 1, 1)


@dataclass(frozen=True, slots=True)
class CountSettings:
    """An organisation's cycle-count programme (defaults as in docs/counting.md)."""

    # Counts per year of each record of a class: A monthly, B quarterly, C twice a year.
    frequency: Mapping[str, int] = field(default_factory=lambda: {"A": 12, "B": 4, "C": 2})
    # Tolerance per class: max(pct % of the book quantity, units).
    tolerance_pct: Mapping[str, Decimal] = field(
        default_factory=lambda: {c: Decimal(3) for c in CLASSES}
    )
    tolerance_units: Mapping[str, Decimal] = field(
        default_factory=lambda: {c: Decimal(1) for c in CLASSES}
    )
    # ISO weekdays (1 = Monday) on which counts are planned.
    working_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    # ABC cut-offs: A takes the first 80 % of the consumption value, B the next 15 %.
    abc_a_pct: Decimal = Decimal(80)
    abc_b_pct: Decimal = Decimal(15)
    # XYZ: coefficient of variation up to x_cv is X, up to y_cv is Y, above is Z.
    xyz_x_cv: Decimal = Decimal("0.5")
    xyz_y_cv: Decimal = Decimal("1.0")
    window_days: int = 365
    bucket: str = "week"
    # The daily plan reclassifies first when the latest classification is older than this.
    max_age_days: int = 30

    def checked(self) -> CountSettings:
        """These settings, or an InvalidInput that names the first bad one."""
        for c in CLASSES:
            f = self.frequency.get(c)
            if not isinstance(f, int) or not 1 <= f <= 365:
                _bad("frequency", f"the frequency of class {c} must be 1 to 365 counts a year")
            pct, units = self.tolerance_pct.get(c), self.tolerance_units.get(c)
            if pct is None or not pct.is_finite() or not 0 <= pct <= 100:
                _bad("tolerance", f"the tolerance of class {c} must be 0 to 100 %")
            if units is None or not units.is_finite() or not 0 <= units < 10**9:
                _bad("tolerance", f"the tolerance in units of class {c} must be 0 or more")
        days = self.working_days
        if not days or len(set(days)) != len(days) or any(d not in range(1, 8) for d in days):
            _bad("working_days", "working days are distinct ISO weekdays, 1 (Monday) to 7")
        a, b = self.abc_a_pct, self.abc_b_pct
        if not (a.is_finite() and b.is_finite() and 0 < a <= 100 and b >= 0 and a + b <= 100):
            _bad("abc_cutoffs", "ABC cut-offs: 0 < A % <= 100, B % >= 0 and A % + B % <= 100")
        x, y = self.xyz_x_cv, self.xyz_y_cv
        if not (x.is_finite() and y.is_finite() and 0 <= x <= y < 1000):
            _bad("xyz_limits", "XYZ limits: 0 <= X limit <= Y limit")
        if self.bucket not in BUCKETS:
            _bad("bucket", f"bucket must be one of {', '.join(BUCKETS)}")
        if not BUCKETS[self.bucket] <= self.window_days <= 3650:
            _bad("window", "the window is one bucket to 3650 days long")
        if not 1 <= self.max_age_days <= 3650:
            _bad("max_age", "the classification's maximum age is 1 to 3650 days")
        return self

    def tolerance(self, abc: str, book: Decimal) -> Decimal:
        """How far a count may be from the book and still be right: the larger of the class's
        percentage of the book quantity and its units."""
        return max(abs(book) * self.tolerance_pct[abc] / HUNDRED, self.tolerance_units[abc])

    def with_changes(self, **changes: Any) -> CountSettings:
        return replace(self, **changes).checked()


def check_day(day: date, field: str = "date") -> date:
    """A day the programme can work with (windows and periods around it stay in range)."""
    if not 1970 <= day.year <= 9000:
        raise InvalidInput(f"{field} must be between 1970 and 9000", code="invalid_date")
    return day


def _bad(what: str, message: str) -> None:
    raise InvalidInput(message, code=f"invalid_{what}")


# --- ABC / XYZ -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemClass:
    item_id: int
    abc: str
    xyz: str
    value: Decimal  # consumption value over the window
    share: Decimal  # of the total consumption value, 0..1
    cv: Decimal | None  # coefficient of variation of demand per bucket; None without demand


def abc_classes(
    values: Mapping[int, Decimal], a_pct: Decimal, b_pct: Decimal
) -> dict[int, tuple[str, Decimal]]:
    """Item id -> (class, share) by consumption value: items sorted by value, highest first; an
    item is A while the value of the items before it is below the A cut-off, B while it is below
    A + B, else C. So the most valuable item is always A, and an item without value is C."""
    total = sum((v for v in values.values() if v > 0), Decimal(0))
    out: dict[int, tuple[str, Decimal]] = {}
    before = Decimal(0)
    for item_id, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0 or total == 0:
            out[item_id] = ("C", Decimal(0))
            continue
        share = value / total
        cum_pct = before / total * HUNDRED
        out[item_id] = ("A" if cum_pct < a_pct else "B" if cum_pct < a_pct + b_pct else "C", share)
        before += value
    return out


def demand_buckets(
    daily: Iterable[tuple[date, Decimal]], *, as_of: date, window_days: int, bucket: str
) -> list[Decimal]:
    """Demand per bucket of ``bucket`` days, counted back from ``as_of`` (inclusive) over the
    whole buckets that fit in the window; a bucket's net demand below zero counts as zero."""
    size = BUCKETS[bucket]
    n = window_days // size
    sums = [Decimal(0)] * n
    for day, qty in daily:
        back = (as_of - day).days
        if 0 <= back < n * size:
            sums[back // size] += qty
    return [max(s, Decimal(0)) for s in sums]


def coefficient_of_variation(demand: Sequence[Decimal]) -> Decimal | None:
    """Population standard deviation / mean of the demand per bucket; None when there is none."""
    if not demand:
        return None
    mean = sum(demand, Decimal(0)) / len(demand)
    if mean <= 0:
        return None
    return statistics.pstdev(demand, mean) / mean


def xyz_class(cv: Decimal | None, x_cv: Decimal, y_cv: Decimal) -> str:
    """X steady, Y variable, Z erratic; no demand at all is Z."""
    if cv is None:
        return "Z"
    return "X" if cv <= x_cv else "Y" if cv <= y_cv else "Z"


def classify(
    values: Mapping[int, Decimal],
    demand: Mapping[int, Sequence[Decimal]],
    settings: CountSettings,
) -> list[ItemClass]:
    """Every item of ``values`` (consumption value, zero when none) with its ABC and XYZ class."""
    abc = abc_classes(values, settings.abc_a_pct, settings.abc_b_pct)
    out = []
    for item_id in sorted(values):
        cv = coefficient_of_variation(demand.get(item_id, []))
        letter, share = abc[item_id]
        out.append(
            ItemClass(
                item_id=item_id,
                abc=letter,
                xyz=xyz_class(cv, settings.xyz_x_cv, settings.xyz_y_cv),
                value=values[item_id],
                share=share,
                cv=cv,
            )
        )
    return out


# --- the daily plan --------------------------------------------------------------------------


def working_day_number(day: date, working_days: Sequence[int]) -> int:
    """How many working days lie between EPOCH and ``day`` (``day`` excluded)."""
    weeks, rest = divmod((day - EPOCH).days, 7)
    return weeks * len(working_days) + sum(1 for d in working_days if d <= rest)


def is_working_day(day: date, working_days: Sequence[int]) -> bool:
    return day.isoweekday() in working_days


def cycle_days(frequency: int, working_days: Sequence[int]) -> int:
    """Working days in which each record of a class is counted once: the working days of a year
    divided by the counts a year, rounded down so a record is counted at least that often."""
    per_year = Decimal(len(working_days)) * Decimal("365.25") / 7
    return max(1, int(per_year / frequency))


@dataclass(frozen=True, slots=True)
class Record:
    """A stock record the programme counts: an item at a location."""

    item_id: int
    location_id: int
    warehouse_id: int
    abc: str
    last_counted: date | None  # when it was last in a count (planned or ad hoc)


def day_quota(records: int, period: int, day_number: int) -> int:
    """How many of ``records`` to count on working day ``day_number`` so that any ``period``
    consecutive working days count exactly ``records``, each day floor or ceil of the mean
    (spread like a line drawn on a grid)."""
    return (day_number + 1) * records // period - day_number * records // period


def plan_day(
    records: Iterable[Record], day: date, settings: CountSettings
) -> list[tuple[int, int]]:
    """The (item, location) records to count on working day ``day``.

    Per warehouse and class, with N records and a cycle of P working days, the day takes its
    share of N / P (day_quota), the records counted longest ago first (never counted before
    all), ties by item and location. Taken in turn like that, every record is counted once a
    cycle, the work is even across the days, and the same state gives the same plan.
    """
    if not is_working_day(day, settings.working_days):
        return []
    today = working_day_number(day, settings.working_days)
    groups: dict[tuple[int, str], list[Record]] = {}
    for r in records:
        groups.setdefault((r.warehouse_id, r.abc), []).append(r)
    chosen: list[tuple[int, int]] = []
    for (_, abc), group in sorted(groups.items()):
        period = cycle_days(settings.frequency[abc], settings.working_days)
        group.sort(key=lambda r: (r.last_counted or date.min, r.item_id, r.location_id))
        take = day_quota(len(group), period, today)
        chosen.extend((r.item_id, r.location_id) for r in group[:take])
    return sorted(chosen)


# --- accuracy --------------------------------------------------------------------------------


def period_start(day: date, period: str) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise InvalidInput(f"period must be one of {', '.join(PERIODS)}", code="invalid_period")


@dataclass(frozen=True, slots=True)
class AccuracyPoint:
    period: date
    counted: int
    within: int

    @property
    def accuracy(self) -> Decimal:
        """Records within tolerance / records counted, in %, to one decimal."""
        if self.counted == 0:
            return Decimal(0)
        return (Decimal(self.within) * HUNDRED / self.counted).quantize(Decimal("0.1"))


def accuracy_series(counts: Iterable[tuple[date, int, int]], period: str) -> list[AccuracyPoint]:
    """(day, counted, within) rows summed per period, oldest first (periods without counts are
    left out: there is nothing to measure)."""
    sums: dict[date, list[int]] = {}
    for day, counted, within in counts:
        s = sums.setdefault(period_start(day, period), [0, 0])
        s[0] += counted
        s[1] += within
    return [AccuracyPoint(p, c, w) for p, (c, w) in sorted(sums.items())]


def trend(points: Sequence[AccuracyPoint]) -> Decimal | None:
    """Least-squares slope of accuracy per period, in percentage points (None under 2 points)."""
    if len(points) < 2:
        return None
    xs = [Decimal(n) for n in range(len(points))]
    ys = [p.accuracy for p in points]
    zero = Decimal(0)
    mx, my = sum(xs, zero) / len(xs), sum(ys, zero) / len(ys)
    covariance = sum(((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)), zero)
    variance = sum(((x - mx) ** 2 for x in xs), zero)
    return (covariance / variance).quantize(Decimal("0.01"))


def bin_version(lines: Iterable[tuple[int, int]]) -> str:
    """The version of a location's count lines, from each line's number and how often it was
    counted (``count_no``): it changes whenever a count is recorded there or a line is found.
    A form that counts the location carries the version it was shown, so a count recorded
    meanwhile (by another form or device) is noticed instead of being counted again."""
    seen = sorted(lines)
    return hashlib.sha256(repr(seen).encode()).hexdigest()[:16]
