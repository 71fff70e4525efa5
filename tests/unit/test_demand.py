"""Demand buckets, range rules and stockout days: the pure part of demand history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.demand import (
    MAX_DAYS,
    Bucket,
    DayLedger,
    bucket_start,
    build_series,
    check_range,
    parse_bucket,
    stockout_days,
)
from onhand.domain.errors import InvalidInput

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@given(days)
def test_a_week_starts_on_the_monday_on_or_before_the_day(day: date) -> None:
    first = bucket_start(day, Bucket.WEEK)
    assert first.isoweekday() == 1
    assert 0 <= (day - first).days < 7
    assert first.isocalendar()[:2] == day.isocalendar()[:2]


@given(days)
def test_a_month_starts_on_its_first_day_and_a_day_is_itself(day: date) -> None:
    assert bucket_start(day, Bucket.MONTH) == date(day.year, day.month, 1)
    assert bucket_start(day, Bucket.DAY) == day


def test_iso_weeks_across_a_year_end() -> None:
    # 2026-01-01 is a Thursday of ISO week 2026-W01, which began on Monday 2025-12-29.
    assert bucket_start(date(2026, 1, 1), Bucket.WEEK) == date(2025, 12, 29)


@given(days, st.integers(0, 400), st.sampled_from(list(Bucket)))
def test_the_series_is_dense_and_covers_each_day_once(start: date, n: int, kind: Bucket) -> None:
    end = start + timedelta(days=n)
    series = build_series(kind, start, end, {}, set())
    assert sum(p.days for p in series) == n + 1
    assert [p.start for p in series] == sorted({bucket_start(p.start, kind) for p in series})
    assert all(p.qty == 0 and p.stockout_days == 0 for p in series)


def test_bad_buckets_and_ranges_are_refused_with_codes() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_bucket("fortnight")
    assert err.value.code == "invalid_bucket"
    with pytest.raises(InvalidInput) as err:
        check_range(date(2026, 1, 2), date(2026, 1, 1))
    assert err.value.code == "invalid_range"
    with pytest.raises(InvalidInput) as err:
        check_range(date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=MAX_DAYS))
    assert err.value.code == "range_too_long"
    check_range(date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=MAX_DAYS - 1))
    check_range(date(2020, 1, 1), date(2020, 1, 1))


def test_a_day_is_out_when_it_starts_empty_or_reaches_zero() -> None:
    d = [date(2026, 3, 1) + timedelta(days=i) for i in range(5)]
    # low: the lowest balance of the day less the opening balance (4) of the whole range.
    ledger = {
        d[1]: DayLedger(low=-4, net=-4),  # 4 -> 0: reached zero
        d[2]: DayLedger(low=-4, net=2),  # started at 0, ends at 2
        d[4]: DayLedger(low=-5, net=1),  # 2 -> -1 (a location that may go negative) -> 3
    }
    assert stockout_days(4, ledger, d[0], d[4]) == {d[1], d[2], d[4]}
    assert stockout_days(0, {}, d[0], d[1]) == {d[0], d[1]}
    assert stockout_days(1, {}, d[0], d[1]) == set()
    assert stockout_days(4, {d[4]: DayLedger(low=-3, net=1)}, d[4], d[4]) == set()
