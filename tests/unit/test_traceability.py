"""Traceability rules: categories of movements, the reconciliation, what may be traced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.items import Tracking
from onhand.domain.traceability import (
    Category,
    Flow,
    LocationBalance,
    Move,
    category,
    check_tracking,
    reconcile,
    reconcile_tables,
    reconciliation_sentence,
    tabulate,
)

KINDS = ["internal", "transit", "supplier", "customer", "adjustment", "scrap"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_virtual_side_of_a_movement_decides_its_category() -> None:
    assert category("supplier", "internal", "PO") is Category.RECEIPT
    assert category("internal", "supplier", "RTV") is Category.SUPPLIER_RETURN
    assert category("internal", "customer", "SO") is Category.SHIPMENT
    assert category("customer", "internal", "RMA") is Category.CUSTOMER_RETURN
    assert category("internal", "scrap", "scrap") is Category.SCRAP
    assert category("scrap", "internal", "scrap") is Category.SCRAP_REVERSED
    assert category("adjustment", "internal", None) is Category.ADJUSTMENT_IN
    assert category("internal", "adjustment", "CC") is Category.ADJUSTMENT_OUT
    assert category("internal", "transit", "TR") is Category.TRANSFER
    assert category("internal", "internal", "putaway") is Category.MOVE


@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 10**9)),
        max_size=40,
    )
)
def test_any_ledger_reconciles_when_its_balances_are_the_replay_of_its_movements(
    raw: list[tuple[int, int, int]],
) -> None:
    # Locations 0..7, of kinds cycling through every kind: stock and virtual.
    kinds = {i: KINDS[i % len(KINDS)] for i in range(8)}
    moves = [
        Move(n, n, s, d, kinds[s], kinds[d], q, T0, "X", str(n), None)
        for n, (s, d, q) in enumerate(raw)
        if s != d
    ]
    t = tabulate(moves)
    r = reconcile_tables(t, t.ledger, kinds)
    assert r.balanced
    assert (
        r.on_hand
        == r.expected_on_hand
        == sum(q for loc, q in t.ledger.items() if kinds[loc] in ("internal", "transit"))
    )
    if t.ledger:
        some = next(iter(t.ledger))
        broken = reconcile_tables(t, {**t.ledger, some: t.ledger[some] + 1}, kinds)
        assert not broken.balanced
        assert "run onhand verify" in reconciliation_sentence(broken)


def test_the_reconciliation_reads_as_an_equation() -> None:
    r = reconcile(
        [
            Flow("supplier", "internal", 75_000_000),
            Flow("internal", "customer", 31_000_000),
            Flow("customer", "internal", 3_000_000),
            Flow("internal", "scrap", 2_000_000),
            Flow("internal", "adjustment", 1_000_000),
            Flow("internal", "supplier", 1_000_000),
        ],
        [
            LocationBalance(1, "internal", 39_000_000, 39_000_000),
            LocationBalance(2, "transit", 4_000_000, 4_000_000),
        ],
    )
    assert r.balanced
    assert (r.on_hand, r.in_transit, r.adjusted) == (43_000_000, 4_000_000, -1_000_000)
    assert reconciliation_sentence(r) == (
        "received 75 - returned to supplier 1 - lost 1 (adjustments) = on hand 43 (in transit 4)"
        " + shipped 31 - returned 3 + scrapped 2: balanced"
    )


@pytest.mark.parametrize(
    ("tracking", "lot", "serial", "code"),
    [
        (Tracking.NONE, "L1", None, "item_not_tracked"),
        (Tracking.LOT, None, None, "lot_required"),
        (Tracking.SERIAL, None, None, "serial_required"),
        (Tracking.LOT, None, "S1", "serial_not_tracked"),
        (Tracking.SERIAL, "L1", None, "lot_not_tracked"),
        (Tracking.LOT, "L1", "S1", "lot_and_serial"),
    ],
)
def test_a_trace_names_what_the_item_is_tracked_by(
    tracking: Tracking, lot: str | None, serial: str | None, code: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        check_tracking("X", tracking, lot=lot, serial=serial)
    assert err.value.code == code
    check_tracking("X", Tracking.LOT, lot="L1", serial=None)
    check_tracking("X", Tracking.SERIAL, lot=None, serial="S1")
