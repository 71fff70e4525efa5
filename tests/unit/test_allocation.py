"""Allocation: FIFO, FEFO and serial picks, exclusions, shortfalls, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.allocation import Allocation, StockUnit, allocate, is_allocatable
from onhand.domain.errors import InvalidInput
from onhand.domain.items import Tracking
from onhand.domain.quantities import FACTOR

TODAY = date(2026, 3, 3)
T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
U = FACTOR  # one unit in micro-units


def unit(
    qty: float,
    *,
    path: str = "WH1/A/01",
    received: int = 0,
    lot: int | None = None,
    expires: int | None = None,
    serial: str | None = None,
    held: bool = False,
) -> StockUnit:
    """A candidate of ``qty`` units, received ``received`` days after T0, expiring ``expires``
    days after TODAY."""
    return StockUnit(
        location_id=sum(map(ord, path)),
        location_path=path,
        lot_id=lot,
        lot_code=None if lot is None else f"L{lot}",
        expiry=None if expires is None else TODAY + timedelta(days=expires),
        serial_id=None if serial is None else sum(map(ord, serial)),
        serial=serial,
        received_at=T0 + timedelta(days=received),
        qty=round(qty * U),
        held=held,
    )


def picked(result: Allocation) -> list[tuple[StockUnit, float]]:
    return [(p.unit, p.qty / U) for p in result.picks]


def refusal(*args: object, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        allocate(*args, today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert info.value.message
    return info.value


# --- untracked: FIFO ---------------------------------------------------------------------------


def test_untracked_stock_is_picked_oldest_received_first() -> None:
    newest, oldest, middle = unit(3, received=3), unit(3, received=1), unit(3, received=2)
    result = allocate(Tracking.NONE, [newest, oldest, middle], 7 * U, today=TODAY)
    # 7 = 3 (day 1) + 3 (day 2) + 1 of the day-3 receipt
    assert picked(result) == [(oldest, 3), (middle, 3), (newest, 1)]
    assert result.short == 0
    assert result.allocated == 7 * U


def test_fifo_ties_are_broken_by_location_path_then_lot_id() -> None:
    b = unit(1, path="WH1/B/01")
    a2 = unit(1, path="WH1/A/01", lot=2)
    a1 = unit(1, path="WH1/A/01", lot=1)
    result = allocate(Tracking.NONE, [b, a2, a1], 3 * U, today=TODAY)
    assert [p.unit for p in result.picks] == [a1, a2, b]


def test_what_the_stock_cannot_cover_is_reported_short() -> None:
    result = allocate(Tracking.NONE, [unit(2), unit(3, received=1)], 8 * U, today=TODAY)
    # 2 + 3 = 5 available, 8 asked: 3 short
    assert result.allocated == 5 * U
    assert result.short == 3 * U


def test_without_candidates_everything_is_short() -> None:
    assert allocate(Tracking.NONE, [], 4 * U, today=TODAY) == Allocation((), 4 * U)


def test_fractional_quantities_are_split_exactly() -> None:
    first, second = unit(0.25), unit(1.5, received=1)
    result = allocate(Tracking.NONE, [second, first], round(1.2 * U), today=TODAY)
    # 1.2 = 0.25 + 0.95
    assert picked(result) == [(first, 0.25), (second, 0.95)]


# --- lot-tracked: FEFO -------------------------------------------------------------------------


def test_lots_are_picked_first_expired_first_out_with_undated_lots_last() -> None:
    undated = unit(1, lot=1, received=0)
    late = unit(1, lot=2, expires=20, received=1)
    early = unit(1, lot=3, expires=10, received=9)  # received last, but expires first
    middle = unit(1, lot=4, expires=15, received=2)
    result = allocate(Tracking.LOT, [undated, late, early, middle], 4 * U, today=TODAY)
    assert [p.unit for p in result.picks] == [early, middle, late, undated]


def test_lots_expiring_the_same_day_go_oldest_received_then_by_path() -> None:
    newer = unit(1, lot=1, expires=5, received=4, path="WH1/A/01")
    older_b = unit(1, lot=2, expires=5, received=1, path="WH1/B/01")
    older_a = unit(1, lot=3, expires=5, received=1, path="WH1/A/09")
    result = allocate(Tracking.LOT, [newer, older_b, older_a], 3 * U, today=TODAY)
    assert [p.unit for p in result.picks] == [older_a, older_b, newer]


def test_a_lot_expiring_today_is_allocatable_and_one_expired_yesterday_is_not() -> None:
    expired = unit(5, lot=1, expires=-1)
    last_day = unit(2, lot=2, expires=0)
    result = allocate(Tracking.LOT, [expired, last_day], 3 * U, today=TODAY)
    assert picked(result) == [(last_day, 2)]
    assert result.short == U
    assert not is_allocatable(expired, today=TODAY)
    assert is_allocatable(last_day, today=TODAY)


def test_held_stock_is_never_allocated() -> None:
    held = unit(10, lot=1, expires=1, held=True)
    free = unit(1, lot=2, expires=30)
    result = allocate(Tracking.LOT, [held, free], 5 * U, today=TODAY)
    # the held lot expires first and holds plenty, yet only the free unit is picked
    assert picked(result) == [(free, 1)]
    assert result.short == 4 * U


@pytest.mark.parametrize("qty", [0, -2])
def test_empty_or_negative_candidates_are_skipped(qty: float) -> None:
    odd = unit(qty, received=0)
    good = unit(1, received=1)
    result = allocate(Tracking.NONE, [odd, good], U, today=TODAY)
    assert picked(result) == [(good, 1)]


@pytest.mark.parametrize("qty", [0, -U])
def test_allocating_nothing_or_less_is_refused(qty: int) -> None:
    assert refusal(Tracking.NONE, [unit(5)], qty).code == "quantity_not_positive"


def test_serials_are_refused_for_an_item_that_is_not_serial_tracked() -> None:
    err = refusal(Tracking.LOT, [unit(5, lot=1)], U, serials=["SN1"])
    assert err.code == "serial_not_tracked"


# --- serial-tracked ----------------------------------------------------------------------------


def test_serials_are_picked_oldest_received_first_one_unit_each() -> None:
    sn3, sn1, sn2 = (
        unit(1, serial="SN3", received=3),
        unit(1, serial="SN1", received=1),
        unit(1, serial="SN2", received=2),
    )
    result = allocate(Tracking.SERIAL, [sn3, sn1, sn2], 2 * U, today=TODAY)
    assert picked(result) == [(sn1, 1), (sn2, 1)]
    assert result.short == 0


def test_a_serial_tracked_item_is_allocated_in_whole_units_only() -> None:
    err = refusal(Tracking.SERIAL, [unit(1, serial="SN1")], round(1.5 * U))
    assert err.code == "serial_whole_units"
    assert "1.5" in err.message


def test_missing_serials_are_reported_short() -> None:
    units = [unit(1, serial="SN1"), unit(1, serial="SN2", held=True), unit(0.5, serial="SN3")]
    result = allocate(Tracking.SERIAL, units, 3 * U, today=TODAY)
    # SN2 is held and SN3 is not a whole unit: only SN1, 2 short
    assert [p.unit.serial for p in result.picks] == ["SN1"]
    assert result.short == 2 * U


def test_named_serials_are_allocated_exactly_in_the_order_given() -> None:
    units = [unit(1, serial=s, received=i) for i, s in enumerate(["SN1", "SN2", "SN3"])]
    result = allocate(Tracking.SERIAL, units, 2 * U, today=TODAY, serials=["SN3", "SN1"])
    assert [(p.unit.serial, p.qty) for p in result.picks] == [("SN3", U), ("SN1", U)]
    assert result.short == 0


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (None, "is not in stock"),
        (unit(1, serial="SN9", held=True, path="WH1/Q/01"), "is on hold at WH1/Q/01"),
        (unit(0, serial="SN9"), "is not in stock"),
        (unit(1, serial="SN9", lot=7, expires=-2), "expired on 2026-03-01"),
    ],
)
def test_a_named_serial_that_cannot_be_picked_is_refused_by_name(
    candidate: StockUnit | None, reason: str
) -> None:
    units = [unit(1, serial="SN1")] + ([candidate] if candidate else [])
    err = refusal(Tracking.SERIAL, units, 2 * U, serials=["SN1", "SN9"])
    assert err.code == "serial_not_available"
    assert err.extra["serial"] == "SN9"
    assert "'SN9'" in err.message
    assert reason in err.message


def test_a_serial_listed_twice_is_refused() -> None:
    units = [unit(1, serial="SN1"), unit(1, serial="SN2")]
    err = refusal(Tracking.SERIAL, units, 2 * U, serials=["SN1", "SN1"])
    assert err.code == "duplicate_serial"


def test_the_number_of_named_serials_must_match_the_quantity() -> None:
    units = [unit(1, serial="SN1"), unit(1, serial="SN2")]
    err = refusal(Tracking.SERIAL, units, 1 * U, serials=["SN1", "SN2"])
    assert err.code == "serial_count_mismatch"
    assert "2 serial numbers were given for a quantity of 1" in err.message


# --- properties --------------------------------------------------------------------------------

candidates = st.lists(
    st.builds(
        unit,
        st.integers(-2, 20).map(float) | st.floats(0, 5).map(lambda q: round(q, 3)),
        path=st.sampled_from(["WH1/A/01", "WH1/A/02", "WH1/B/01"]),
        received=st.integers(0, 5),
        lot=st.none() | st.integers(1, 6),
        expires=st.none() | st.integers(-3, 6),
        held=st.booleans(),
    ),
    max_size=10,
)


def check_totals(units: list[StockUnit], result: Allocation, qty: int) -> None:
    assert result.allocated + result.short == qty
    assert 0 <= result.short <= qty
    taken: dict[int, int] = {}
    for p in result.picks:
        assert p.qty > 0
        assert is_allocatable(p.unit, today=TODAY)  # never held, expired or empty
        assert any(p.unit is u for u in units)
        taken[id(p.unit)] = taken.get(id(p.unit), 0) + p.qty
    assert all(taken[id(u)] <= u.qty for u in units if id(u) in taken)


@given(candidates, st.integers(1, 40 * U), st.sampled_from([Tracking.NONE, Tracking.LOT]))
def test_picks_and_shortfall_add_up_and_stay_within_allocatable_stock(
    units: list[StockUnit], qty: int, tracking: Tracking
) -> None:
    result = allocate(tracking, units, qty, today=TODAY)
    check_totals(units, result, qty)
    free = sum(u.qty for u in units if is_allocatable(u, today=TODAY))
    assert result.allocated == min(qty, free)
    # Only the last pick may leave something behind in its unit.
    assert all(p.qty == p.unit.qty for p in result.picks[:-1])


def fefo(u: StockUnit) -> tuple[bool, date, datetime]:
    return (u.expiry is None, u.expiry or date.min, u.received_at)


@given(candidates, st.integers(1, 40 * U))
def test_no_lot_is_picked_while_one_expiring_earlier_is_left(
    units: list[StockUnit], qty: int
) -> None:
    result = allocate(Tracking.LOT, units, qty, today=TODAY)
    keys = [fefo(p.unit) for p in result.picks]
    assert keys == sorted(keys)
    if result.picks:
        last = keys[-1]
        chosen = {id(p.unit) for p in result.picks}
        left = [u for u in units if is_allocatable(u, today=TODAY) and id(u) not in chosen]
        assert all(fefo(u) >= last for u in left)


@given(
    st.lists(
        st.builds(
            unit,
            st.sampled_from([0.0, 0.5, 1.0]),
            serial=st.sampled_from(["SN1", "SN2", "SN3", "SN4", "SN5"]),
            received=st.integers(0, 5),
            held=st.booleans(),
        ),
        max_size=8,
    ),
    st.integers(1, 6),
)
def test_serial_picks_are_distinct_whole_units(units: list[StockUnit], count: int) -> None:
    result = allocate(Tracking.SERIAL, units, count * U, today=TODAY)
    check_totals(units, result, count * U)
    assert all(p.qty == U for p in result.picks)
    serials = [p.unit.serial for p in result.picks]
    assert len(serials) == len(set(serials))
    whole = {u.serial for u in units if u.qty >= U and is_allocatable(u, today=TODAY)}
    assert len(serials) == min(count, len(whole))
