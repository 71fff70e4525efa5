"""Sales orders, reservations, backorders and available-to-promise through the real services, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from onhand.domain.errors import Conflict, InvalidInput, NotFound
from onhand.services import (
    availability,
    csv_orders,
    locations,
    lots,
    purchase_orders,
    receiving,
    sales_orders,
    suppliers,
)
from onhand.services.availability import AtpRequest
from onhand.services.csv_read import ImportRejected
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.receiving import ReceiptLineInput
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, post
from tests.integration.test_concurrency import race

D = Decimal
TODAY = date.today()


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    suppliers.create_supplier(
        db, org.actor, suppliers.SupplierCreate(code="ACME", name="Acme", lead_time_days=10)
    )
    return world


def order(
    w: World, *lines: tuple[str, str], due: date | None = None, wh: str = "WH1"
) -> dict[str, Any]:
    return sales_orders.create_order(
        w.db,
        w.actor,
        SoCreate(
            customer="Bakery Smith",
            warehouse=wh,
            requested_date=due,
            lines=[SoLineInput(sku=s, quantity=D(q)) for s, q in lines],
        ),
    )


def reserved_backordered(so: dict[str, Any]) -> list[tuple[Decimal, Decimal]]:
    return [(x["reserved"], x["backordered"]) for x in so["lines"]]


def atp(w: World, sku: str, quantity: str | None = None, on: date | None = None) -> dict[str, Any]:
    got = availability.available_to_promise(
        w.db,
        w.actor,
        "WH1",
        [AtpRequest(sku, D(quantity) if quantity else None)],
        on=on,
        profile=True,
    )
    return dict(got["items"][0])


def po(w: World, sku: str, quantity: str, expected: date | None) -> str:
    made = purchase_orders.create_po(
        w.db,
        w.actor,
        PoCreate(
            supplier="ACME",
            receive_to="WH1/RECV",
            lines=[PoLineInput(sku=sku, quantity=D(quantity), expected_date=expected)],
        ),
    )
    purchase_orders.order_po(w.db, w.actor, made["number"])
    return str(made["number"])


def test_an_order_reserves_what_is_available_and_backorders_the_rest(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 8), mv("BOLT", "@supplier", "WH2/STOCK", 50))
    first = order(w, ("BOLT", "5"))
    second = order(w, ("BOLT", "5"))
    assert first["status"] == "open"
    assert reserved_backordered(first) == [(D(5), D(0))]
    assert reserved_backordered(second) == [(D(3), D(2))]  # WH2's stock is not WH1's
    assert atp(w, "BOLT")["atp_now"] == D(0)
    assert atp(w, "BOLT")["reserved"] == D(8)


def test_held_locations_held_lots_and_expired_lots_are_not_available(w: World) -> None:
    post(
        w,
        mv("BOLT", "@supplier", "WH1/A/01", 4),
        mv("BOLT", "@supplier", "WH1/A/02", 6),
        mv("MILK", "@supplier", "WH1/A/01", 5, lot="OLD", expiry=TODAY - timedelta(days=1)),
        mv("MILK", "@supplier", "WH1/A/01", 7, lot="HELD", expiry=TODAY + timedelta(days=9)),
        mv("MILK", "@supplier", "WH1/A/02", 3, lot="GOOD", expiry=TODAY),
    )
    zone = locations.get_location(w.db, w.actor, path="WH1/A")
    locations.update_location(w.db, w.actor, zone["id"], on_hold=True)
    assert atp(w, "BOLT")["on_hand"] == D(0)  # both bins are under the held zone
    locations.update_location(w.db, w.actor, zone["id"], on_hold=False)
    assert atp(w, "BOLT")["on_hand"] == D(10)
    lots.update_lot(w.db, w.actor, sku="MILK", code="HELD", on_hold=True)
    assert atp(w, "MILK")["on_hand"] == D(3)  # expiring today is still good
    assert reserved_backordered(order(w, ("MILK", "5"))) == [(D(3), D(2))]


def test_virtual_locations_cannot_be_held(w: World) -> None:
    supplier = locations.get_location(w.db, w.actor, path="@supplier")
    with pytest.raises(Conflict):
        locations.update_location(w.db, w.actor, supplier["id"], on_hold=True)


def test_a_receipt_serves_backorders_first_due_first(w: World) -> None:
    late = order(w, ("BOLT", "4"), due=TODAY + timedelta(days=9))
    soon = order(w, ("BOLT", "4"), due=TODAY + timedelta(days=2))
    number = po(w, "BOLT", "6", None)
    receiving.receive(w.db, w.actor, number, [ReceiptLineInput(line_no=1, quantity=D(6))])
    got = {
        n: reserved_backordered(sales_orders.get_order(w.db, w.actor, n))
        for n in (late["number"], soon["number"])
    }
    assert got == {soon["number"]: [(D(4), D(0))], late["number"]: [(D(2), D(2))]}


def test_without_backorders_first_new_stock_waits_for_a_reallocation(w: World) -> None:
    sales_orders.set_warehouse_settings(w.db, w.actor, "WH1", backorders_first=False)
    so = order(w, ("BOLT", "4"))
    number = po(w, "BOLT", "6", None)
    receiving.receive(w.db, w.actor, number, [ReceiptLineInput(line_no=1, quantity=D(6))])
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, so["number"])) == [
        (D(0), D(4))
    ]
    again = sales_orders.reallocate(w.db, w.actor, so["number"])
    assert reserved_backordered(again) == [(D(4), D(0))]


def test_a_new_order_does_not_jump_the_backorders_queue(w: World) -> None:
    waiting = order(w, ("BOLT", "4"))
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 6))  # a plain movement serves no backorder
    assert atp(w, "BOLT")["atp_now"] == D(2)
    late = order(w, ("BOLT", "4"))
    assert reserved_backordered(late) == [(D(2), D(2))]
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, waiting["number"])) == [
        (D(4), D(0))
    ]
    assert atp(w, "BOLT")["atp_now"] == D(0)


def test_without_backorders_first_a_new_order_takes_free_stock(w: World) -> None:
    sales_orders.set_warehouse_settings(w.db, w.actor, "WH1", backorders_first=False)
    waiting = order(w, ("BOLT", "4"))
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 6))
    assert reserved_backordered(order(w, ("BOLT", "4"))) == [(D(4), D(0))]
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, waiting["number"])) == [
        (D(0), D(4))
    ]


def test_reallocating_one_order_keeps_the_queue(w: World) -> None:
    late = order(w, ("BOLT", "4"), due=TODAY + timedelta(days=9))
    soon = order(w, ("BOLT", "4"), due=TODAY + timedelta(days=2))
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    again = sales_orders.reallocate(w.db, w.actor, late["number"])
    assert reserved_backordered(again) == [(D(1), D(3))]
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, soon["number"])) == [
        (D(4), D(0))
    ]


def test_cancelling_gives_the_reservation_to_the_next_in_line(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    first = order(w, ("BOLT", "5"))
    second = order(w, ("BOLT", "5"))
    cancelled = sales_orders.cancel_order(w.db, w.actor, first["number"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["lines"][0]["cancelled"] == D(5)
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, second["number"])) == [
        (D(5), D(0))
    ]
    with pytest.raises(Conflict) as err:
        sales_orders.cancel_order(w.db, w.actor, first["number"])
    assert err.value.code == "so_cancelled"


def test_atp_by_date_with_receipts_and_backorders_hand_checked(w: World) -> None:
    # On hand 10. One order reserves 4; the next (15, due in 3 days) reserves the 6 left and
    # backorders 9. So: reserved 10, backordered 9 due day+3, a receipt of 20 due day+5.
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10))
    order(w, ("BOLT", "4"))
    order(w, ("BOLT", "15"), due=TODAY + timedelta(days=3))
    po(w, "BOLT", "20", TODAY + timedelta(days=5))
    # projected: today 10-10 = 0; day+3: 0-9 = -9; day+5: -9+20 = 11.
    # ATP(today) = min(0, -9, 11) = -9 -> 0; ATP(day+5) = 11.
    got = atp(w, "BOLT", quantity="5", on=TODAY + timedelta(days=6))
    assert (got["on_hand"], got["reserved"], got["expected"], got["backordered"]) == (
        D(10),
        D(10),
        D(20),
        D(9),
    )
    assert got["atp_now"] == D(0)
    assert got["atp_on_date"] == D(11)
    assert got["earliest_date"] == TODAY + timedelta(days=5)
    assert [(p["date"], p["atp"]) for p in got["profile"]] == [
        (TODAY, D(0)),
        (TODAY + timedelta(days=3), D(0)),
        (TODAY + timedelta(days=5), D(11)),
    ]
    assert atp(w, "BOLT", quantity="12")["earliest_date"] is None


def test_a_po_line_without_a_date_is_due_after_the_suppliers_lead_time(w: World) -> None:
    po(w, "BOLT", "7", None)
    got = atp(w, "BOLT", quantity="7")
    assert got["earliest_date"] == TODAY + timedelta(days=10)


def test_atp_answers_many_items_and_refuses_bad_questions(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 3), mv("FLOUR", "@supplier", "WH1/A/01", "1.5"))
    got = availability.available_to_promise(
        w.db, w.actor, "WH1", [AtpRequest("BOLT"), AtpRequest("FLOUR", D("1.25"))]
    )
    assert [(x["sku"], x["atp_now"]) for x in got["items"]] == [
        ("BOLT", D(3)),
        ("FLOUR", D("1.500")),
    ]
    assert got["items"][1]["earliest_date"] == TODAY
    with pytest.raises(NotFound):
        availability.available_to_promise(w.db, w.actor, "WH1", [AtpRequest("NOPE")])
    with pytest.raises(InvalidInput) as err:
        availability.available_to_promise(w.db, w.actor, "WH1/A", [AtpRequest("BOLT")])
    assert err.value.code == "not_a_warehouse"
    with pytest.raises(InvalidInput):
        availability.available_to_promise(w.db, w.actor, "WH1", [AtpRequest("BOLT", D("0.5"))])


def test_bad_orders_are_refused_whole(w: World) -> None:
    before = _counts(w.db)
    for lines, code in (
        ([("BOLT", "1"), ("NOPE", "1")], "sku_not_found"),
        ([("FLOUR", "0.0001")], "quantity_precision"),
        ([("BOLT", "-1")], "quantity_not_positive"),
        ([], "empty_order"),
    ):
        with pytest.raises(InvalidInput) as err:
            order(w, *lines)
        assert err.value.code == code
    with pytest.raises(InvalidInput) as err:
        order(w, ("BOLT", "1"), wh="WH1/A")
    assert err.value.code == "not_a_warehouse"
    assert _counts(w.db) == before


def _counts(db: Database) -> tuple[int, ...]:
    with db.reading() as uow:
        return tuple(
            uow.conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (tables.sales_orders, tables.sales_order_lines, tables.commitments)
        )


@pytest.fixture
def racers(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url, sqlite_synchronous="NORMAL", pool_size=4))
    yield database
    database.dispose()


def test_64_concurrent_orders_for_the_last_50_units_reserve_exactly_50(
    w: World, racers: Database
) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 30), mv("BOLT", "@supplier", "WH1/A/02", 20))
    results = race(
        64,
        lambda i: sales_orders.create_order(
            racers,
            w.actor,
            SoCreate(customer=f"c{i}", warehouse="WH1", lines=[SoLineInput("BOLT", D(1))]),
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    reserved = sorted(r["lines"][0]["reserved"] for r in results)  # type: ignore[index]
    assert reserved.count(D(1)) == 50
    assert reserved.count(D(0)) == 14
    with w.db.reading() as uow:
        total = uow.conn.execute(select(func.sum(tables.commitments.c.reserved))).scalar_one()
        lines = uow.conn.execute(
            select(func.sum(tables.sales_order_lines.c.qty_reserved))
        ).scalar_one()
    assert total == lines == 50 * 10**6
    assert atp(w, "BOLT")["atp_now"] == D(0)


def test_a_later_loss_leaves_reserved_above_on_hand_and_atp_at_zero(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    so = order(w, ("BOLT", "5"))
    post(w, mv("BOLT", "WH1/A/01", "@scrap", 2))  # the physical loss is recorded regardless
    got = atp(w, "BOLT")
    assert (got["on_hand"], got["reserved"], got["atp_now"]) == (D(3), D(5), D(0))
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, so["number"])) == [
        (D(5), D(0))
    ]


ORDERS_CSV = """order,customer,warehouse,sku,quantity,requested_date,unit_price
WEB-1,Smith,WH1,BOLT,4,2030-01-05,1.50
WEB-1,Smith,WH1,FLOUR,1.5,,
WEB-2,Jones,WH1,BOLT,4,,
"""


def test_sales_orders_are_imported_from_csv_in_file_order(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 6), mv("FLOUR", "@supplier", "WH1/A/01", 2))
    got = csv_orders.import_orders(w.db, w.actor, ORDERS_CSV.encode())
    assert (got.rows, got.created) == (3, 2)
    first = sales_orders.get_order(w.db, w.actor, "WEB-1")
    assert reserved_backordered(first) == [(D(4), D(0)), (D("1.500"), D(0))]
    assert first["lines"][0]["unit_price"] == D("1.5")
    assert reserved_backordered(sales_orders.get_order(w.db, w.actor, "WEB-2")) == [(D(2), D(2))]
    with pytest.raises(ImportRejected) as err:
        csv_orders.import_orders(w.db, w.actor, ORDERS_CSV.encode())
    assert "line 2: sales order 'WEB-1' already exists" in err.value.extra["problems"]


def test_a_bad_orders_file_lists_every_problem_and_writes_nothing(w: World) -> None:
    bad = """order,customer,warehouse,sku,quantity
A-1,Smith,WH1,NOPE,1
A-1,Other,WH1,BOLT,1
A-2,Jones,WH1/A,BOLT,1
A-3,Jones,WH1,FLOUR,0.0001
A-4,Jones,WH1,BOLT,
"""
    before = _counts(w.db)
    with pytest.raises(ImportRejected) as err:
        csv_orders.import_orders(w.db, w.actor, bad.encode())
    problems = err.value.extra["problems"]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "not found" in problems[0]
    assert "another customer" in problems[1]
    assert "not an active warehouse" in problems[2]
    assert _counts(w.db) == before
