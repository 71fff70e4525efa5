"""Count documents, blind recording, recounts, approvals and the postings they make, through the
real services on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from onhand.domain.access import Actor
from onhand.domain.counting import bin_version
from onhand.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, OnhandError
from onhand.services import accounts, count_views, items, verify
from onhand.services.count_plans import create_count
from onhand.services.counts import CountEntry, approve_lines, record_counts, reject_lines
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post, snapshot

D = Decimal


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    items.update_item(db, org.actor, "BOLT", {"unit_cost": D("2.50")})
    items.update_item(db, org.actor, "PHONE", {"unit_cost": D("300")})
    return world


def user(w: World, role: str) -> Actor:
    name = f"{role}-{w.org_id}"
    accounts.create_user(w.db, w.actor, username=name, password="password-1", role=role)
    return accounts.authenticate(w.db, accounts.login(w.db, name, "password-1").token)


def stock(w: World, sku: str, path: str, qty: str | int, **kw: Any) -> None:
    post(w, mv(sku, "@supplier", path, qty, **kw))


def count_of(w: World, where: str) -> str:
    return str(create_count(w.db, w.actor, location=where)["number"])


def record(
    w: World, number: str, where: str, *entries: CountEntry, actor: Actor | None = None, **kw: Any
) -> dict[str, Any]:
    return record_counts(
        w.db, actor or w.actor, number, location=where, entries=list(entries), **kw
    )


def line(doc: dict[str, Any], sku: str, **kw: Any) -> dict[str, Any]:
    found = [
        x for x in doc["lines"] if x["sku"] == sku and all(x.get(k) == v for k, v in kw.items())
    ]
    assert len(found) == 1, doc["lines"]
    return found[0]


def adjustments(w: World, number: str) -> list[tuple[str, str, int, str | None]]:
    """(from, to, qty in micro-units, reason) of the movements a count posted."""
    src, dst = tables.locations.alias("s"), tables.locations.alias("d")
    m = tables.movements
    with w.db.reading() as uow:
        rows = uow.conn.execute(
            select(src.c.path, dst.c.path, m.c.qty, m.c.reason)
            .join(src, src.c.id == m.c.from_location_id)
            .join(dst, dst.c.id == m.c.to_location_id)
            .where(m.c.org_id == w.org_id, m.c.ref_type == "CC", m.c.ref_id == number)
            .order_by(m.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def refused(w: World, error: type[OnhandError], fn: Any, *args: Any, **kwargs: Any) -> OnhandError:
    """Call, expect the error, and check that nothing in the ledger or the counts changed."""

    def state() -> Any:
        with w.db.reading() as uow:
            docs = [
                sorted(tuple(r) for r in uow.conn.execute(select(t)))
                for t in (tables.count_documents, tables.count_lines, tables.count_records)
            ]
        return snapshot(w.db), docs

    before = state()
    with pytest.raises(error) as info:
        fn(*args, **kwargs)
    assert state() == before
    return info.value


# --- the open count with movements ----------------------------------------------------------


def test_stock_shipped_while_a_count_is_open_is_not_adjusted_again(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 10)
    number = count_of(w, "WH1/A/01")
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(10)))
    post(w, mv("BOLT", "WH1/A/01", "@customer", 3))

    doc = count_views.get_count(w.db, w.actor, number)

    assert line(doc, "BOLT")["status"] == "approved"
    assert line(doc, "BOLT")["book"] == D(10)
    assert adjustments(w, number) == []
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(7)}
    assert doc["status"] == "closed"


def test_an_approved_loss_posts_the_variance_at_counting_not_the_difference_to_the_book_now(
    w: World,
) -> None:
    stock(w, "BOLT", "WH1/A/01", 100)
    number = count_of(w, "WH1/A/01")
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(90)))  # 10 short: beyond 3 %
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(90)))  # the recount agrees
    post(w, mv("BOLT", "WH1/A/01", "@customer", 30))  # ships while the count waits
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))  # and some arrives

    doc = approve_lines(w.db, w.actor, number, reason="damaged")

    assert line(doc, "BOLT")["status"] == "approved"
    assert line(doc, "BOLT")["variance"] == D(-10)
    assert line(doc, "BOLT")["value"] == D("-25.00")
    assert adjustments(w, number) == [("WH1/A/01", "@adjustment", 10_000_000, "damaged")]
    # 90 on the shelf at counting, -30 +5 since: 65, and the book agrees.
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(65)}
    assert verify.verify(w.db, org_id=w.org_id).findings == []


def test_a_count_within_tolerance_is_approved_at_once_and_posts_its_variance(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 100)
    number = count_of(w, "WH1/A/01")

    doc = record(w, number, "WH1/A/01", CountEntry("BOLT", D(97)))  # 3 % of 100: within

    assert line(doc, "BOLT")["status"] == "approved"
    assert line(doc, "BOLT")["tolerance"] == D(3)
    assert adjustments(w, number) == [("WH1/A/01", "@adjustment", 3_000_000, "count_variance")]
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(97)}


def test_one_unit_is_tolerated_on_a_small_book_quantity(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 5)
    number = count_of(w, "WH1/A/01")
    doc = record(w, number, "WH1/A/01", CountEntry("BOLT", D(6)))
    assert line(doc, "BOLT")["status"] == "approved"
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(6)}


# --- tolerance, recount, approval -----------------------------------------------------------


def test_beyond_tolerance_asks_for_a_recount_then_a_managers_decision(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")

    first = record(w, number, "WH1/A/01", CountEntry("BOLT", D(40)))
    assert line(first, "BOLT")["status"] == "recount"
    second = record(w, number, "WH1/A/01", CountEntry("BOLT", D(41)))
    assert line(second, "BOLT")["status"] == "review"
    assert line(second, "BOLT")["count_no"] == 2
    assert line(second, "BOLT")["first_counted"] == D(40)
    assert line(second, "BOLT")["first_within"] is False
    assert second["status"] == "open"
    assert adjustments(w, number) == []

    err = refused(w, Conflict, record, w, number, "WH1/A/01", CountEntry("BOLT", D(41)))
    assert err.code == "line_not_countable"

    done = approve_lines(w.db, w.actor, number, lines=[1])
    again = approve_lines(w.db, w.actor, number, lines=[1])  # a retry posts nothing more

    assert done["status"] == again["status"] == "closed"
    assert adjustments(w, number) == [("WH1/A/01", "@adjustment", 9_000_000, "count_variance")]
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(41)}


def test_a_recount_that_finds_the_book_right_is_approved_without_posting(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(30)))

    doc = record(w, number, "WH1/A/01", CountEntry("BOLT", D(50)))

    assert line(doc, "BOLT")["status"] == "approved"
    assert line(doc, "BOLT")["first_within"] is False  # accuracy still counts the miss
    assert adjustments(w, number) == []


def test_a_rejected_variance_posts_nothing_and_cannot_then_be_approved(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(20)))
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(20)))

    doc = reject_lines(w.db, w.actor, number, reason="miscounted")

    assert line(doc, "BOLT")["status"] == "rejected"
    assert line(doc, "BOLT")["reason"] == "miscounted"
    assert adjustments(w, number) == []
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(50)}
    err = refused(w, Conflict, approve_lines, w.db, w.actor, number, lines=[1])
    assert err.code == "line_not_in_review"


def test_a_line_not_yet_recounted_cannot_be_approved(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(20)))
    err = refused(w, Conflict, approve_lines, w.db, w.actor, number, lines=[1])
    assert err.code == "line_not_in_review"
    err = refused(w, NotFound, approve_lines, w.db, w.actor, number, lines=[9])
    assert err.code == "count_line_not_found"


def test_a_clerk_counts_blind_and_may_not_decide(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")
    clerk = user(w, "clerk")

    before = count_views.get_count(w.db, clerk, number)
    after = record(w, number, "WH1/A/01", CountEntry("BOLT", D(20)), actor=clerk)
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(20)), actor=clerk)

    for doc in (before, after):
        assert "book" not in line(doc, "BOLT")
        assert "variance" not in line(doc, "BOLT")
        assert "variance_value" not in doc
    assert line(after, "BOLT")["counted"] == D(20)
    assert refused(w, Forbidden, approve_lines, w.db, clerk, number).code == "permission_denied"
    assert refused(w, Forbidden, reject_lines, w.db, clerk, number).code == "permission_denied"
    assert refused(w, Forbidden, create_count, w.db, clerk, sku="BOLT").code == "permission_denied"
    manager = user(w, "manager")
    assert line(count_views.get_count(w.db, manager, number), "BOLT")["book"] == D(50)


# --- lots, serials, found stock, complete locations -----------------------------------------


def test_stock_the_book_does_not_list_is_recorded_as_a_new_line_and_posted(w: World) -> None:
    stock(w, "MILK", "WH1/A/01", 4, lot="L1")
    number = count_of(w, "WH1/A/01")

    doc = record(
        w,
        number,
        "WH1/A/01",
        CountEntry("MILK", D(4), lot="L1"),
        CountEntry("BOLT", D(1)),  # one stray bolt: within the 1-unit tolerance
    )

    assert line(doc, "BOLT")["expected"] is False
    assert line(doc, "BOLT")["book"] == D(0)
    assert line(doc, "BOLT")["status"] == "approved"
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(1)}


def test_a_new_lot_found_beyond_tolerance_waits_and_posts_the_lot_on_approval(w: World) -> None:
    stock(w, "MILK", "WH1/A/01", 4, lot="L1")
    number = count_of(w, "WH1/A/01")
    entries = (CountEntry("MILK", D(4), lot="L1"), CountEntry("MILK", D(6), lot="L2"))
    record(w, number, "WH1/A/01", *entries)
    record(w, number, "WH1/A/01", entries[1])

    approve_lines(w.db, w.actor, number, reason="found")

    assert on_hand(w, "MILK") == {
        ("WH1/A/01", "L1", None): D(4),
        ("WH1/A/01", "L2", None): D(6),
    }


def test_serials_are_counted_present_or_not(w: World) -> None:
    stock(w, "PHONE", "WH1/A/02", 1, serial="S1")
    stock(w, "PHONE", "WH1/A/02", 1, serial="S2")
    number = count_of(w, "WH1/A/02")
    assert [x["serial"] for x in count_views.get_count(w.db, w.actor, number)["lines"]] == [
        "S1",
        "S2",
    ]

    doc = record(
        w,
        number,
        "WH1/A/02",
        CountEntry("PHONE", D(1), serial="S1"),
        CountEntry("PHONE", D(0), serial="S2"),
    )

    # Missing S2 is one unit: within the 1-unit tolerance, written off at once.
    assert line(doc, "PHONE", serial="S2")["status"] == "approved"
    assert line(doc, "PHONE", serial="S2")["value"] == D("-300.00")
    assert on_hand(w, "PHONE") == {("WH1/A/02", None, "S1"): D(1)}
    err = refused(
        w,
        InvalidInput,
        record,
        w,
        count_of(w, "WH1/A/02"),
        "WH1/A/02",
        CountEntry("PHONE", D(2), serial="S1"),
    )
    assert err.code == "serial_required"


def test_a_complete_batch_counts_what_it_does_not_mention_as_zero(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 1)
    stock(w, "FLOUR", "WH1/A/01", "2.5")
    number = count_of(w, "WH1/A/01")

    doc = record(w, number, "WH1/A/01", CountEntry("BOLT", D(1)), complete=True)

    assert line(doc, "FLOUR")["counted"] == D("0.000")
    assert line(doc, "FLOUR")["status"] == "recount"  # 2.5 missing: beyond 1 unit


def test_bad_batches_are_refused_whole(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 10)
    stock(w, "MILK", "WH1/A/01", 4, lot="L1")
    number = count_of(w, "WH1/A/01")
    cases = [
        ([CountEntry("BOLT", D(10)), CountEntry("NOPE", D(1))], "sku_not_found"),
        ([CountEntry("BOLT", D(10)), CountEntry("BOLT", D(1))], "duplicate_entry"),
        ([CountEntry("MILK", D(4))], "lot_required"),
        ([CountEntry("BOLT", D(1), lot="L1")], "not_tracked"),
        ([CountEntry("BOLT", D(-1))], "quantity_not_positive"),
        ([CountEntry("BOLT", D("1.5"))], "quantity_precision"),
        ([], "invalid_line_count"),
    ]
    for entries, code in cases:
        err = refused(w, InvalidInput, record, w, number, "WH1/A/01", *entries)
        assert err.code == code, (entries, err.message)
    err = refused(w, InvalidInput, record, w, number, "WH1/A/02", CountEntry("BOLT", D(1)))
    assert err.code == "location_outside_count"
    assert refused(
        w, NotFound, record, w, "CC-999999", "WH1/A/01", CountEntry("BOLT", D(1))
    ).code == ("count_not_found")


# --- retries and stale forms ----------------------------------------------------------------


def test_a_record_retried_with_its_key_records_once_and_says_so(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")

    first = record(w, number, "WH1/A/01", CountEntry("BOLT", D(40)), idempotency_key="bin-1")
    again = record(w, number, "WH1/A/01", CountEntry("BOLT", D(40)), idempotency_key="bin-1")

    assert (first["replayed"], again["replayed"]) == (False, True)
    # Counted once: the retry is not taken for the recount the first count asked for.
    assert (line(again, "BOLT")["count_no"], line(again, "BOLT")["status"]) == (1, "recount")
    err = refused(
        w, Conflict, record, w, number, "WH1/A/01", CountEntry("BOLT", D(41)),
        idempotency_key="bin-1",
    )  # fmt: skip
    assert err.code == "idempotency_key_reused"
    recount = record(w, number, "WH1/A/01", CountEntry("BOLT", D(41)), idempotency_key="bin-2")
    assert recount["replayed"] is False
    assert (line(recount, "BOLT")["count_no"], line(recount, "BOLT")["status"]) == (2, "review")


def test_a_retry_of_the_record_that_closed_the_count_answers_it(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 10)
    number = count_of(w, "WH1/A/01")
    first = record(w, number, "WH1/A/01", CountEntry("BOLT", D(9)), idempotency_key="k")

    again = record(w, number, "WH1/A/01", CountEntry("BOLT", D(9)), idempotency_key="k")

    assert first["status"] == again["status"] == "closed"
    assert again["replayed"] is True
    assert adjustments(w, number) == [("WH1/A/01", "@adjustment", 1_000_000, "count_variance")]
    err = refused(
        w, Conflict, record, w, number, "WH1/A/01", CountEntry("BOLT", D(9)), idempotency_key="k2"
    )
    assert err.code == "count_closed"
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(9)}


def test_a_form_shown_before_the_location_was_counted_is_refused(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 50)
    number = count_of(w, "WH1/A/01")

    def version() -> str:
        lines = count_views.get_count(w.db, w.actor, number)["lines"]
        return bin_version((x["line_no"], x["count_no"]) for x in lines)

    shown = version()
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(40)), unchanged_since=shown)
    err = refused(
        w, Conflict, record, w, number, "WH1/A/01", CountEntry("BOLT", D(40)),
        unchanged_since=shown,
    )  # fmt: skip
    assert err.code == "bin_counted_meanwhile"
    assert "WH1/A/01" in err.message
    # Shown again, the recount it asks for is recorded.
    doc = record(w, number, "WH1/A/01", CountEntry("BOLT", D(50)), unchanged_since=version())
    assert (line(doc, "BOLT")["count_no"], line(doc, "BOLT")["status"]) == (2, "approved")


def test_a_closed_count_takes_no_more_counts(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 10)
    number = count_of(w, "WH1/A/01")
    record(w, number, "WH1/A/01", CountEntry("BOLT", D(10)))
    err = refused(w, Conflict, record, w, number, "WH1/A/01", CountEntry("BOLT", D(10)))
    assert err.code == "count_closed"


def test_counts_of_an_item_and_of_flagged_discrepancies(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 10)
    stock(w, "BOLT", "WH2/STOCK", 3)
    post(w, mv("FLOUR", "WH1/NEG", "@customer", 2))  # a negative balance: flagged

    by_item = create_count(w.db, w.actor, sku="BOLT")
    flagged = create_count(w.db, w.actor, discrepancies=True)

    doc = count_views.get_count(w.db, w.actor, by_item["number"])
    assert [(x["location"], x["sku"]) for x in doc["lines"]] == [
        ("WH1/A/01", "BOLT"),
        ("WH2/STOCK", "BOLT"),
    ]
    assert doc["warehouse"] is None
    doc = count_views.get_count(w.db, w.actor, flagged["number"])
    assert [(x["location"], x["sku"]) for x in doc["lines"]] == [("WH1/NEG", "FLOUR")]
    assert doc["warehouse"] == "WH1"
    done = record(w, flagged["number"], "WH1/NEG", CountEntry("FLOUR", D(0)))
    assert line(done, "FLOUR")["status"] == "recount"
    record(w, flagged["number"], "WH1/NEG", CountEntry("FLOUR", D(0)))
    approve_lines(w.db, w.actor, flagged["number"], reason="write-on")
    assert on_hand(w, "FLOUR") == {}
    err = refused(w, InvalidInput, create_count, w.db, w.actor, discrepancies=True)
    assert err.code == "nothing_to_count"
    err = refused(w, InvalidInput, create_count, w.db, w.actor, sku="BOLT", location="WH1")
    assert err.code == "invalid_count_scope"


def test_one_organisation_never_sees_anothers_counts(w: World, db: Database) -> None:
    from tests.conftest import make_org

    stock(w, "BOLT", "WH1/A/01", 10)
    number = count_of(w, "WH1/A/01")
    other = make_org(db)
    with pytest.raises(NotFound):
        count_views.get_count(db, other.actor, number)
    with pytest.raises(NotFound):
        record_counts(
            db, other.actor, number, location="WH1/A/01", entries=[CountEntry("BOLT", D(1))]
        )
    assert count_views.list_counts(db, other.actor) == []


def test_a_clerk_of_one_warehouse_sees_and_counts_only_its_lines(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 10)
    stock(w, "BOLT", "WH2/STOCK", 3)
    number = create_count(w.db, w.actor, sku="BOLT")["number"]
    accounts.create_user(
        w.db, w.actor, username="wh1-clerk", password="password-1", role="clerk", warehouses=["WH1"]
    )
    clerk = accounts.authenticate(w.db, accounts.login(w.db, "wh1-clerk", "password-1").token)

    shown = count_views.get_count(w.db, clerk, number)

    assert [x["location"] for x in shown["lines"]] == ["WH1/A/01"]
    err = refused(
        w, Forbidden, record, w, number, "WH2/STOCK", CountEntry("BOLT", D(3)), actor=clerk
    )
    assert err.code == "warehouse_not_allowed"
    assert record(w, number, "WH1/A/01", CountEntry("BOLT", D(10)), actor=clerk)["status"] == "open"
