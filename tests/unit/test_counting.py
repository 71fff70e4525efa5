"""The counting maths on hand-checked numbers: ABC, XYZ, the plan's spreading, tolerances and
accuracy."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.counting import (
    AccuracyPoint,
    CountSettings,
    Record,
    abc_classes,
    accuracy_series,
    classify,
    coefficient_of_variation,
    cycle_days,
    day_quota,
    demand_buckets,
    is_working_day,
    period_start,
    plan_day,
    trend,
    working_day_number,
    xyz_class,
)
from onhand.domain.errors import InvalidInput

D = Decimal
DEFAULTS = CountSettings()


# --- ABC / XYZ -------------------------------------------------------------------------------


def test_abc_by_the_value_before_each_item_with_the_default_cut_offs() -> None:
    # Total 1000. Value before each: 0 %, 50 %, 80 %, 90 %, 96 %.
    values = {1: D(500), 2: D(300), 3: D(100), 4: D(60), 5: D(40), 6: D(0)}
    got = abc_classes(values, D(80), D(15))
    assert {k: v[0] for k, v in got.items()} == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: "C"}
    assert got[1][1] == D("0.5")
    assert got[6][1] == D(0)


def test_the_most_valuable_item_is_a_even_when_it_alone_passes_the_cut_off() -> None:
    got = abc_classes({1: D(95), 2: D(5)}, D(80), D(15))
    assert got[1][0] == "A"
    assert got[2][0] == "C"  # 95 % lie before it


def test_without_any_consumption_every_item_is_c() -> None:
    assert {k: v[0] for k, v in abc_classes({1: D(0), 2: D(0)}, D(80), D(15)).items()} == {
        1: "C",
        2: "C",
    }


def test_equal_values_are_ordered_by_item_so_the_classes_are_deterministic() -> None:
    got = abc_classes({2: D(10), 1: D(10), 3: D(10)}, D(50), D(30))
    assert [got[i][0] for i in (1, 2, 3)] == ["A", "A", "B"]


def test_demand_is_bucketed_back_from_the_as_of_day_and_outside_days_are_left_out() -> None:
    as_of = date(2026, 1, 31)
    daily = [
        (as_of, D(2)),
        (as_of - timedelta(days=6), D(3)),  # same week
        (as_of - timedelta(days=7), D(4)),  # the week before
        (as_of - timedelta(days=21), D(-9)),  # net returns: counts as no demand
        (as_of - timedelta(days=28), D(100)),  # outside 4 whole weeks
        (as_of + timedelta(days=1), D(100)),  # after the as-of day
    ]
    assert demand_buckets(daily, as_of=as_of, window_days=30, bucket="week") == [
        D(5),
        D(4),
        D(0),
        D(0),
    ]
    assert len(demand_buckets([], as_of=as_of, window_days=365, bucket="month")) == 12


@pytest.mark.parametrize(
    ("demand", "cv", "letter"),
    [
        ([D(10)] * 4, D(0), "X"),
        ([D(0), D(20)], D(1), "Y"),  # mean 10, deviation 10
        ([D(5), D(15)], D("0.5"), "X"),  # on the limit: X
        ([D(0), D(0), D(0), D(40)], D(300).sqrt() / 10, "Z"),
        ([D(0)] * 3, None, "Z"),
        ([], None, "Z"),
    ],
)
def test_xyz_by_the_coefficient_of_variation(
    demand: list[Decimal], cv: Decimal | None, letter: str
) -> None:
    got = coefficient_of_variation(demand)
    assert got == cv
    assert xyz_class(got, D("0.5"), D("1.0")) == letter


def test_classify_combines_value_and_variability() -> None:
    got = classify({1: D(900), 2: D(100), 3: D(0)}, {1: [D(5), D(5)], 2: [D(0), D(8)]}, DEFAULTS)
    assert [(c.item_id, c.abc, c.xyz) for c in got] == [(1, "A", "X"), (2, "B", "Y"), (3, "C", "Z")]
    assert got[1].cv == D(1)
    assert got[1].share == D("0.1")


# --- settings and tolerance ------------------------------------------------------------------


def test_the_tolerance_is_three_percent_or_one_unit_whichever_is_larger() -> None:
    assert DEFAULTS.tolerance("A", D(100)) == D(3)
    assert DEFAULTS.tolerance("A", D(10)) == D(1)
    assert DEFAULTS.tolerance("B", D(-200)) == D(6)  # a negative book: its size
    assert DEFAULTS.tolerance("C", D(0)) == D(1)
    strict = DEFAULTS.with_changes(tolerance_pct={"A": D(0), "B": D(3), "C": D(3)})
    assert strict.tolerance("A", D(1000)) == D(1)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"frequency": {"A": 0, "B": 4, "C": 2}}, "invalid_frequency"),
        ({"frequency": {"A": 12, "B": 4}}, "invalid_frequency"),
        ({"tolerance_pct": {"A": D(101), "B": D(3), "C": D(3)}}, "invalid_tolerance"),
        ({"tolerance_units": {"A": D(-1), "B": D(1), "C": D(1)}}, "invalid_tolerance"),
        ({"working_days": ()}, "invalid_working_days"),
        ({"working_days": (1, 1)}, "invalid_working_days"),
        ({"working_days": (0,)}, "invalid_working_days"),
        ({"abc_a_pct": D(90), "abc_b_pct": D(20)}, "invalid_abc_cutoffs"),
        ({"abc_a_pct": D(0)}, "invalid_abc_cutoffs"),
        ({"xyz_x_cv": D(2)}, "invalid_xyz_limits"),
        ({"bucket": "day"}, "invalid_bucket"),
        ({"window_days": 6}, "invalid_window"),
        ({"max_age_days": 0}, "invalid_max_age"),
    ],
)
def test_bad_settings_are_refused_with_a_code(changes: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        DEFAULTS.with_changes(**changes)
    assert err.value.code == code


# --- the plan --------------------------------------------------------------------------------


def test_working_days_are_numbered_without_the_weekend() -> None:
    monday = date(2026, 11, 30)
    numbers = [working_day_number(monday + timedelta(days=n), (1, 2, 3, 4, 5)) for n in range(8)]
    assert numbers[1] - numbers[0] == 1
    assert numbers[5] == numbers[6] == numbers[7]  # Saturday and Sunday, then Monday's own
    assert numbers[7] - numbers[0] == 5
    assert not is_working_day(monday + timedelta(days=5), (1, 2, 3, 4, 5))


def test_the_cycle_of_each_class_is_the_working_days_of_a_year_over_its_frequency() -> None:
    week = (1, 2, 3, 4, 5)
    assert [cycle_days(f, week) for f in (12, 4, 2)] == [21, 65, 130]
    assert cycle_days(365, week) == 1


@given(st.integers(0, 500), st.integers(1, 300), st.integers(0, 10_000))
def test_any_cycle_of_days_counts_every_record_once_and_the_days_differ_by_one(
    records: int, period: int, start: int
) -> None:
    quotas = [day_quota(records, period, start + n) for n in range(period)]
    assert sum(quotas) == records
    assert max(quotas) - min(quotas) <= 1


def simulate(records: list[Record], first: date, days: int) -> list[list[tuple[int, int]]]:
    """Plan ``days`` calendar days in turn, each counted record remembering the day."""
    state = {(r.item_id, r.location_id): r for r in records}
    plans = []
    for n in range(days):
        day = first + timedelta(days=n)
        chosen = plan_day(state.values(), day, DEFAULTS)
        for key in chosen:
            r = state[key]
            state[key] = Record(r.item_id, r.location_id, r.warehouse_id, r.abc, day)
        if is_working_day(day, DEFAULTS.working_days):
            plans.append(chosen)
        else:
            assert chosen == []
    return plans


def test_class_a_records_are_counted_once_every_21_working_days_evenly() -> None:
    records = [Record(item, 100 + item % 3, 1, "A", None) for item in range(1, 44)]  # 43
    plans = simulate(records, date(2026, 11, 30), 7 * 9)  # 45 working days
    cycles = [plans[:21], plans[21:42]]
    for cycle in cycles:
        counted = Counter(key for plan in cycle for key in plan)
        assert set(counted.values()) == {1}
        assert len(counted) == 43
    assert {len(p) for p in plans} == {2, 3}


def test_the_plan_takes_the_never_counted_and_longest_uncounted_first_per_class_and_warehouse() -> (
    None
):
    monday = date(2026, 11, 30)
    records = [
        Record(1, 10, 1, "C", monday - timedelta(days=3)),
        Record(2, 10, 1, "C", None),
        Record(3, 10, 1, "C", monday - timedelta(days=100)),
        Record(4, 20, 2, "C", None),
    ]
    # 3 C records in warehouse 1, cycle 130 days: one today or none, the never counted first.
    plans = [plan_day(records, monday + timedelta(days=n), DEFAULTS) for n in range(60)]
    firsts = [p for p in plans if (2, 10) in p or (3, 10) in p or (1, 10) in p]
    taken = [key for p in firsts for key in p if key[1] == 10]
    assert taken[0] == (2, 10)
    assert plan_day(records, monday, DEFAULTS) == plan_day(
        list(reversed(records)), monday, DEFAULTS
    )


# --- accuracy --------------------------------------------------------------------------------


def test_accuracy_per_week_with_its_trend() -> None:
    rows = [
        (date(2026, 11, 2), 4, 3),  # week of Nov 2: 6 counted, 4 within
        (date(2026, 11, 6), 2, 1),
        (date(2026, 11, 9), 5, 4),  # week of Nov 9: 80 %
        (date(2026, 11, 23), 4, 4),  # week of Nov 23: 100 %
    ]
    series = accuracy_series(rows, "week")
    assert [(p.period, p.counted, p.within, p.accuracy) for p in series] == [
        (date(2026, 11, 2), 6, 4, D("66.7")),
        (date(2026, 11, 9), 5, 4, D("80.0")),
        (date(2026, 11, 23), 4, 4, D("100.0")),
    ]
    # Slope of 66.7, 80.0, 100.0 over 0, 1, 2: (100.0 - 66.7) / 2.
    assert trend(series) == D("16.65")
    assert trend(series[:1]) is None
    assert accuracy_series(rows, "month")[0].accuracy == D("80.0")  # 12 of 15


def test_periods_start_on_monday_or_the_first_of_the_month() -> None:
    assert period_start(date(2026, 12, 2), "week") == date(2026, 11, 30)
    assert period_start(date(2026, 12, 2), "month") == date(2026, 12, 1)
    assert period_start(date(2026, 12, 2), "day") == date(2026, 12, 2)
    with pytest.raises(InvalidInput):
        period_start(date(2026, 12, 2), "year")
    assert AccuracyPoint(date(2026, 1, 1), 0, 0).accuracy == D(0)


FAST = CountSettings(frequency={"A": 52, "B": 26, "C": 12})  # cycles of 5, 10 and 21 days


@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 2)), min_size=1, max_size=60),
    st.integers(0, 6),
)
def test_over_whole_cycles_each_record_is_counted_once_a_cycle_and_days_stay_even(
    classes: list[tuple[str, int]], offset: int
) -> None:
    records = [Record(n, 100 + n, wh, abc, None) for n, (abc, wh) in enumerate(classes)]
    state = {(r.item_id, r.location_id): r for r in records}
    first = date(2026, 11, 30) + timedelta(days=offset)
    counted: Counter[tuple[int, int]] = Counter()
    per_day: dict[tuple[int, str], list[int]] = {}
    day, worked = first, 0
    while worked < 210:  # 10 cycles of C, 21 of B, 42 of A
        chosen = plan_day(state.values(), day, FAST)
        if is_working_day(day, FAST.working_days):
            worked += 1
            for key in {(r.warehouse_id, r.abc) for r in records}:
                taken = sum(1 for k in chosen if (state[k].warehouse_id, state[k].abc) == key)
                per_day.setdefault(key, []).append(taken)
        for key in chosen:
            r = state[key]
            state[key] = Record(r.item_id, r.location_id, r.warehouse_id, r.abc, day)
            counted[key] += 1
        day += timedelta(days=1)
    for r in records:
        cycles = 210 // cycle_days(FAST.frequency[r.abc], FAST.working_days)
        assert counted[(r.item_id, r.location_id)] == cycles
    for taken in per_day.values():
        assert max(taken) - min(taken) <= 1
