"""Imports through a column mapping, on SQLite and PostgreSQL: another system's CSV or JSON
(other column names, decimal commas, day-first dates, constants) lands as items, sales orders
and purchase orders through onhand's own CSV importers; a refused file or mapping lists every
problem with its source line and code, and changes nothing; a dry run writes nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from onhand.domain.errors import NotFound
from onhand.services import (
    import_mappings,
    items,
    locations,
    mapped_import,
    purchase_orders,
    sales_orders,
    suppliers,
)
from onhand.services.import_mappings import MappingRejected
from onhand.services.mapped_import import MappedImportRejected
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import snapshot

ITEMS_CSV = (
    "Artikelnummer;Bezeichnung;EK-Preis;Gruppe\n"
    "A-100;Schraube M4;1.234,50;Metall\n"
    'A-200;"Mutter; verzinkt";0,35;Metall\n'
)
ITEM_MAPPING: dict[str, Any] = {
    "target": "items",
    "delimiter": ";",
    "fields": {
        "sku": "Artikelnummer",
        "name": {"column": "Bezeichnung"},
        "unit_cost": {"column": "EK-Preis", "decimal_comma": True},
        "category": "gruppe",  # column names match ignoring case
        "currency": {"value": "EUR"},
    },
}
SO_MAPPING: dict[str, Any] = {
    "target": "sales_orders",
    "fields": {
        "order": "OrderNo",
        "customer": "Customer",
        "warehouse": {"value": "WH1"},
        "sku": "Item",
        "quantity": "Qty",
        "requested_date": {"column": "Due", "date_format": "%d/%m/%Y"},
    },
}


def _run(db: Database, org: Org, target: str, data: str, **kw: Any) -> dict[str, Any]:
    return mapped_import.run_import(db, org.actor, target=target, data=data.encode(), **kw)


def _state(db: Database, org: Org) -> dict[str, Any]:
    with db.reading() as uow:
        counts = {
            t: uow.conn.execute(
                select(func.count())
                .select_from(tables.metadata.tables[t])
                .where(tables.metadata.tables[t].c.org_id == org.org_id)
            ).scalar_one()
            for t in (
                "items",
                "sales_orders",
                "sales_order_lines",
                "purchase_orders",
                "commitments",
            )
        }
    return counts | snapshot(db, org.org_id)


@pytest.fixture
def shop(db: Database, org: Org) -> Org:
    locations.create_location(db, org.actor, code="WH1")
    locations.create_location(db, org.actor, code="RECV", parent="WH1")
    suppliers.create_supplier(
        db, org.actor, suppliers.SupplierCreate(code="ACME", name="Acme", currency="EUR")
    )
    return org


def test_items_come_in_through_a_mapping_with_a_decimal_comma(db: Database, shop: Org) -> None:
    got = _run(db, shop, "items", ITEMS_CSV, mapping=ITEM_MAPPING)
    assert (got["created"], got["rows"]) == (2, 2)
    assert got["records"] == [{"line": 2, "key": "A-100"}, {"line": 3, "key": "A-200"}]
    bolt = items.get_item(db, shop.actor, "A-100")
    assert (bolt["unit_cost"], bolt["currency"], bolt["category"]) == (
        Decimal("1234.5"),
        "EUR",
        "Metall",
    )
    assert items.get_item(db, shop.actor, "A-200")["name"] == "Mutter; verzinkt"


def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(
    db: Database, shop: Org
) -> None:
    before = _state(db, shop)
    got = _run(db, shop, "items", ITEMS_CSV, mapping=ITEM_MAPPING, dry_run=True)
    assert (got["dry_run"], got["created"], [r["key"] for r in got["records"]]) == (
        True,
        0,
        ["A-100", "A-200"],
    )
    assert _state(db, shop) == before


def test_orders_come_in_from_json_records_and_csv_through_saved_mappings(
    db: Database, shop: Org
) -> None:
    _run(db, shop, "items", ITEMS_CSV, mapping=ITEM_MAPPING)
    import_mappings.save_mapping(db, shop.actor, "shopify-orders", SO_MAPPING)
    records = [
        {"OrderNo": "W-1", "Customer": "Ann", "Item": "A-100", "Qty": 2, "Due": "31/03/2027"},
        {"OrderNo": "W-1", "Customer": "Ann", "Item": "A-200", "Qty": 1.5, "Due": ""},
        {"OrderNo": "W-2", "Customer": "Bob", "Item": "A-200", "Qty": "3", "Due": "01/04/2027"},
    ]
    # A-200 is counted in whole units: 1.5 is refused, on record 2; nothing is written.
    before = _state(db, shop)
    with pytest.raises(MappedImportRejected) as exc:
        _run(
            db,
            shop,
            "sales_orders",
            json.dumps(records),
            source_format="json",
            mapping_name="shopify-orders",
        )
    assert [(p.line, p.code) for p in exc.value.problems] == [(2, "quantity_precision")]
    assert _state(db, shop) == before
    records[1]["Qty"] = 1
    got = _run(
        db,
        shop,
        "sales_orders",
        json.dumps(records),
        source_format="json",
        mapping_name="shopify-orders",
    )
    assert (got["created"], [r["key"] for r in got["records"]]) == (2, ["W-1", "W-2"])
    order = sales_orders.get_order(db, shop.actor, "W-1")
    assert order["requested_date"] == date(2027, 3, 31)
    assert [line["sku"] for line in order["lines"]] == ["A-100", "A-200"]


PO_CSV = (
    "PO,Vendor,Part,Units,Price,ETA\n"
    'P-7,ACME,A-100,10,"12,5",2027-05-01\n'
    "P-7,ACME,A-200,4,,2027-05-02\n"
)
PO_MAPPING: dict[str, Any] = {
    "target": "purchase_orders",
    "fields": {
        "order": "PO",
        "supplier": "Vendor",
        "receive_to": {"value": "WH1/RECV"},
        "sku": "Part",
        "quantity": "Units",
        "unit_price": {"column": "Price", "decimal_comma": True},
        "expected_date": {"column": "ETA"},
    },
}


def test_purchase_orders_come_in_as_drafts(db: Database, shop: Org) -> None:
    _run(db, shop, "items", ITEMS_CSV, mapping=ITEM_MAPPING)
    got = _run(db, shop, "purchase_orders", PO_CSV, mapping=PO_MAPPING)
    assert got["records"] == [{"line": 2, "key": "P-7"}]
    po = purchase_orders.get_po(db, shop.actor, "P-7")
    assert (po["status"], po["receive_to"]) == ("draft", "WH1/RECV")
    assert [(x["sku"], x["quantity"], x["unit_price"]) for x in po["lines"]] == [
        ("A-100", Decimal("10"), Decimal("12.5")),
        ("A-200", Decimal("4"), Decimal("0")),
    ]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"fields": {**ITEM_MAPPING["fields"], "colour": "Farbe"}}, "unknown_target_field"),
        ({"fields": {"sku": "Artikelnummer"}}, "required_field_unmapped"),
        ({"fields": {**ITEM_MAPPING["fields"], "name": "Name"}}, "missing_source_column"),
        ({"target": "sales_orders"}, "target_mismatch"),
        (
            {"fields": {**ITEM_MAPPING["fields"], "sku": {"column": "A", "value": "B"}}},
            "invalid_field_mapping",
        ),
        (
            {
                "fields": {
                    **ITEM_MAPPING["fields"],
                    "name": {"column": "Bezeichnung", "decimal_comma": True},
                }
            },
            "invalid_transform",
        ),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused_with_its_code(
    db: Database, shop: Org, change: dict[str, Any], code: str
) -> None:
    before = _state(db, shop)
    with pytest.raises(MappingRejected) as exc:
        _run(db, shop, "items", ITEMS_CSV, mapping=ITEM_MAPPING | change)
    assert exc.value.code == code
    assert exc.value.extra["problems"][0]["code"] == code
    assert _state(db, shop) == before


def test_bad_cells_are_refused_with_their_source_lines(db: Database, shop: Org) -> None:
    bad = (
        "Artikelnummer;Bezeichnung;EK-Preis;Gruppe\n"
        "A-100;Schraube;1.5;Metall\n"  # a point where a decimal comma is expected
        "\n"
        'A-200;"Mutter\nzweizeilig";0,35;Metall\n'  # a cell over two lines
        "A-300;;2,5;Metall\n"  # no name: the items import's own rule
        "A-100;Doppelt;2,5;Metall\n"
    )
    before = _state(db, shop)
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "items", bad, mapping=ITEM_MAPPING)
    # The second A-100 is no duplicate: the first was refused already. The cell over lines 4
    # and 5 keeps the lines after it right.
    assert [(p.line, p.code) for p in exc.value.problems] == [
        (2, "invalid_number"),
        (6, "value_missing"),
    ]
    assert _state(db, shop) == before
    dates = "OrderNo,Customer,Item,Qty,Due\nW-9,Ann,A-100,1,2027-03-31\n"
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "sales_orders", dates, mapping=SO_MAPPING)
    assert [(p.line, p.code) for p in exc.value.problems] == [(2, "invalid_date")]
    assert _state(db, shop) == before


def test_saved_mappings_are_kept_per_organisation(db: Database, shop: Org) -> None:
    saved = import_mappings.save_mapping(db, shop.actor, "erp-items", ITEM_MAPPING)
    assert saved["fields"]["unit_cost"] == {"column": "EK-Preis", "decimal_comma": True}
    assert [m["name"] for m in import_mappings.list_mappings(db, shop.actor)] == ["erp-items"]
    with pytest.raises(MappingRejected):
        import_mappings.save_mapping(db, shop.actor, "broken", {"target": "items", "fields": {}})
    import_mappings.delete_mapping(db, shop.actor, "erp-items")
    with pytest.raises(NotFound):
        import_mappings.get_mapping(db, shop.actor, "erp-items")


ERP_ITEMS: dict[str, Any] = {
    "target": "items",
    "fields": {"sku": "Nr", "name": "Text", "unit_cost": "Preis"},
}


@pytest.mark.parametrize(
    "header",
    ["Nr,Text,Preis,Nr", "Nr,Text,Preis, Nr ", "NR,Text,Preis,nr"],
)
def test_a_mapped_column_the_file_names_twice_is_refused(
    db: Database, shop: Org, header: str
) -> None:
    # "Nr" twice, once with spaces around it, or "NR" and "nr" for a mapping's "Nr".
    before = _state(db, shop)
    with pytest.raises(MappingRejected) as exc:
        _run(db, shop, "items", f"{header}\nA,Apple,1,B\n", mapping=ERP_ITEMS)
    assert exc.value.code == "ambiguous_source_column"
    assert _state(db, shop) == before


def test_a_json_record_naming_a_key_twice_is_refused_on_its_record(db: Database, shop: Org) -> None:
    records = '[{"Nr": "A", "Text": "x", "Preis": 1}, {"Nr": "B", " Nr": "C", "Text": "y"}]'
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "items", records, mapping=ERP_ITEMS, source_format="json")
    assert [(p.line, p.code) for p in exc.value.problems] == [(2, "duplicate_column")]


def test_a_row_with_none_of_the_mapped_columns_is_refused_not_skipped(
    db: Database, shop: Org
) -> None:
    text = "Nr,Text,Preis,Note\nA,Apple,1,\n,,,a total line\nB,Bee,2,\n"
    before = _state(db, shop)
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "items", text, mapping=ERP_ITEMS)
    assert [(p.line, p.code) for p in exc.value.problems] == [(3, "value_missing")]
    assert _state(db, shop) == before
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "items", '[{"Nr": "A", "Text": "x", "Preis": 1}, {}]', mapping=ERP_ITEMS,
             source_format="json")  # fmt: skip
    assert [(p.line, p.code) for p in exc.value.problems] == [(2, "value_missing")]


def test_the_lines_a_problem_refers_to_are_the_source_files(db: Database, shop: Org) -> None:
    # A blank line and a cell over two lines before the duplicate: the first A is on line 4.
    text = 'Nr,Text,Preis\n\nX,"two\nlines",1\nA,Apple,1\nA,Again,2\n'
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "items", text, mapping=ERP_ITEMS)
    assert [(p.line, p.message) for p in exc.value.problems] == [
        (6, "SKU 'A' is already on line 5")
    ]
    records = '[{"Nr": "A", "Text": "x", "Preis": 1}, {"Nr": "A", "Text": "y", "Preis": 2}]'
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "items", records, mapping=ERP_ITEMS, source_format="json")
    assert [(p.line, p.message) for p in exc.value.problems] == [
        (2, "SKU 'A' is already on line 1")
    ]
    orders = [
        {"OrderNo": "W-1", "Customer": "Ann", "Item": "A-100", "Qty": 1, "Due": ""},
        {"OrderNo": "W-1", "Customer": "Bob", "Item": "A-100", "Qty": 1, "Due": ""},
    ]
    with pytest.raises(MappedImportRejected) as exc:
        _run(db, shop, "sales_orders", json.dumps(orders), mapping=SO_MAPPING,
             source_format="json")  # fmt: skip
    mismatch = [p for p in exc.value.problems if p.code == "order_mismatch"]
    assert [(p.line, p.message.endswith("on line 1")) for p in mismatch] == [(2, True)]


@pytest.mark.parametrize("target", [["items"], {"a": 1}, 5])
def test_a_mapping_whose_target_is_not_a_name_is_refused(
    db: Database, shop: Org, target: Any
) -> None:
    with pytest.raises(MappingRejected) as exc:
        _run(db, shop, "items", "Nr,Text\nA,x\n", mapping=ERP_ITEMS | {"target": target})
    assert exc.value.code == "unknown_target"
    with pytest.raises(MappingRejected) as exc:
        import_mappings.parse_mapping(ERP_ITEMS | {"target": target})
    assert exc.value.code == "unknown_target"


def test_a_file_read_with_the_wrong_delimiter_says_so(db: Database, shop: Org) -> None:
    with pytest.raises(MappingRejected) as exc:
        _run(db, shop, "items", "Nr;Text;Preis\nA;Apple;1\n", mapping=ERP_ITEMS)
    assert exc.value.code == "missing_source_column"
    assert "delimiter" in exc.value.message
