"""Routing an order over warehouses: hand-checked plans and properties."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import FACTOR
from onhand.domain.routing import EXACT_SEARCH_LIMIT, FulfilmentPlan, OrderLine, plan_fulfilment

U = FACTOR  # one unit in micro-units
A, B, C, D = 101, 102, 103, 104  # item ids


def order(*lines: tuple[int, int]) -> list[OrderLine]:
    """Order lines numbered from 1, each (item id, units)."""
    return [OrderLine(n, item, qty * U) for n, (item, qty) in enumerate(lines, start=1)]


def stock(**warehouses: dict[int, int]) -> dict[int, dict[int, int]]:
    """Availability in units by warehouse name W<id>."""
    return {int(w[1:]): {i: q * U for i, q in per.items()} for w, per in warehouses.items()}


def shipped(plan: FulfilmentPlan) -> dict[int, list[tuple[int, int, int]]]:
    """Shipments as (line_no, item, units) per warehouse, in the plan's order."""
    return {
        wh: [(ln.line_no, ln.item_id, ln.qty // U) for ln in parts]
        for wh, parts in plan.shipments.items()
    }


def unfilled(plan: FulfilmentPlan) -> list[tuple[int, int, int]]:
    return [(ln.line_no, ln.item_id, ln.qty // U) for ln in plan.unfilled]


def test_one_warehouse_that_has_everything_ships_everything() -> None:
    lines = order((A, 5), (B, 3))
    avail = stock(W1={A: 10}, W2={A: 5, B: 3}, W3={A: 50, B: 50})
    # W1 lacks B; W2 and W3 both have it all, and W2 is preferred
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2, 3: 3})
    assert shipped(plan) == {2: [(1, A, 5), (2, B, 3)]}
    assert plan.complete


def test_a_single_warehouse_beats_a_better_priority_split() -> None:
    lines = order((A, 5), (B, 3))
    avail = stock(W1={A: 5}, W2={B: 3}, W9={A: 5, B: 3})
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2, 9: 9})
    assert list(plan.shipments) == [9]


def test_equal_priorities_go_to_the_lower_warehouse_id_and_missing_priority_comes_last() -> None:
    lines = order((A, 1))
    avail = stock(W1={A: 1}, W7={A: 1}, W4={A: 1})
    # W1 has no priority: last, although its id is the lowest; W4 and W7 tie on 5
    assert list(plan_fulfilment(lines, avail, priority={7: 5, 4: 5}).shipments) == [4]
    assert list(plan_fulfilment(lines, avail, priority={}).shipments) == [1]


def test_two_warehouses_beat_a_three_way_split_in_priority_order() -> None:
    lines = order((A, 10), (B, 10), (C, 10))
    avail = stock(W1={A: 10}, W2={B: 10}, W3={B: 10, C: 10}, W4={A: 10, C: 10})
    # Taking each item from the first warehouse that has it would use W1, W2, W3.
    # Two suffice: {W1, W3} (priorities [1, 3]) and {W3, W4} ([3, 4]); [1, 3] wins.
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2, 3: 3, 4: 4})
    assert shipped(plan) == {1: [(1, A, 10)], 3: [(2, B, 10), (3, C, 10)]}


def test_among_equally_small_splits_the_sorted_priorities_decide_before_ids() -> None:
    lines = order((A, 2), (B, 2))
    avail = stock(W1={A: 2}, W2={B: 2}, W3={A: 2}, W4={B: 2})
    # pairs that cover: {1,2} [1, 5], {1,4} [1, 2], {3,2} [1, 5], {3,4} [1, 2]
    # {1,4} and {3,4} tie on priorities [1, 2]; ids [1, 4] < [3, 4]
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 5, 3: 1, 4: 2})
    assert set(plan.shipments) == {1, 4}
    assert list(plan.shipments) == [1, 4]  # best priority first


def test_sorted_priority_lists_are_compared_before_any_warehouse_id() -> None:
    lines = order((A, 2), (B, 2), (C, 2))
    avail = stock(W3={A: 2, C: 1}, W5={A: 2, B: 2}, W6={C: 2}, W7={B: 2, C: 2})
    # covering pairs: {3, 7} [1, 3], {5, 6} [1, 2], {5, 7} [1, 3]; [1, 2] wins although
    # W3 has the same priority as W5 and a lower id
    plan = plan_fulfilment(lines, avail, priority={3: 1, 5: 1, 6: 2, 7: 3})
    assert list(plan.shipments) == [5, 6]


def test_two_warehouses_beat_the_three_a_greedy_set_cover_would_pick() -> None:
    e, f = 105, 106
    lines = order((A, 1), (B, 1), (C, 1), (D, 1), (e, 1), (f, 1))
    avail = stock(
        W1={A: 1, B: 1, C: 1, D: 1},  # covers the most: greedy takes it first, then W2 and W3
        W2={A: 1, B: 1, e: 1},
        W3={C: 1, D: 1, f: 1},
    )
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2, 3: 3})
    assert shipped(plan) == {
        2: [(1, A, 1), (2, B, 1), (5, e, 1)],
        3: [(3, C, 1), (4, D, 1), (6, f, 1)],
    }


def test_a_line_stays_whole_when_the_chosen_warehouses_allow_it() -> None:
    lines = order((A, 3), (A, 5))
    avail = stock(W1={A: 5}, W2={A: 3})
    # 8 needed, neither has 8: both ship. Placing the larger line first keeps both whole:
    # line 2 (5) to W1, line 1 (3) to W2. In line order, line 1 would take 3 of W1's 5 and
    # line 2 would be cut into 2 + 3.
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2})
    assert shipped(plan) == {1: [(2, A, 5)], 2: [(1, A, 3)]}


def test_a_line_no_warehouse_can_take_whole_is_split_in_priority_order() -> None:
    lines = order((A, 8), (B, 1))
    avail = stock(W1={A: 5}, W2={A: 5, B: 1})
    # line 2 goes whole to W2 first (the larger line 1 fits nowhere whole), then line 1 takes
    # 5 from W1 and the other 3 from W2
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2})
    assert shipped(plan) == {1: [(1, A, 5)], 2: [(1, A, 3), (2, B, 1)]}


def test_what_no_warehouse_has_is_reported_unfilled() -> None:
    lines = order((A, 10), (B, 5))
    avail = stock(W1={A: 6}, W2={A: 3})
    # A: 6 + 3 = 9 of 10; B: none anywhere
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2})
    assert shipped(plan) == {1: [(1, A, 6)], 2: [(1, A, 3)]}
    assert unfilled(plan) == [(1, A, 1), (2, B, 5)]
    assert not plan.complete


def test_a_shortage_does_not_scatter_the_rest_over_more_warehouses() -> None:
    lines = order((A, 8), (B, 3))
    avail = stock(W1={A: 2}, W2={A: 8})
    # B is nowhere; all of A fits in W2, so W1 is not used despite its priority
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2})
    assert shipped(plan) == {2: [(1, A, 8)]}
    assert unfilled(plan) == [(2, B, 3)]


def test_with_nothing_available_everything_is_unfilled() -> None:
    lines = order((A, 1), (B, 2))
    plan = plan_fulfilment(lines, stock(W1={C: 5}, W2={}), priority={1: 1})
    assert plan.shipments == {}
    assert unfilled(plan) == [(1, A, 1), (2, B, 2)]


def test_an_overcommitted_warehouse_counts_as_having_nothing() -> None:
    lines = order((A, 1))
    avail = {1: {A: -3 * U}, 2: {A: U}}
    assert shipped(plan_fulfilment(lines, avail, priority={1: 1, 2: 2})) == {2: [(1, A, 1)]}


def test_a_warehouse_that_contributes_nothing_is_never_in_the_plan() -> None:
    lines = order((A, 3), (B, 3))
    avail = stock(W1={C: 100}, W2={A: 3}, W3={B: 3})
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2, 3: 3})
    assert list(plan.shipments) == [2, 3]


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([OrderLine(1, A, 0)], "quantity_not_positive"),
        ([OrderLine(1, A, -U)], "quantity_not_positive"),
        ([OrderLine(1, A, U), OrderLine(1, B, U)], "duplicate_line"),
    ],
)
def test_bad_order_lines_are_refused(lines: list[OrderLine], code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        plan_fulfilment(lines, stock(W1={A: 5}), priority={})
    assert info.value.code == code
    assert "line 1" in info.value.message


def test_past_the_exact_search_limit_the_greedy_cover_still_ships_everything() -> None:
    n = EXACT_SEARCH_LIMIT + 3
    items = list(range(1, n + 1))
    avail = {wh: {wh: U} for wh in items}  # each warehouse has one unit of its own item
    avail[n + 1] = dict.fromkeys(items[: n // 2], U)  # one warehouse has half of everything
    plan = plan_fulfilment([OrderLine(i, i, U) for i in items], avail, priority={})
    assert plan.complete
    # the half-stocked warehouse covers most and is taken first; the rest one each
    assert len(plan.shipments) == 1 + (n - n // 2)
    assert n + 1 in plan.shipments


def test_past_the_exact_search_limit_a_warehouse_with_everything_still_ships_alone() -> None:
    avail = {wh: {A: U, B: U} for wh in range(1, EXACT_SEARCH_LIMIT + 5)}
    avail[99] = {A: 5 * U, B: 5 * U, C: 5 * U}
    plan = plan_fulfilment(order((A, 2), (B, 2), (C, 2)), avail, priority={})
    assert list(plan.shipments) == [99]


def test_past_the_exact_search_limit_the_greedy_cover_may_use_more_warehouses() -> None:
    e, f = 105, 106
    lines = order((A, 1), (B, 1), (C, 1), (D, 1), (e, 1), (f, 1))
    avail = stock(W1={A: 1, B: 1, C: 1, D: 1}, W2={A: 1, B: 1, e: 1}, W3={C: 1, D: 1, f: 1})
    # ten more warehouses holding a little of A make the search approximate
    avail |= {wh: {A: U} for wh in range(10, 10 + EXACT_SEARCH_LIMIT - 2)}
    plan = plan_fulfilment(lines, avail, priority={1: 1, 2: 2, 3: 3})
    assert plan.complete
    # the documented approximation: W1 first (largest share), then W2 and W3 for e and f
    assert list(plan.shipments) == [1, 2, 3]


# --- properties --------------------------------------------------------------------------------

ITEMS = [A, B, C]
orders = st.lists(st.tuples(st.sampled_from(ITEMS), st.integers(1, 8)), min_size=1, max_size=5)


def availabilities(max_warehouses: int) -> st.SearchStrategy[dict[int, dict[int, int]]]:
    return st.dictionaries(
        st.integers(1, 30),
        st.dictionaries(st.sampled_from(ITEMS), st.integers(-2, 12).map(lambda q: q * U)),
        max_size=max_warehouses,
    )


priorities = st.dictionaries(st.integers(1, 30), st.integers(0, 3))


def covers(avail: dict[int, dict[int, int]], whs: tuple[int, ...], lines: list[OrderLine]) -> bool:
    need: defaultdict[int, int] = defaultdict(int)
    for ln in lines:
        need[ln.item_id] += ln.qty
    return all(sum(max(0, avail[w].get(i, 0)) for w in whs) >= q for i, q in need.items())


def check_plan(
    lines: list[OrderLine], avail: dict[int, dict[int, int]], plan: FulfilmentPlan
) -> None:
    per_wh_item: defaultdict[tuple[int, int], int] = defaultdict(int)
    per_line: defaultdict[int, int] = defaultdict(int)
    for wh, parts in plan.shipments.items():
        assert parts, "a plan never names a warehouse that ships nothing"
        for part in parts:
            assert part.qty > 0
            per_wh_item[(wh, part.item_id)] += part.qty
            per_line[part.line_no] += part.qty
    for (wh, item), qty in per_wh_item.items():
        assert qty <= avail[wh].get(item, 0)
    for part in plan.unfilled:
        assert part.qty > 0
        per_line[part.line_no] += part.qty
    assert {ln.line_no: ln.qty for ln in lines} == dict(per_line)
    # whatever can be filled is: per item, min(ordered, total available)
    for item in {ln.item_id for ln in lines}:
        ordered = sum(ln.qty for ln in lines if ln.item_id == item)
        have = sum(max(0, per.get(item, 0)) for per in avail.values())
        short = sum(p.qty for p in plan.unfilled if p.item_id == item)
        assert short == max(0, ordered - have)


@given(orders, availabilities(6), priorities)
def test_a_plan_ships_no_more_than_is_available_and_accounts_for_every_line(
    raw: list[tuple[int, int]], avail: dict[int, dict[int, int]], priority: dict[int, int]
) -> None:
    lines = order(*raw)
    check_plan(lines, avail, plan_fulfilment(lines, avail, priority=priority))


@given(orders, availabilities(6), priorities)
def test_a_complete_plan_uses_the_fewest_warehouses_possible(
    raw: list[tuple[int, int]], avail: dict[int, dict[int, int]], priority: dict[int, int]
) -> None:
    lines = order(*raw)
    plan = plan_fulfilment(lines, avail, priority=priority)
    if plan.complete:
        fewest = next(
            k
            for k in range(len(avail) + 1)
            if any(covers(avail, c, lines) for c in combinations(avail, k))
        )
        assert len(plan.shipments) == fewest
    if any(covers(avail, (wh,), lines) for wh in avail):
        assert len(plan.shipments) == 1


@given(orders, availabilities(18), priorities)
def test_large_warehouse_networks_keep_the_same_guarantees(
    raw: list[tuple[int, int]], avail: dict[int, dict[int, int]], priority: dict[int, int]
) -> None:
    lines = order(*raw)
    plan = plan_fulfilment(lines, avail, priority=priority)
    check_plan(lines, avail, plan)
    if any(covers(avail, (wh,), lines) for wh in avail):
        assert len(plan.shipments) == 1
