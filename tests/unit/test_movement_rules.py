"""Movement posting rules and the net effect of a posting, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.items import ItemRef, Tracking
from onhand.domain.locations import LocationKind, LocationRef
from onhand.domain.movements import (
    FUTURE_TOLERANCE,
    MAX_BATCH,
    MovementDraft,
    StockLeg,
    check_batch_size,
    check_draft,
    check_net_deltas,
    leg_of,
    net_deltas,
)
from onhand.domain.quantities import BALANCE_LIMIT

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)

PLAIN = ItemRef(1, "BOLT-8", "ea", 0, Tracking.NONE, None, True)
MILK = ItemRef(2, "MILK-1L", "l", 3, Tracking.LOT, 10, True)
PHONE = ItemRef(3, "PHONE-X", "ea", 0, Tracking.SERIAL, None, True)
SUPPLIER = LocationRef(10, "@supplier", LocationKind.SUPPLIER, False, True, None)
BIN = LocationRef(11, "WH1/A/01", LocationKind.INTERNAL, False, True, 20)
OTHER_BIN = LocationRef(12, "WH1/A/02", LocationKind.INTERNAL, False, True, 20)


def draft(**changes: object) -> MovementDraft:
    base = MovementDraft(
        item=PLAIN,
        source=SUPPLIER,
        destination=BIN,
        quantity=Decimal(5),
        lot=None,
        serial=None,
        effective_at=NOW,
        ref_type="PO",
        ref_id="PO-1",
        reason=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def refusal(d: MovementDraft, *, line: int | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        check_draft(d, now=NOW, line=line)
    return info.value


def test_a_plain_receipt_is_valid() -> None:
    check_draft(draft(), now=NOW)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"item": replace(PLAIN, active=False)}, "item_inactive"),
        ({"source": replace(SUPPLIER, active=False)}, "location_inactive"),
        ({"destination": replace(BIN, active=False)}, "location_inactive"),
        ({"destination": SUPPLIER}, "same_location"),
        ({"quantity": Decimal(0)}, "quantity_not_positive"),
        ({"quantity": Decimal(-3)}, "quantity_not_positive"),
        ({"quantity": Decimal("1.5")}, "quantity_precision"),
        ({"quantity": Decimal("1E+12")}, "quantity_too_large"),
        ({"quantity": Decimal("NaN")}, "invalid_number"),
        ({"item": MILK}, "lot_required"),
        ({"item": MILK, "lot": ""}, "lot_required"),
        ({"lot": "L1"}, "lot_not_tracked"),
        ({"item": PHONE, "serial": "SN1", "quantity": Decimal(1), "lot": "L1"}, "lot_not_tracked"),
        ({"item": PHONE, "quantity": Decimal(1)}, "serial_required"),
        ({"item": PHONE, "serial": "SN1", "quantity": Decimal(2)}, "serial_quantity"),
        ({"serial": "SN1"}, "serial_not_tracked"),
        ({"item": MILK, "lot": "x" * 65}, "invalid_lot"),
        ({"item": MILK, "lot": "bad\nlot"}, "invalid_lot"),
        ({"item": PHONE, "serial": "\x00", "quantity": Decimal(1)}, "invalid_serial"),
        ({"ref_type": "T" * 33}, "invalid_ref_type"),
        ({"ref_type": ""}, "invalid_ref_type"),
        ({"ref_id": "r" * 129}, "invalid_ref_id"),
        ({"reason": "\t"}, "invalid_reason"),
        ({"effective_at": datetime(2026, 3, 3, 14, 0)}, "naive_datetime"),
        ({"effective_at": NOW + FUTURE_TOLERANCE + timedelta(seconds=1)}, "effective_in_future"),
    ],
)
def test_each_broken_rule_is_refused_with_its_own_code(
    changes: dict[str, object], code: str
) -> None:
    err = refusal(draft(**changes))
    assert err.code == code
    assert err.message  # a sentence for a person


def test_a_serial_moves_as_exactly_one_unit_even_with_trailing_zeros() -> None:
    check_draft(draft(item=PHONE, serial="SN1", quantity=Decimal("1.000")), now=NOW)


def test_lot_tracked_items_need_a_lot_and_get_it() -> None:
    check_draft(draft(item=MILK, lot="L-2026-03", quantity=Decimal("2.125")), now=NOW)


def test_a_movement_a_little_in_the_future_is_accepted_for_clock_drift() -> None:
    check_draft(draft(effective_at=NOW + FUTURE_TOLERANCE), now=NOW)


def test_times_in_other_zones_compare_as_instants() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 22:59 in Tokyo is 13:59 UTC: in the past, not the future.
    check_draft(draft(effective_at=datetime(2026, 3, 3, 22, 59, tzinfo=tokyo)), now=NOW)


def test_a_refused_line_of_a_posting_is_named_in_the_message_and_the_error() -> None:
    err = refusal(draft(quantity=Decimal("0.5")), line=3)
    assert err.message.startswith("movement 3: ")
    assert err.code == "quantity_precision"
    assert err.extra["line"] == 3
    assert err.extra["precision"] == 0


def test_a_posting_holds_one_to_max_batch_movements() -> None:
    check_batch_size(1)
    check_batch_size(MAX_BATCH)
    with pytest.raises(InvalidInput) as info:
        check_batch_size(0)
    assert info.value.code == "empty_posting"
    with pytest.raises(InvalidInput) as info:
        check_batch_size(MAX_BATCH + 1)
    assert info.value.code == "batch_too_large"


def leg(source: int, destination: int, qty: int, item: int = 1, lot: int = 0) -> StockLeg:
    return StockLeg(item, source, destination, lot, 0, qty)


def test_net_deltas_of_a_receipt_debit_the_source_and_credit_the_destination() -> None:
    assert net_deltas([leg(10, 11, 5)]) == {(1, 10, 0, 0): -5, (1, 11, 0, 0): 5}


def test_a_posting_is_judged_by_its_net_effect() -> None:
    # Receive 5 into a bin and put 3 of them away: the bin ends 2 up, not 3 down.
    deltas = net_deltas([leg(10, 11, 5), leg(11, 12, 3)])
    assert deltas == {(1, 10, 0, 0): -5, (1, 11, 0, 0): 2, (1, 12, 0, 0): 3}


def test_keys_whose_change_nets_to_zero_drop_out() -> None:
    assert net_deltas([leg(11, 12, 4), leg(12, 11, 4)]) == {}


def test_lots_and_items_are_separate_balances() -> None:
    deltas = net_deltas([leg(10, 11, 1, item=1, lot=7), leg(10, 11, 1, item=1, lot=8)])
    assert deltas[(1, 11, 7, 0)] == 1
    assert deltas[(1, 11, 8, 0)] == 1


legs_strategy = st.lists(
    st.builds(
        leg,
        st.integers(1, 4),
        st.integers(5, 8),
        st.integers(1, 10**6),
        st.integers(1, 2),
        st.integers(0, 2),
    ),
    max_size=30,
)


@given(legs_strategy)
def test_net_deltas_conserve_stock_per_item_and_lot(legs: list[StockLeg]) -> None:
    totals: dict[tuple[int, int], int] = {}
    for (item, _loc, lot, _serial), delta in net_deltas(legs).items():
        assert delta != 0
        totals[(item, lot)] = totals.get((item, lot), 0) + delta
    assert all(v == 0 for v in totals.values())


@given(legs_strategy)
def test_net_deltas_equal_applying_the_legs_one_by_one(legs: list[StockLeg]) -> None:
    balances: dict[tuple[int, int, int, int], int] = {}
    for g in legs:
        src = (g.item_id, g.source_id, g.lot_id, g.serial_id)
        dst = (g.item_id, g.destination_id, g.lot_id, g.serial_id)
        balances[src] = balances.get(src, 0) - g.qty
        balances[dst] = balances.get(dst, 0) + g.qty
    assert net_deltas(legs) == {k: v for k, v in balances.items() if v}


def test_a_leg_carries_the_quantity_in_micro_units() -> None:
    got = leg_of(draft(item=MILK, lot="L1", quantity=Decimal("2.125")), lot_id=7, serial_id=0)
    assert got == StockLeg(2, 10, 11, 7, 0, 2_125_000)


def test_a_net_change_a_balance_cannot_hold_is_refused() -> None:
    check_net_deltas({(1, 10, 0, 0): -(BALANCE_LIMIT - 1), (1, 11, 0, 0): BALANCE_LIMIT - 1})
    with pytest.raises(InvalidInput) as info:
        check_net_deltas({(1, 10, 0, 0): -BALANCE_LIMIT, (1, 11, 0, 0): BALANCE_LIMIT})
    assert info.value.code == "quantity_too_large"
