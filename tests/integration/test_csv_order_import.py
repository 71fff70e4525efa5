"""CSV import of orders through the importer both kinds share (services/csv_order_import.py),
on SQLite and PostgreSQL: purchase orders grouped by number into drafts with the order's note,
and a file with problems listing every one on its line, for sales and purchase orders alike,
writing nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from onhand.services import csv_orders, csv_purchase_orders, purchase_orders, suppliers
from onhand.services.csv_read import ImportRejected
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import build_world

D = Decimal


@pytest.fixture
def shop(db: Database, org: Org) -> Org:
    build_world(db, org.actor)
    for code in ("ACME", "OLD"):
        suppliers.create_supplier(
            db, org.actor, suppliers.SupplierCreate(code=code, name=code.title())
        )
    suppliers.update_supplier(db, org.actor, "OLD", {"active": False})
    return org


def _orders(db: Database, org: Org) -> dict[str, int]:
    with db.reading() as uow:
        return {
            t.name: uow.conn.execute(
                select(func.count()).select_from(t).where(t.c.org_id == org.org_id)
            ).scalar_one()
            for t in (
                tables.purchase_orders,
                tables.purchase_order_lines,
                tables.sales_orders,
                tables.sales_order_lines,
            )
        }


def test_purchase_orders_are_grouped_by_number_into_drafts(db: Database, shop: Org) -> None:
    text = (
        "order,supplier,receive_to,sku,quantity,unit_price,expected_date,note\n"
        "P-1,ACME,WH1/RECV,BOLT,10,1.25,2030-01-05,\n"
        "P-2,ACME,WH2/STOCK,FLOUR,2.5,,,\n"
        "P-1,ACME,WH1/RECV,FLOUR,1.5,,,call before delivery\n"
    )
    got = csv_purchase_orders.import_orders(db, shop.actor, text.encode())
    assert (got.rows, got.created) == (3, 2)
    first = purchase_orders.get_po(db, shop.actor, "P-1")
    assert (first["status"], first["receive_to"], first["note"]) == (
        "draft",
        "WH1/RECV",
        "call before delivery",
    )
    assert [(x["sku"], x["quantity"]) for x in first["lines"]] == [
        ("BOLT", D(10)),
        ("FLOUR", D("1.5")),
    ]
    assert purchase_orders.get_po(db, shop.actor, "P-2")["receive_to"] == "WH2/STOCK"
    with pytest.raises(ImportRejected) as err:
        csv_purchase_orders.import_orders(db, shop.actor, text.encode())
    assert "line 2: purchase order 'P-1' already exists" in err.value.extra["problems"]


def test_a_bad_purchase_orders_file_lists_every_problem_and_writes_nothing(
    db: Database, shop: Org
) -> None:
    bad = (
        "order,supplier,receive_to,sku,quantity\n"
        "P-1,ACME,WH1/RECV,NOPE,1\n"
        "P-1,OTHER,WH1/RECV,BOLT,1\n"
        "P-2,OLD,WH1/RECV,BOLT,1\n"
        "P-3,ACME,@customer,FLOUR,0.0001\n"
        "P-4,NOBODY,WH1/RECV,BOLT,\n"
    )
    before = _orders(db, shop)
    with pytest.raises(ImportRejected) as err:
        csv_purchase_orders.import_orders(db, shop.actor, bad.encode())
    codes = [(p.line, p.code) for p in err.value.problems]
    assert codes == [
        (2, "sku_not_found"),
        (3, "order_mismatch"),
        (4, "supplier_inactive"),
        (5, "not_a_receiving_location"),
        (5, "quantity_precision"),
        (6, "value_missing"),
    ]
    assert "another supplier or receive_to on line 2" in err.value.problems[1].message
    assert _orders(db, shop) == before


@pytest.mark.parametrize(
    ("importer", "text"),
    [
        (
            csv_orders.plan_orders,
            "order,customer,warehouse,sku,quantity\nS-1,Ann,WH1,BOLT,1\n\nS-2,Bo,WH1,BOLT,2\n"
            "S-1,Ann,WH1,FLOUR,1\n",
        ),
        (
            csv_purchase_orders.plan_orders,
            "order,supplier,receive_to,sku,quantity\nS-1,ACME,WH1/RECV,BOLT,1\n\n"
            "S-2,ACME,WH1/RECV,BOLT,2\nS-1,ACME,WH1/RECV,FLOUR,1\n",
        ),
    ],
)
def test_a_plan_groups_the_lines_in_file_order_and_writes_nothing(
    db: Database, shop: Org, importer: Any, text: str
) -> None:
    before = _orders(db, shop)
    plan = importer(db, shop.actor, text.encode())
    assert (plan.rows, [r.number for r in plan.records], plan.lines) == (3, ["S-1", "S-2"], [2, 4])
    assert [[x.sku for x in r.lines] for r in plan.records] == [["BOLT", "FLOUR"], ["BOLT"]]
    assert _orders(db, shop) == before


def test_a_number_too_long_to_read_whole_is_refused_not_cut(db: Database, shop: Org) -> None:
    # 1.000...0001 with 70 decimals: cut to 60 characters it would read as 1, which BOLT (whole
    # units) takes.
    long = "1." + "0" * 70 + "1"
    text = f"order,supplier,receive_to,sku,quantity\nP-1,ACME,WH1/RECV,BOLT,{long}\n"
    before = _orders(db, shop)
    with pytest.raises(ImportRejected) as err:
        csv_purchase_orders.import_orders(db, shop.actor, text.encode())
    assert [(p.line, p.code) for p in err.value.problems] == [(2, "invalid_number")]
    assert _orders(db, shop) == before
