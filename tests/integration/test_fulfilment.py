"""The order-to-shipment cycle through the real services, on SQLite and PostgreSQL: purchase,
receive (partial, lots), put away, order, reserve, pick (one short), ship, and the backorder
filled by the next receipt."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from onhand.domain.errors import Conflict, IdempotencyConflict, InvalidInput
from onhand.services import (
    locations,
    pick_list_views,
    picking,
    purchase_orders,
    put_away,
    receiving,
    sales_orders,
    shipping,
    suppliers,
    verify,
)
from onhand.services.picking import PickConfirmation
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.receiving import ReceiptLineInput
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post

D = Decimal
TODAY = date.today()


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    locations.create_location(db, org.actor, code="OUT", parent="WH1")
    sales_orders.set_warehouse_settings(db, org.actor, "WH1", outbound="WH1/OUT")
    suppliers.create_supplier(db, org.actor, suppliers.SupplierCreate(code="ACME", name="Acme"))
    return world


def order(w: World, *lines: tuple[str, str]) -> str:
    made = sales_orders.create_order(
        w.db,
        w.actor,
        SoCreate(
            customer="Smith",
            warehouse="WH1",
            lines=[SoLineInput(sku=s, quantity=D(q)) for s, q in lines],
        ),
    )
    return str(made["number"])


def line_state(w: World, number: str) -> list[tuple[Decimal, Decimal, Decimal]]:
    so = sales_orders.get_order(w.db, w.actor, number)
    return [(x["reserved"], x["shipped"], x["backordered"]) for x in so["lines"]]


def confirm(task: dict[str, Any], quantity: str | None = None, **kw: Any) -> PickConfirmation:
    return PickConfirmation(
        seq=task["seq"],
        location=kw.pop("location", task["location"]),
        quantity=D(quantity) if quantity is not None else task["quantity"],
        lot=kw.pop("lot", task["lot"]),
        serial=kw.pop("serial", task["serial"]),
    )


def test_the_whole_cycle_from_purchase_to_a_filled_backorder(w: World) -> None:
    po = purchase_orders.create_po(
        w.db,
        w.actor,
        PoCreate(supplier="ACME", receive_to="WH1/RECV", lines=[PoLineInput("MILK", D(30))]),
    )["number"]
    purchase_orders.order_po(w.db, w.actor, po)
    soon, later = TODAY + timedelta(days=5), TODAY + timedelta(days=20)
    receiving.receive(
        w.db,
        w.actor,
        po,
        [
            ReceiptLineInput(line_no=1, quantity=D(8), lot="LATE", expiry_date=later),
            ReceiptLineInput(line_no=1, quantity=D(6), lot="SOON", expiry_date=soon),
        ],
    )
    for lot, qty in (("LATE", 8), ("SOON", 6)):
        put_away.put_away_stock(
            w.db, w.actor, sku="MILK", source="WH1/RECV", quantity=D(qty), lot=lot, to="WH1/A/01"
        )
    number = order(w, ("MILK", "12"))
    assert line_state(w, number) == [(D(12), D(0), D(0))]
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    tasks = pl["tasks"]
    # FEFO: the lot expiring first is taken whole, the rest from the later lot.
    assert [(t["lot"], t["quantity"]) for t in tasks] == [("SOON", D(6)), ("LATE", D(6))]
    picked = picking.confirm_picks(
        w.db, w.actor, pl["number"], [confirm(tasks[0]), confirm(tasks[1], "4")]
    )
    assert [t["status"] for t in picked["tasks"]] == ["picked", "short"]
    assert picked["status"] == "done"
    # The 2 not found go back to the order as a backorder; the bin is flagged for a count.
    assert line_state(w, number) == [(D(10), D(0), D(2))]
    with w.db.reading() as uow:
        flagged = uow.conn.execute(
            select(tables.discrepancies.c.kind, tables.discrepancies.c.qty)
        ).all()
    assert flagged == [("short_pick", 2 * 10**6)]
    assert on_hand(w, "MILK") == {
        ("WH1/A/01", "LATE", None): D(4),
        ("WH1/OUT", "SOON", None): D(6),
        ("WH1/OUT", "LATE", None): D(4),
    }
    shipped = shipping.ship_order(w.db, w.actor, number, idempotency_key="truck-1")
    assert shipped["order"]["status"] == "partially_shipped"
    again = shipping.ship_order(w.db, w.actor, number, idempotency_key="truck-1")
    assert again["replayed"]
    assert again["posting_id"] == shipped["posting_id"]
    assert line_state(w, number) == [(D(0), D(10), D(2))]
    # The next receipt serves the backorder first.
    receiving.receive(
        w.db,
        w.actor,
        po,
        [ReceiptLineInput(line_no=1, quantity=D(5), lot="NEW", expiry_date=later)],
    )
    assert line_state(w, number) == [(D(2), D(10), D(0))]
    pl2 = picking.create_pick_list(w.db, w.actor, "WH1", orders=[number])
    assert [(t["location"], t["quantity"]) for t in pl2["tasks"]] == [("WH1/A/01", D(2))]
    picking.confirm_picks(w.db, w.actor, pl2["number"], [confirm(pl2["tasks"][0])])
    done = shipping.ship_order(w.db, w.actor, number)
    assert done["order"]["status"] == "shipped"
    assert line_state(w, number) == [(D(0), D(12), D(0))]
    assert verify.verify(w.db).findings == []


def test_a_pick_must_scan_the_tasks_location_and_lot(w: World) -> None:
    post(w, mv("MILK", "@supplier", "WH1/A/01", 5, lot="L1", expiry=TODAY + timedelta(days=9)))
    order(w, ("MILK", "3"))
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    task = pl["tasks"][0]
    for kw, code in (
        ({"location": "WH1/A/02"}, "wrong_location"),
        ({"lot": "L2"}, "wrong_lot"),
    ):
        with pytest.raises(InvalidInput) as err:
            picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(task, **kw)])
        assert err.value.code == code
    for bad in ("4", "-1", "0.05"):
        with pytest.raises(InvalidInput) as err:
            picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(task, bad)])
        assert err.value.code == "invalid_pick_quantity"
    picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(task)], idempotency_key="p1")
    replay = picking.confirm_picks(
        w.db, w.actor, pl["number"], [confirm(task)], idempotency_key="p1"
    )
    assert replay["replayed"]
    with pytest.raises(IdempotencyConflict):
        picking.confirm_picks(
            w.db, w.actor, pl["number"], [confirm(task, "2")], idempotency_key="p1"
        )
    with pytest.raises(Conflict) as err:
        picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(task)])
    assert err.value.code == "task_not_open"


def test_pick_lists_walk_the_bins_in_path_order_and_never_allocate_twice(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/02", 2), mv("BOLT", "@supplier", "WH1/A/01", 2))
    post(w, mv("FLOUR", "@supplier", "WH1/A/01", 1))
    order(w, ("BOLT", "3"), ("FLOUR", "1"))
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    assert [(t["location"], t["sku"]) for t in pl["tasks"]] == [
        ("WH1/A/01", "BOLT"),
        ("WH1/A/01", "FLOUR"),
        ("WH1/A/02", "BOLT"),
    ]
    with pytest.raises(Conflict) as err:
        picking.create_pick_list(w.db, w.actor, "WH1")
    assert err.value.code == "nothing_to_pick"


def test_shipping_and_cancelling_need_the_right_state(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    number = order(w, ("BOLT", "2"))
    with pytest.raises(Conflict) as err:
        shipping.ship_order(w.db, w.actor, number)
    assert err.value.code == "nothing_to_ship"
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(pl["tasks"][0])])
    with pytest.raises(Conflict) as err:
        sales_orders.cancel_order(w.db, w.actor, number)
    assert err.value.code == "so_has_picked_stock"
    shipping.ship_order(w.db, w.actor, number)
    with pytest.raises(Conflict) as err:
        shipping.ship_order(w.db, w.actor, number)
    assert err.value.code == "so_shipped"


def test_picking_needs_an_outbound_location(db: Database, org: Org) -> None:
    w = build_world(db, org.actor)
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    order(w, ("BOLT", "2"))
    with pytest.raises(Conflict) as err:
        picking.create_pick_list(db, org.actor, "WH1")
    assert err.value.code == "no_outbound_location"
    with pytest.raises(InvalidInput):
        sales_orders.set_warehouse_settings(db, org.actor, "WH1", outbound="WH2/STOCK")


def test_a_serial_item_is_picked_by_its_serial(w: World) -> None:
    post(
        w,
        mv("PHONE", "@supplier", "WH1/A/01", 1, serial="S1"),
        mv("PHONE", "@supplier", "WH1/A/02", 1, serial="S2"),
    )
    number = order(w, ("PHONE", "1"))
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    task = pl["tasks"][0]
    with pytest.raises(InvalidInput) as err:
        picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(task, serial="S9")])
    assert err.value.code == "wrong_serial"
    picking.confirm_picks(w.db, w.actor, pl["number"], [confirm(task)])
    shipping.ship_order(w.db, w.actor, number)
    assert on_hand(w, "PHONE") == {("WH1/A/02", None, "S2"): D(1)}


def test_the_pick_list_index_counts_progress_and_pages_by_number(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10))
    so1, so2, so3 = order(w, ("BOLT", "2")), order(w, ("BOLT", "3")), order(w, ("BOLT", "1"))
    first = picking.create_pick_list(w.db, w.actor, "WH1", orders=[so1, so2])
    picking.confirm_picks(w.db, w.actor, first["number"], [confirm(first["tasks"][0], "1")])
    second = picking.create_pick_list(w.db, w.actor, "WH1", orders=[so3])

    found = pick_list_views.pick_list_index(w.db, w.actor)
    assert [(x["number"], x["status"], x["orders"]) for x in found["pick_lists"]] == [
        (second["number"], "open", [so3]),
        (first["number"], "open", sorted([so1, so2])),
    ]
    progress = found["pick_lists"][1]
    assert (progress["tasks"], progress["open"], progress["short"], progress["picked"]) == (
        2,
        1,
        1,
        0,
    )
    assert found["next_before"] is None
    page = pick_list_views.pick_list_index(w.db, w.actor, limit=1)
    assert [x["number"] for x in page["pick_lists"]] == [second["number"]]
    assert page["next_before"] == second["number"]
    older = pick_list_views.pick_list_index(w.db, w.actor, limit=1, before=page["next_before"])
    assert ([x["number"] for x in older["pick_lists"]], older["next_before"]) == (
        [first["number"]],
        None,
    )
    assert pick_list_views.pick_list_index(w.db, w.actor, status="done")["pick_lists"] == []
    for bad in ({"status": "lost"}, {"limit": 0}, {"warehouse": "WH1/A"}):
        with pytest.raises(InvalidInput):
            pick_list_views.pick_list_index(w.db, w.actor, **bad)  # type: ignore[arg-type]
