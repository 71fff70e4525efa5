"""Posting behaviour through the real service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from onhand.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    NotFound,
    OnhandError,
)
from onhand.services import accounts, items, locations, postings, queries, verify
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post, snapshot, total

D = Decimal


@pytest.fixture
def w(db: Database, org: Org) -> World:
    return build_world(db, org.actor)


def refused(
    w: World, error: type[OnhandError], *lines: object, key: str | None = None
) -> OnhandError:
    """Post, expect the given error, and check that nothing at all changed."""
    before = snapshot(w.db)
    with pytest.raises(error) as info:
        post(w, *lines, key=key)  # type: ignore[arg-type]
    assert snapshot(w.db) == before
    return info.value


def assert_verified(w: World) -> None:
    report = verify.verify(w.db)
    assert report.findings == []


# --- all or nothing -----------------------------------------------------------------------


def test_one_bad_line_refuses_the_whole_posting_and_names_the_line(w: World) -> None:
    err = refused(
        w,
        InvalidInput,
        mv("BOLT", "@supplier", "WH1/RECV", 10),
        mv("FLOUR", "@supplier", "WH1/RECV", "2.5"),
        mv("BOLT", "@supplier", "WH1/RECV", "1.5"),
    )
    assert err.code == "quantity_precision"
    assert err.message.startswith("movement 3: ")
    assert err.extra["line"] == 3


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (mv("NOPE", "@supplier", "WH1/RECV", 1), "sku_not_found"),
        (mv("BOLT", "@supplier", "WH9/X", 1), "location_not_found"),
        (mv("BOLT", "WH1/RECV", "WH1/RECV", 1), "same_location"),
        (mv("BOLT", "@supplier", "WH1/RECV", 0), "quantity_not_positive"),
        (mv("MILK", "@supplier", "WH1/RECV", 1), "lot_required"),
        (mv("FLOUR", "@supplier", "WH1/RECV", "0.0001"), "quantity_precision"),
    ],
)
def test_the_refused_line_is_named_whatever_is_wrong_with_it(
    w: World, bad: postings.MovementInput, code: str
) -> None:
    err = refused(w, InvalidInput, mv("BOLT", "@supplier", "WH1/RECV", 4), bad)
    assert err.code == code
    assert err.extra["line"] == 2
    assert err.message.startswith("movement 2: ")


def test_a_short_balance_refuses_the_whole_posting_and_names_that_balance(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10))
    # The first line could apply on its own; the second cannot. The error names the second.
    err = refused(
        w,
        InsufficientStock,
        mv("BOLT", "WH1/A/01", "@customer", 6),
        mv("FLOUR", "WH1/A/02", "@customer", "1.25"),
    )
    assert err.extra["sku"] == "FLOUR"
    assert err.extra["location"] == "WH1/A/02"
    assert err.extra["available"] == "0.000"
    assert err.extra["requested"] == "1.250"
    assert total(w, "BOLT") == 10


def test_when_several_balances_are_short_the_error_names_one_that_really_is(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10), mv("BOLT", "@supplier", "WH1/A/02", 3))
    err = refused(
        w,
        InsufficientStock,
        mv("BOLT", "WH1/A/01", "@customer", 10),
        mv("BOLT", "WH1/A/02", "@customer", 4),
    )
    assert err.extra["location"] == "WH1/A/02"
    assert err.extra["available"] == "3"
    assert "only 3 of BOLT available at WH1/A/02, 4 requested" in err.message


# --- net effect and negative stock ---------------------------------------------------------


def test_a_posting_counts_its_net_effect_whatever_the_order_of_its_lines(w: World) -> None:
    # Put away from RECV before the receipt line: RECV never holds stock between the lines.
    post(
        w,
        mv("BOLT", "WH1/RECV", "WH1/A/01", 7),
        mv("BOLT", "@supplier", "WH1/RECV", 10),
    )
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): 7, ("WH1/RECV", None, None): 3}
    assert_verified(w)


def test_an_ordinary_stock_location_never_goes_negative(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 2))
    err = refused(w, InsufficientStock, mv("BOLT", "WH1/A/01", "@customer", 3))
    assert err.code == "insufficient_stock"
    assert err.extra["available"] == "2"


def test_a_location_that_allows_it_goes_negative(w: World) -> None:
    post(w, mv("BOLT", "WH1/NEG", "@customer", 5))
    assert on_hand(w, "BOLT") == {("WH1/NEG", None, None): -5}
    post(w, mv("BOLT", "@supplier", "WH1/NEG", 8))
    assert on_hand(w, "BOLT") == {("WH1/NEG", None, None): 3}
    assert_verified(w)


def test_virtual_partner_locations_take_any_sign(w: World) -> None:
    post(w, mv("BOLT", "@adjustment", "WH1/A/01", 4), mv("BOLT", "WH1/A/01", "@scrap", 1))
    got = queries.on_hand_by_item(w.db, w.actor, "BOLT", include_virtual=True)
    lines = {line["location"]: line["quantity"] for line in got["lines"]}
    assert lines == {"@adjustment": -4, "@scrap": 1, "WH1/A/01": 3}
    assert got["total"] == 3  # virtual locations are not stock


@pytest.mark.parametrize("transit", ["@transit", "WH1/TRUCK"])
def test_a_transit_location_never_goes_negative(w: World, transit: str) -> None:
    err = refused(w, InsufficientStock, mv("BOLT", transit, "WH2/STOCK", 1))
    assert err.extra["location"] == transit
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    post(w, mv("BOLT", "WH1/A/01", transit, 5))
    post(w, mv("BOLT", transit, "WH2/STOCK", 5))
    assert on_hand(w, "BOLT") == {("WH2/STOCK", None, None): 5}


def test_a_posting_that_would_overflow_a_balance_is_refused_cleanly(w: World) -> None:
    big = "999999999999"
    post(w, mv("BOLT", "@supplier", "WH1/A/01", big))
    err = refused(w, InvalidInput, mv("BOLT", "@supplier", "WH1/A/02", big))
    assert err.code == "quantity_too_large"
    assert "@supplier" in err.message
    err = refused(w, InvalidInput, *[mv("BOLT", "@adjustment", "WH1/NEG", big)] * 2)
    assert err.code == "quantity_too_large"
    assert_verified(w)


# --- lots ------------------------------------------------------------------------------------


def test_a_new_lot_is_created_with_its_expiry_from_the_shelf_life(w: World) -> None:
    at = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
    post(w, mv("MILK", "@supplier", "WH1/A/01", "12.5", lot="L1", at=at))
    got = queries.on_hand_by_item(w.db, w.actor, "MILK")
    (line,) = got["lines"]
    assert (line["lot"], line["quantity"]) == ("L1", D("12.5"))
    assert line["expiry_date"] == date(2026, 1, 20)


def test_an_explicit_expiry_is_kept_and_a_different_one_is_refused(w: World) -> None:
    post(w, mv("MILK", "@supplier", "WH1/A/01", 3, lot="L2", expiry=date(2026, 6, 1)))
    post(w, mv("MILK", "@supplier", "WH1/A/01", 2, lot="L2", expiry=date(2026, 6, 1)))
    post(w, mv("MILK", "@supplier", "WH1/A/01", 1, lot="L2"))  # no expiry given: the lot's
    err = refused(
        w, InvalidInput, mv("MILK", "@supplier", "WH1/A/01", 1, lot="L2", expiry=date(2026, 7, 1))
    )
    assert err.code == "lot_expiry_mismatch"
    assert "2026-06-01" in err.message
    assert on_hand(w, "MILK") == {("WH1/A/01", "L2", None): 6}


def test_two_lines_giving_one_lot_different_expiries_are_refused(w: World) -> None:
    june, july = date(2026, 6, 1), date(2026, 7, 1)
    post(w, mv("MILK", "@supplier", "WH1/A/01", 1, lot="OLD", expiry=june))
    for lot in ("OLD", "NEW"):
        err = refused(
            w,
            InvalidInput,
            mv("MILK", "@supplier", "WH1/A/01", 1, lot=lot, expiry=june),
            mv("MILK", "@supplier", "WH1/A/02", 1, lot=lot, expiry=july),
        )
        assert err.code == "lot_expiry_mismatch"
        assert err.extra["line"] == 2


def test_lots_are_separate_balances(w: World) -> None:
    post(
        w,
        mv("MILK", "@supplier", "WH1/A/01", 5, lot="A"),
        mv("MILK", "@supplier", "WH1/A/01", 2, lot="B"),
    )
    err = refused(w, InsufficientStock, mv("MILK", "WH1/A/01", "@customer", 3, lot="B"))
    assert err.extra["lot"] == "B"
    post(w, mv("MILK", "WH1/A/01", "@customer", 3, lot="A"))
    assert on_hand(w, "MILK") == {("WH1/A/01", "A", None): 2, ("WH1/A/01", "B", None): 2}
    assert on_hand(w, "MILK", lot="B") == {("WH1/A/01", "B", None): 2}


def test_a_refused_posting_does_not_leave_a_lot_behind(w: World) -> None:
    refused(
        w,
        InsufficientStock,
        mv("MILK", "@supplier", "WH1/A/01", 1, lot="NEW"),
        mv("BOLT", "WH1/A/01", "@customer", 1),
    )
    with pytest.raises(NotFound):
        queries.on_hand_by_item(w.db, w.actor, "MILK", lot="NEW")


# --- serials ---------------------------------------------------------------------------------


def test_a_serial_is_in_exactly_one_place(w: World) -> None:
    post(w, mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN1"))
    post(w, mv("PHONE", "WH1/A/01", "WH2/STOCK", 1, serial="SN1"))
    assert on_hand(w, "PHONE") == {("WH2/STOCK", None, "SN1"): 1}
    assert_verified(w)


def test_a_serial_cannot_be_received_twice(w: World) -> None:
    post(w, mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN2"))
    err = refused(w, Conflict, mv("PHONE", "@supplier", "WH1/A/02", 1, serial="SN2"))
    assert err.code == "serial_not_at_location"
    # Not even from another virtual location, nor twice within one posting.
    refused(w, Conflict, mv("PHONE", "@adjustment", "WH1/A/02", 1, serial="SN2"))
    refused(
        w,
        Conflict,
        mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN3"),
        mv("PHONE", "@supplier", "WH1/A/02", 1, serial="SN3"),
    )


def test_a_serial_moves_only_from_where_it_is(w: World) -> None:
    post(w, mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN4"))
    err = refused(w, Conflict, mv("PHONE", "WH1/A/02", "WH2/STOCK", 1, serial="SN4"))
    assert "WH1/A/02" in err.message
    # A location that allows negative stock does not make a serial appear there either.
    refused(w, Conflict, mv("PHONE", "WH1/NEG", "WH2/STOCK", 1, serial="SN4"))


def test_a_serial_moves_in_whole_units(w: World) -> None:
    assert refused(w, InvalidInput, mv("PHONE", "@supplier", "WH1/A/01", 2, serial="S")).code == (
        "serial_quantity"
    )
    assert refused(
        w, InvalidInput, mv("PHONE", "@supplier", "WH1/A/01", "0.5", serial="S")
    ).code == ("quantity_precision")


def test_a_sold_serial_can_come_back_from_the_customer(w: World) -> None:
    post(w, mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN5"))
    post(w, mv("PHONE", "WH1/A/01", "@customer", 1, serial="SN5"))
    assert on_hand(w, "PHONE") == {}
    refused(w, Conflict, mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN5"))
    post(w, mv("PHONE", "@customer", "WH1/A/02", 1, serial="SN5"))
    assert on_hand(w, "PHONE") == {("WH1/A/02", None, "SN5"): 1}
    assert_verified(w)


def test_a_serial_can_be_received_and_put_away_in_one_posting(w: World) -> None:
    post(
        w,
        mv("PHONE", "@supplier", "WH1/RECV", 1, serial="SN6"),
        mv("PHONE", "WH1/RECV", "WH1/A/01", 1, serial="SN6"),
    )
    assert on_hand(w, "PHONE") == {("WH1/A/01", None, "SN6"): 1}


# --- reversal --------------------------------------------------------------------------------


def test_a_reversal_points_at_the_original_and_undoes_it(w: World) -> None:
    first = post(w, mv("BOLT", "@supplier", "WH1/A/01", 9, ref="PO-7"))
    (original,) = first.movement_ids
    back = postings.reverse_movement(w.db, w.actor, original, reason="wrong PO")
    assert total(w, "BOLT") == 0
    rev = queries.get_movement(w.db, w.actor, back.movement_ids[0])
    assert rev["reverses_id"] == original
    assert (rev["from"], rev["to"], rev["quantity"]) == ("WH1/A/01", "@supplier", 9)
    assert rev["reason"] == "wrong PO"
    assert rev["ref_id"] == "PO-7"
    assert queries.get_movement(w.db, w.actor, original)["reversed_by"] == rev["id"]
    assert_verified(w)


def test_a_retried_reversal_answers_with_the_first_one(w: World) -> None:
    (original,) = post(w, mv("FLOUR", "@supplier", "WH1/A/01", "1.5")).movement_ids
    first = postings.reverse_movement(w.db, w.actor, original)
    before = snapshot(w.db)
    again = postings.reverse_movement(w.db, w.actor, original)
    assert again.replayed
    assert (again.posting_id, again.movement_ids) == (first.posting_id, first.movement_ids)
    assert snapshot(w.db) == before


def test_a_movement_is_reversed_only_once(w: World) -> None:
    (original,) = post(w, mv("BOLT", "@supplier", "WH1/A/01", 2)).movement_ids
    first = postings.reverse_movement(w.db, w.actor, original)
    before = snapshot(w.db)
    with pytest.raises(Conflict) as info:
        postings.reverse_movement(w.db, w.actor, original, idempotency_key="another")
    assert info.value.code == "already_reversed"
    assert info.value.extra["reversed_by"] == first.movement_ids[0]
    assert snapshot(w.db) == before


def test_a_reversal_that_would_make_stock_negative_is_refused(w: World) -> None:
    (receipt,) = post(w, mv("BOLT", "@supplier", "WH1/A/01", 5)).movement_ids
    post(w, mv("BOLT", "WH1/A/01", "@customer", 4))
    before = snapshot(w.db)
    with pytest.raises(InsufficientStock):
        postings.reverse_movement(w.db, w.actor, receipt)
    assert snapshot(w.db) == before


def test_reversing_an_unknown_movement_is_not_found(w: World) -> None:
    with pytest.raises(NotFound) as info:
        postings.reverse_movement(w.db, w.actor, 987654)
    assert info.value.code == "movement_not_found"


def test_a_serial_reversal_puts_the_unit_back(w: World) -> None:
    (move,) = post(w, mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN9")).movement_ids
    postings.reverse_movement(w.db, w.actor, move)
    assert on_hand(w, "PHONE") == {}
    post(w, mv("PHONE", "@supplier", "WH1/A/02", 1, serial="SN9"))
    assert on_hand(w, "PHONE") == {("WH1/A/02", None, "SN9"): 1}


# --- idempotency -----------------------------------------------------------------------------


def test_the_same_key_and_payload_posts_once(w: World) -> None:
    line = mv("BOLT", "@supplier", "WH1/A/01", 3)
    first = post(w, line, key="k-1")
    before = snapshot(w.db)
    again = post(w, line, key="k-1")
    assert again.replayed
    assert again.movement_ids == first.movement_ids
    assert snapshot(w.db) == before
    assert total(w, "BOLT") == 3


def test_the_same_key_with_another_payload_is_refused(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 3), key="k-2")
    err = refused(w, IdempotencyConflict, mv("BOLT", "@supplier", "WH1/A/01", 4), key="k-2")
    assert err.code == "idempotency_key_reused"


def test_a_key_is_per_organisation(w: World, db: Database) -> None:
    from tests.conftest import make_org

    other = build_world(db, make_org(db).actor)
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 3), key="shared")
    result = post(other, mv("BOLT", "@supplier", "WH1/A/01", 5), key="shared")
    assert not result.replayed
    assert total(other, "BOLT") == 5
    assert total(w, "BOLT") == 3


# --- history ---------------------------------------------------------------------------------


def test_on_hand_as_of_a_past_time_replays_the_ledger(w: World) -> None:
    t0 = datetime.now(UTC) - timedelta(days=30)
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10, at=t0))
    post(w, mv("BOLT", "WH1/A/01", "@customer", 4, at=t0 + timedelta(days=10)))
    post(w, mv("BOLT", "WH1/A/01", "WH1/A/02", 1, at=t0 + timedelta(days=20)))
    assert total(w, "BOLT", as_of=t0 - timedelta(seconds=1)) == 0
    assert total(w, "BOLT", as_of=t0) == 10
    assert on_hand(w, "BOLT", as_of=t0 + timedelta(days=15)) == {("WH1/A/01", None, None): 6}
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): 5, ("WH1/A/02", None, None): 1}
    rolled = queries.on_hand_by_location(w.db, w.actor, "WH1", as_of=t0 + timedelta(days=25))
    assert [(x["sku"], x["quantity"]) for x in rolled["lines"]] == [("BOLT", 6)]


def test_an_items_history_is_newest_first_and_filterable(w: World) -> None:
    ids = [
        post(w, mv("BOLT", "@supplier", "WH1/A/01", 5, ref="PO-1")).movement_ids[0],
        post(w, mv("BOLT", "WH1/A/01", "WH1/A/02", 2)).movement_ids[0],
        post(w, mv("BOLT", "WH1/A/02", "@customer", 1, ref="SO-1")).movement_ids[0],
    ]
    got = queries.item_history(w.db, w.actor, "BOLT")
    assert [m["id"] for m in got["movements"]] == ids[::-1]
    at_01 = queries.item_history(w.db, w.actor, "BOLT", location="WH1/A/01")
    assert [m["id"] for m in at_01["movements"]] == ids[1::-1]
    by_ref = queries.item_history(w.db, w.actor, "BOLT", ref_id="SO-1")
    assert [m["id"] for m in by_ref["movements"]] == [ids[2]]
    page = queries.item_history(w.db, w.actor, "BOLT", limit=2)
    rest = queries.item_history(w.db, w.actor, "BOLT", before_id=page["next_before_id"], limit=2)
    assert [m["id"] for m in page["movements"] + rest["movements"]] == ids[::-1]


# --- inactive master data and permissions ------------------------------------------------------


def test_an_inactive_item_cannot_move(w: World) -> None:
    items.deactivate_item(w.db, w.actor, "FLOUR")
    assert refused(w, InvalidInput, mv("FLOUR", "@supplier", "WH1/A/01", 1)).code == "item_inactive"


def test_an_inactive_location_cannot_be_used(w: World) -> None:
    loc = locations.get_location(w.db, w.actor, path="WH1/A/02")
    locations.update_location(w.db, w.actor, loc["id"], active=False)
    err = refused(w, InvalidInput, mv("BOLT", "@supplier", "WH1/A/02", 1))
    assert err.code == "location_inactive"
    assert "WH1/A/02" in err.message


def test_an_auditor_cannot_post_and_a_clerk_cannot_reverse(w: World, db: Database) -> None:
    (move,) = post(w, mv("BOLT", "@supplier", "WH1/A/01", 1)).movement_ids
    for role in ("auditor", "clerk"):
        accounts.create_user(
            db, w.actor, username=f"u-{role}-{w.org_id}", password="password-1", role=role
        )
    auditor = accounts.authenticate(
        db, accounts.login(db, f"u-auditor-{w.org_id}", "password-1").token
    )
    clerk = accounts.authenticate(db, accounts.login(db, f"u-clerk-{w.org_id}", "password-1").token)
    before = snapshot(db)
    with pytest.raises(Forbidden):
        postings.post_movements(db, auditor, [mv("BOLT", "@supplier", "WH1/A/01", 1)])
    with pytest.raises(Forbidden):
        postings.reverse_movement(db, clerk, move)
    assert snapshot(db) == before


def test_a_serial_can_move_twice_in_one_posting_in_the_order_given(w: World) -> None:
    post(w, mv("PHONE", "@supplier", "WH2/STOCK", 1, serial="SN7"))
    # WH2/STOCK was created after WH1/A/01: the lines must apply in their order, not by id.
    post(
        w,
        mv("PHONE", "WH2/STOCK", "WH1/A/01", 1, serial="SN7"),
        mv("PHONE", "WH1/A/01", "WH1/A/02", 1, serial="SN7"),
    )
    assert on_hand(w, "PHONE") == {("WH1/A/02", None, "SN7"): 1}
    assert_verified(w)


def test_a_second_reversal_with_another_reason_says_it_was_already_reversed(w: World) -> None:
    (original,) = post(w, mv("BOLT", "@supplier", "WH1/A/01", 2)).movement_ids
    first = postings.reverse_movement(w.db, w.actor, original, reason="typo")
    before = snapshot(w.db)
    with pytest.raises(Conflict) as info:
        postings.reverse_movement(w.db, w.actor, original, reason="something else")
    assert info.value.code == "already_reversed"
    assert info.value.extra["reversed_by"] == first.movement_ids[0]
    assert snapshot(w.db) == before
