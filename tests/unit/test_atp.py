"""Available-to-promise: hand-checked timelines and properties against a plain reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.atp import (
    AtpPosition,
    atp_on,
    atp_profile,
    build_timeline,
    earliest_promise,
    projected_on,
)
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import FACTOR

TODAY = date(2026, 3, 3)
U = FACTOR  # one unit in micro-units


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def position(
    on_hand: int = 0,
    reserved: int = 0,
    *,
    supply: Sequence[tuple[int, int]] = (),
    demand: Sequence[tuple[int, int]] = (),
) -> AtpPosition:
    """A position in whole units, events given as (day offset, units)."""
    return AtpPosition(
        on_hand=on_hand * U,
        reserved=reserved * U,
        supply=[(day(d), q * U) for d, q in supply],
        demand=[(day(d), q * U) for d, q in demand],
        today=TODAY,
    )


def test_a_backorder_before_a_receipt_makes_today_overcommitted() -> None:
    pos = position(10, 4, supply=[(5, 20)], demand=[(3, 15)])
    # projected: today 10 - 4 = 6; day+3 6 - 15 = -9; day+5 -9 + 20 = 11
    # ATP today = min(6, -9, 11) = -9: the backorder already eats more than is free.
    assert atp_on(pos, TODAY) == -9 * U
    assert atp_on(pos, day(3)) == -9 * U  # min(-9, 11)
    assert atp_on(pos, day(4)) == -9 * U  # projected(day+4) is still -9
    assert atp_on(pos, day(5)) == 11 * U  # only the receipt's day and nothing after
    assert atp_profile(pos) == [(TODAY, -9 * U), (day(3), -9 * U), (day(5), 11 * U)]


def test_a_later_commitment_limits_what_can_be_promised_earlier() -> None:
    pos = position(5, supply=[(2, 10), (6, 20)], demand=[(4, 12)])
    # projected: today 5; day+2 5 + 10 = 15; day+4 15 - 12 = 3; day+6 3 + 20 = 23
    # ATP today = min(5, 15, 3, 23) = 3, although 5 are free today: day+4 needs the rest.
    assert atp_on(pos, TODAY) == 3 * U
    assert atp_on(pos, day(2)) == 3 * U  # min(15, 3, 23)
    assert atp_on(pos, day(5)) == 3 * U  # projected(day+5) = 3, then 23
    assert atp_on(pos, day(6)) == 23 * U
    assert atp_on(pos, day(400)) == 23 * U  # nothing known after day+6
    assert projected_on(pos, day(3)) == 15 * U
    assert projected_on(pos, day(4)) == 3 * U


def test_the_earliest_promise_is_the_first_day_atp_covers_the_quantity() -> None:
    pos = position(5, supply=[(2, 10), (6, 20)], demand=[(4, 12)])
    # ATP profile (from the test above): today 3, day+2 3, day+4 3, day+6 23
    assert earliest_promise(pos, 3 * U) == TODAY
    assert earliest_promise(pos, 3 * U + 1) == day(6)
    assert earliest_promise(pos, 23 * U) == day(6)
    # 24 is more than all known supply can cover.
    assert earliest_promise(pos, 24 * U) is None


def test_without_events_atp_is_on_hand_minus_reserved_every_day() -> None:
    pos = position(10, 3)
    # 10 - 3 = 7, today and forever
    assert atp_profile(pos) == [(TODAY, 7 * U)]
    assert atp_on(pos, day(30)) == 7 * U
    assert earliest_promise(pos, 7 * U) == TODAY
    assert earliest_promise(pos, 8 * U) is None


def test_events_dated_before_today_count_as_due_today() -> None:
    pos = position(2, supply=[(-4, 10)], demand=[(-1, 5)])
    # the late receipt and the overdue order both land today: 2 + 10 - 5 = 7
    assert atp_profile(pos) == [(TODAY, 7 * U)]


def test_supply_and_demand_on_one_day_net_out() -> None:
    pos = position(0, supply=[(3, 8)], demand=[(3, 5), (3, 1)])
    # today 0; day+3 0 + 8 - 5 - 1 = 2
    assert atp_profile(pos) == [(TODAY, 0), (day(3), 2 * U)]


def test_a_day_before_today_is_answered_as_today() -> None:
    pos = position(4, demand=[(2, 1)])
    # today min(4, 3) = 3; nothing can be promised for yesterday beyond today's answer
    assert atp_on(pos, day(-3)) == atp_on(pos, TODAY) == 3 * U


def test_reservations_beyond_available_stock_show_as_overcommitment() -> None:
    # Reserved stock since put on hold: 2 available, 5 reserved, so 3 are owed.
    assert atp_on(position(2, 5), TODAY) == -3 * U
    assert earliest_promise(position(2, 5, supply=[(1, 4)]), U) == day(1)  # -3 + 4 = 1


def test_zero_quantity_events_change_nothing() -> None:
    pos = position(4, supply=[(2, 0)], demand=[(5, 0)])
    assert [atp for _, atp in atp_profile(pos)] == [4 * U, 4 * U, 4 * U]


@pytest.mark.parametrize(
    "changes",
    [
        {"on_hand": -1},
        {"reserved": -1},
        {"supply": [(TODAY, -1)]},
        {"demand": [(TODAY, -5 * U)]},
    ],
)
def test_negative_quantities_are_refused(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "on_hand": 0,
        "reserved": 0,
        "supply": [],
        "demand": [],
        "today": TODAY,
    }
    fields.update(changes)
    with pytest.raises(InvalidInput) as info:
        AtpPosition(**fields)  # type: ignore[arg-type]
    assert info.value.code == "quantity_negative"
    assert "must be zero or more" in info.value.message


@pytest.mark.parametrize("qty", [0, -U])
def test_promising_nothing_or_less_is_refused(qty: int) -> None:
    with pytest.raises(InvalidInput) as info:
        earliest_promise(position(5), qty)
    assert info.value.code == "quantity_not_positive"


def test_a_position_keeps_its_events_even_if_the_callers_list_changes() -> None:
    supply = [(day(1), 5 * U)]
    pos = AtpPosition(on_hand=0, reserved=0, supply=supply, demand=[], today=TODAY)
    supply.append((day(2), 100 * U))
    assert atp_on(pos, day(9)) == 5 * U


def test_a_timeline_answers_many_questions_from_one_sort() -> None:
    pos = position(
        1, supply=[(d, 2) for d in range(0, 2000, 2)], demand=[(d, 1) for d in range(1, 2000, 2)]
    )
    timeline = build_timeline(pos)
    # today 1 + 2 = 3; each later pair of days adds 2 - 1 = 1
    assert timeline.atp_on(TODAY) == 2 * U  # min is after the demand of day+1: 3 - 1
    assert timeline.profile() == atp_profile(pos)
    assert timeline.earliest_promise(500 * U) == earliest_promise(pos, 500 * U)


# --- properties against a plain quadratic reference ------------------------------------------

events = st.lists(st.tuples(st.integers(-3, 20), st.integers(0, 30)), max_size=12)
positions = st.builds(
    position, st.integers(0, 40), st.integers(0, 40), supply=events, demand=events
)


def reference_projected(pos: AtpPosition, t: date) -> int:
    def due(d: date) -> date:
        return max(d, pos.today)

    return (
        pos.on_hand
        - pos.reserved
        + sum(q for d, q in pos.supply if due(d) <= t)
        - sum(q for d, q in pos.demand if due(d) <= t)
    )


def reference_atp(pos: AtpPosition, d: date) -> int:
    d = max(d, pos.today)
    later = {max(e, pos.today) for e, _ in [*pos.supply, *pos.demand]}
    return min(reference_projected(pos, t) for t in {d} | {e for e in later if e > d})


def with_demand(pos: AtpPosition, d: date, qty: int) -> AtpPosition:
    return AtpPosition(pos.on_hand, pos.reserved, pos.supply, [*pos.demand, (d, qty)], pos.today)


DAYS = [day(offset) for offset in range(-2, 24)]


@given(positions)
def test_atp_equals_the_minimum_of_projected_stock_from_that_day_on(pos: AtpPosition) -> None:
    for d in DAYS:
        assert atp_on(pos, d) == reference_atp(pos, d)
        assert projected_on(pos, d) == reference_projected(pos, max(d, TODAY))


@given(positions)
def test_atp_never_decreases_with_the_day(pos: AtpPosition) -> None:
    values = [atp_on(pos, d) for d in DAYS]
    assert values == sorted(values)
    profile = atp_profile(pos)
    assert profile[0][0] == TODAY
    assert [d for d, _ in profile] == sorted({d for d, _ in profile})
    assert all(atp_on(pos, d) == a for d, a in profile)


@given(positions, st.integers(0, 22))
def test_promising_atp_breaks_no_later_commitment_and_one_more_would(
    pos: AtpPosition, offset: int
) -> None:
    d = day(offset)
    promise = max(0, atp_on(pos, d))
    if promise > 0:
        after = with_demand(pos, d, promise)
        assert all(reference_projected(after, t) >= 0 for t in DAYS if t >= d)
    # ATP is tight: one micro-unit more drives some day from d on below zero.
    greedy = with_demand(pos, d, promise + 1)
    assert any(reference_projected(greedy, t) < 0 for t in DAYS if t >= d)


@given(positions, st.integers(1, 80 * U))
def test_the_earliest_promise_agrees_with_atp(pos: AtpPosition, qty: int) -> None:
    found = earliest_promise(pos, qty)
    if found is None:
        assert all(atp_on(pos, d) < qty for d in DAYS)
    else:
        assert atp_on(pos, found) >= qty
        assert found == TODAY or atp_on(pos, found - timedelta(days=1)) < qty
