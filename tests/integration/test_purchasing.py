"""Suppliers, purchase orders, receiving and put-away through the real services, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from onhand.domain.access import Actor
from onhand.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    OnhandError,
)
from onhand.services import (
    accounts,
    locations,
    purchase_orders,
    put_away,
    receiving,
    sales_orders,
    suppliers,
    verify,
)
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.receiving import ReceiptLineInput, UnplannedReceiptLine
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post, snapshot

D = Decimal


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    suppliers.create_supplier(
        db, org.actor, suppliers.SupplierCreate(code="ACME", name="Acme", over_receipt_pct=10)
    )
    return world


def user(w: World, role: str) -> Actor:
    name = f"{role}-{w.org_id}"
    accounts.create_user(w.db, w.actor, username=name, password="password-1", role=role)
    return accounts.authenticate(w.db, accounts.login(w.db, name, "password-1").token)


def new_po(w: World, *lines: tuple[str, str], number: str | None = None, order: bool = True) -> str:
    po = purchase_orders.create_po(
        w.db,
        w.actor,
        PoCreate(
            supplier="ACME",
            receive_to="WH1/RECV",
            number=number,
            lines=[PoLineInput(sku=sku, quantity=D(q)) for sku, q in lines],
        ),
    )
    if order:
        purchase_orders.order_po(w.db, w.actor, po["number"])
    return str(po["number"])


def receive(
    w: World, number: str, *entries: ReceiptLineInput, key: str | None = None
) -> dict[str, Any]:
    return receiving.receive(w.db, w.actor, number, list(entries), idempotency_key=key)


def line(line_no: int, quantity: str, **kw: Any) -> ReceiptLineInput:
    return ReceiptLineInput(line_no=line_no, quantity=D(quantity), **kw)


def refused(w: World, error: type[OnhandError], fn: Any, *args: Any, **kwargs: Any) -> OnhandError:
    """Call, expect the error, and check that no ledger or document row changed."""
    before = snapshot(w.db), documents(w.db)
    with pytest.raises(error) as info:
        fn(*args, **kwargs)
    assert (snapshot(w.db), documents(w.db)) == before
    return info.value


def documents(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.reading() as uow:
        for table in (tables.purchase_orders, tables.purchase_order_lines, tables.receipts):
            out[table.name] = sorted(tuple(r) for r in uow.conn.execute(select(table)))
    return out


def statuses(w: World, number: str) -> tuple[str, list[tuple[Decimal, Decimal]]]:
    po = purchase_orders.get_po(w.db, w.actor, number)
    return po["status"], [(x["received"], x["open"]) for x in po["lines"]]


# --- suppliers ------------------------------------------------------------------------------


def test_a_supplier_code_is_unique_and_its_fields_are_checked(w: World) -> None:
    with pytest.raises(Conflict) as err:
        suppliers.create_supplier(w.db, w.actor, suppliers.SupplierCreate(code="ACME", name="x"))
    assert err.value.code == "supplier_exists"
    with pytest.raises(InvalidInput) as bad:
        suppliers.create_supplier(
            w.db, w.actor, suppliers.SupplierCreate(code="B", name="B", lead_time_days=-1)
        )
    assert bad.value.code == "invalid_lead_time"
    with pytest.raises(InvalidInput):
        suppliers.create_supplier(
            w.db, w.actor, suppliers.SupplierCreate(code="B", name="B", currency="euro")
        )
    changed = suppliers.update_supplier(w.db, w.actor, "ACME", {"lead_time_days": 12})
    assert changed["lead_time_days"] == 12
    assert changed["lead_time"]["planning_days"] == 12


def test_only_one_preferred_supplier_per_item(w: World) -> None:
    suppliers.create_supplier(w.db, w.actor, suppliers.SupplierCreate(code="BETA", name="Beta"))
    terms = suppliers.SupplierItemSet(
        price=D("0.12"), preferred=True, pack_size=D(100), min_order_qty=D(500)
    )
    suppliers.set_supplier_item(w.db, w.actor, "ACME", "BOLT", terms)
    suppliers.set_supplier_item(w.db, w.actor, "BETA", "BOLT", terms)
    rows = suppliers.list_supplier_items(w.db, w.actor, sku="BOLT")
    assert [(r["supplier"], r["preferred"]) for r in rows] == [("ACME", False), ("BETA", True)]
    assert rows[1]["pack_size"] == D(100)
    assert rows[1]["price"] == D("0.12")


def test_supplier_item_quantities_respect_the_unit(w: World) -> None:
    with pytest.raises(InvalidInput) as err:
        suppliers.set_supplier_item(
            w.db, w.actor, "ACME", "BOLT", suppliers.SupplierItemSet(pack_size=D("2.5"))
        )
    assert err.value.code == "quantity_precision"


# --- purchase orders ------------------------------------------------------------------------


def test_a_draft_takes_the_supplier_price_and_warns_about_minimums_and_packs(w: World) -> None:
    suppliers.set_supplier_item(
        w.db,
        w.actor,
        "ACME",
        "BOLT",
        suppliers.SupplierItemSet(price=D("0.25"), min_order_qty=D(100), pack_size=D(50)),
    )
    number = new_po(w, ("BOLT", "70"), order=False)
    po = purchase_orders.get_po(w.db, w.actor, number)
    assert po["status"] == "draft"
    assert po["number"] == "PO-000001"
    assert po["lines"][0]["unit_price"] == D("0.25")
    assert len(po["warnings"]) == 2
    assert po["warehouse"] == "WH1"
    assert po["receive_to"] == "WH1/RECV"


def test_po_lifecycle_refuses_what_its_status_does_not_allow(w: World) -> None:
    number = new_po(w, ("BOLT", "10"), order=False)
    err = refused(w, Conflict, receive, w, number, line(1, "1"))
    assert err.code == "po_draft"
    purchase_orders.update_po(w.db, w.actor, number, lines=[PoLineInput("BOLT", D(20))])
    purchase_orders.order_po(w.db, w.actor, number)
    err = refused(w, Conflict, purchase_orders.update_po, w.db, w.actor, number, note="late")
    assert err.code == "po_ordered"
    receive(w, number, line(1, "5"))
    err = refused(w, Conflict, purchase_orders.cancel_po, w.db, w.actor, number)
    assert err.code == "po_partially_received"
    closed = purchase_orders.close_po(w.db, w.actor, number)
    assert closed["status"] == "received"
    assert closed["lines"][0]["open"] == D(0)
    assert closed["lines"][0]["closed"] is True
    err = refused(w, Conflict, receive, w, number, line(1, "1"))
    assert err.code == "po_received"


def test_an_empty_draft_cannot_be_ordered_and_bad_lines_are_named(w: World) -> None:
    number = new_po(w, order=False)
    err = refused(w, InvalidInput, purchase_orders.order_po, w.db, w.actor, number)
    assert err.code == "po_empty"
    with pytest.raises(InvalidInput) as bad:
        new_po(w, ("BOLT", "1"), ("NOPE", "1"))
    assert bad.value.code == "sku_not_found"
    assert bad.value.message.startswith("line 2")
    with pytest.raises(InvalidInput) as bad:
        new_po(w, ("FLOUR", "1.0005"))
    assert bad.value.code == "quantity_precision"
    with pytest.raises(Conflict):
        new_po(w, ("BOLT", "1"), number=number)


def test_a_po_received_into_a_virtual_location_is_refused(w: World) -> None:
    with pytest.raises(InvalidInput) as err:
        purchase_orders.create_po(w.db, w.actor, PoCreate(supplier="ACME", receive_to="@customer"))
    assert err.value.code == "not_a_receiving_location"


# --- receiving ------------------------------------------------------------------------------


def test_partial_receipts_with_lots_then_the_rest_complete_the_order(w: World) -> None:
    number = new_po(w, ("MILK", "100"), ("BOLT", "40"))
    expiry = date.today() + timedelta(days=30)
    got = receive(
        w,
        number,
        line(1, "60", lot="L1", expiry_date=expiry),
        line(1, "15", lot="L2"),
        line(2, "40"),
    )
    assert got["po"]["status"] == "partially_received"
    assert [r["quantity"] for r in got["receipts"]] == [D(60), D(15), D(40)]
    assert on_hand(w, "MILK") == {("WH1/RECV", "L1", None): D(60), ("WH1/RECV", "L2", None): D(15)}
    assert statuses(w, number) == ("partially_received", [(D(75), D(25)), (D(40), D(0))])
    receive(w, number, line(1, "25", lot="L2"))
    assert statuses(w, number)[0] == "received"
    assert verify.verify(w.db).findings == []


def test_over_receipt_is_allowed_within_the_tolerance_and_refused_beyond(w: World) -> None:
    number = new_po(w, ("BOLT", "100"))
    err = refused(w, Conflict, receive, w, number, line(1, "60"), line(1, "51"))
    assert err.code == "over_receipt"
    receive(w, number, line(1, "110"))  # 10 % tolerance
    assert statuses(w, number) == ("received", [(D(110), D(0))])


def test_serials_are_captured_one_per_unit(w: World) -> None:
    number = new_po(w, ("PHONE", "2"))
    err = refused(w, InvalidInput, receive, w, number, line(1, "2", serials=["S1"]))
    assert err.code == "serials_mismatch"
    got = receive(w, number, line(1, "2", serials=["S1", "S2"]))
    assert len(got["movement_ids"]) == 2
    assert set(on_hand(w, "PHONE")) == {("WH1/RECV", None, "S1"), ("WH1/RECV", None, "S2")}


def test_a_retried_receipt_posts_once_and_another_payload_under_its_key_is_refused(
    w: World,
) -> None:
    number = new_po(w, ("BOLT", "10"))
    first = receive(w, number, line(1, "10"), key="dock-7")
    again = receive(w, number, line(1, "10"), key="dock-7")
    assert again["replayed"]
    assert again["posting_id"] == first["posting_id"]
    assert statuses(w, number) == ("received", [(D(10), D(0))])
    refused(w, IdempotencyConflict, receive, w, number, line(1, "9"), key="dock-7")


def test_receipt_lines_must_name_lines_of_the_order_and_a_location_of_its_warehouse(
    w: World,
) -> None:
    number = new_po(w, ("BOLT", "10"))
    err = refused(w, InvalidInput, receive, w, number, line(3, "1"))
    assert err.code == "po_line_not_found"
    err = refused(w, InvalidInput, receive, w, number, line(1, "1", location="WH2/STOCK"))
    assert err.code == "wrong_warehouse"
    err = refused(w, InvalidInput, receive, w, number, line(1, "0"))
    assert err.code == "quantity_not_positive"
    refused(w, NotFound, receive, w, "PO-404", line(1, "1"))


def test_lead_times_are_learnt_from_receipts(w: World, db: Database) -> None:
    for days in (5, 9, 10):
        number = new_po(w, ("BOLT", "1"))
        po = tables.purchase_orders
        with db.writing() as uow:  # ordered some days ago
            ordered = uow.conn.execute(select(po.c.ordered_at).where(po.c.number == number))
            when = ordered.scalar_one() - timedelta(days=days)
            uow.conn.execute(update(po).where(po.c.number == number).values(ordered_at=when))
            uow.commit()
        receive(w, number, line(1, "1"))
    lt = suppliers.get_supplier(w.db, w.actor, "ACME")["lead_time"]
    assert lt["observations"] == 3
    assert lt["learnt_days"] == 8.0
    assert lt["learnt_sd_days"] == pytest.approx(2.65, abs=0.01)
    assert lt["planning_days"] == 8.0


def test_receiving_without_an_order_is_for_managers(w: World) -> None:
    clerk = user(w, "clerk")
    manager = user(w, "manager")
    lines = [UnplannedReceiptLine(sku="BOLT", quantity=D(3), to="WH1/RECV")]
    err = refused(w, Forbidden, receiving.receive_without_order, w.db, clerk, lines)
    assert err.code == "permission_denied"
    got = receiving.receive_without_order(w.db, manager, lines, supplier="ACME", reference="DN-1")
    assert got["receipts"][0]["supplier"] == "ACME"
    assert got["receipts"][0]["po"] is None
    assert on_hand(w, "BOLT") == {("WH1/RECV", None, None): D(3)}


def test_a_clerk_receives_against_an_order_but_cannot_create_one(w: World) -> None:
    clerk = user(w, "clerk")
    number = new_po(w, ("BOLT", "4"))
    receiving.receive(w.db, clerk, number, [line(1, "4")])
    with pytest.raises(Forbidden):
        purchase_orders.create_po(w.db, clerk, PoCreate(supplier="ACME", receive_to="WH1/RECV"))


def test_another_organisation_sees_no_order(w: World, db: Database) -> None:
    number = new_po(w, ("BOLT", "4"))
    other = make_org(db)
    with pytest.raises(NotFound):
        purchase_orders.get_po(db, other.actor, number)
    assert purchase_orders.list_pos(db, other.actor) == []


# --- put-away -------------------------------------------------------------------------------


def test_put_away_suggests_where_the_item_already_is_then_its_zone_then_any_empty_bin(
    w: World,
) -> None:
    post(w, mv("FLOUR", "@supplier", "WH1/A/01", 5))  # A/01 is not empty any more
    post(w, mv("BOLT", "@supplier", "WH1/RECV", 30))
    first = put_away.suggest_bin(w.db, w.actor, "BOLT", "WH1/RECV")
    assert (first.bin, first.reason) == ("WH1/A/02", "empty bin in WH1")
    put_away.set_put_away_zone(w.db, w.actor, "BOLT", "WH1/A")
    done = put_away.put_away_stock(
        w.db, w.actor, sku="BOLT", source="WH1/RECV", quantity=D(10), idempotency_key="pa-1"
    )
    assert done["to"] == "WH1/A/02"
    assert put_away.suggest_bin(w.db, w.actor, "BOLT", "WH1/RECV").reason == "holds this item"
    again = put_away.put_away_stock(
        w.db, w.actor, sku="BOLT", source="WH1/RECV", quantity=D(10), idempotency_key="pa-1"
    )
    assert again["replayed"]
    assert again["to"] == "WH1/A/02"
    assert on_hand(w, "BOLT") == {("WH1/RECV", None, None): D(20), ("WH1/A/02", None, None): D(10)}


def test_put_away_with_no_bin_left_says_so(w: World) -> None:
    for path in ("WH1/A/01", "WH1/A/02", "WH1/NEG"):
        post(w, mv("FLOUR", "@supplier", path, 1))
    post(w, mv("BOLT", "@supplier", "WH1/RECV", 3))
    with pytest.raises(Conflict) as err:
        put_away.suggest_bin(w.db, w.actor, "BOLT", "WH1/RECV")
    assert err.value.code == "no_bin_available"
    with pytest.raises(InvalidInput):
        put_away.set_put_away_zone(w.db, w.actor, "BOLT", "WH1")


def test_put_away_never_suggests_a_held_bin_or_the_outbound_location(w: World) -> None:
    post(w, mv("FLOUR", "@supplier", "WH1/A/01", 1), mv("BOLT", "@supplier", "WH1/RECV", 3))
    held = locations.get_location(w.db, w.actor, path="WH1/A/02")
    locations.update_location(w.db, w.actor, held["id"], on_hold=True)
    assert put_away.suggest_bin(w.db, w.actor, "BOLT", "WH1/RECV").bin == "WH1/NEG"
    sales_orders.set_warehouse_settings(w.db, w.actor, "WH1", outbound="WH1/NEG")
    with pytest.raises(Conflict) as err:
        put_away.suggest_bin(w.db, w.actor, "BOLT", "WH1/RECV")
    assert err.value.code == "no_bin_available"
