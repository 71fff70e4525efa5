"""ERP exports over HTTP, on a real server and database: the account mapping, the journal as
JSON and CSV (balanced, tying out with the COGS report), the stock valuation, saved column
mappings, imports through a mapping with a dry run, and bad mappings and files refused with
their codes and nothing changed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Tenant, assert_problem

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=40)


def at(days_ago: int) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC)
    return (moment + timedelta(hours=9)).isoformat().replace("+00:00", "Z")


def line(sku: str, src: str, dst: str, qty: str, days_ago: int, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "from": src, "to": dst, "quantity": qty, "effective_at": at(days_ago), **kw}


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    for code, parent in (("WH1", None), ("A", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    tenant.item("BOLT", unit_cost="9")
    tenant.item("GEAR", unit_cost="1")
    moves = [
        line("BOLT", "@supplier", "WH1/A", "100", 35, unit_cost="10"),
        line("GEAR", "@supplier", "WH1/A", "3", 35, unit_cost="10"),
        line("GEAR", "@supplier", "WH1/A", "3", 34, unit_cost="10.01"),
        line("BOLT", "WH1/A", "@customer", "30", 30),
        line("GEAR", "WH1/A", "@customer", "1", 20),
        line("BOLT", "WH1/A", "@scrap", "2", 15),
        line("BOLT", "@adjustment", "WH1/A", "1", 14),
        line("BOLT", "@customer", "WH1/A", "3", 10),
        line("BOLT", "WH1/A", "@supplier", "5", 8),
        line("BOLT", "WH1/A", "WH2", "20", 5),
    ]
    r = tenant.http.post("/postings", json={"movements": moves})
    assert r.status_code == 201, r.text
    return tenant


def test_the_journal_balances_and_ties_out_with_the_cogs_report(shop: Tenant) -> None:
    params = {"start": START.isoformat(), "end": TODAY.isoformat(), "period": "week"}
    r = shop.http.get("/erp/journal", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    cogs = shop.http.get("/valuation/cogs", params=params).json()
    assert body["journals"]
    total = Decimal(0)
    for j in body["journals"]:
        debit = sum(Decimal(x["debit"]) for x in j["lines"])
        credit = sum(Decimal(x["credit"]) for x in j["lines"])
        assert debit == credit == Decimal(j["debit_total"]) == Decimal(j["credit_total"])
        opening, closing = Decimal(j["opening_value"]), Decimal(j["closing_value"])
        inventory = sum(
            Decimal(x["debit"]) - Decimal(x["credit"])
            for x in j["lines"]
            if x["role"] == "inventory"
        )
        assert opening + inventory == closing
        total += Decimal(j["cost_of_goods_sold"])
    assert total == Decimal(cogs["total"])
    # The last closing value is what the stock is worth now.
    now = shop.http.get("/valuation/inventory-value", params={"by": "warehouse"}).json()
    assert Decimal(body["journals"][-1]["closing_value"]) == Decimal(now["total_value"])
    r = shop.http.get("/erp/journal", params=params | {"format": "csv", "by": "warehouse"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["warehouse"] for row in rows} == {"WH1", "WH2"}
    assert sum(Decimal(x["debit"]) for x in rows) == sum(Decimal(x["credit"]) for x in rows)


def test_the_account_mapping_is_read_changed_and_reset(shop: Tenant) -> None:
    r = shop.http.get("/erp/account-mapping")
    assert r.status_code == 200
    assert r.json()["defaults"] is True
    assert r.json()["accounts"]["inventory"] == "1400"
    body = {
        "accounts": {"cost_of_goods_sold": "600000"},
        "warehouses": {"WH2": {"inventory": "1402"}},
    }
    r = shop.http.put("/erp/account-mapping", json=body)
    assert r.status_code == 200, r.text
    journal = shop.http.get(
        "/erp/journal", params={"start": START.isoformat(), "end": TODAY.isoformat()}
    ).json()
    accounts = {(x["role"], x["account"]) for j in journal["journals"] for x in j["lines"]}
    assert ("cost_of_goods_sold", "600000") in accounts
    assert ("inventory", "1402") in accounts
    before = shop.fingerprint()
    assert_problem(
        shop.http.put("/erp/account-mapping", json={"accounts": {"stock": "1"}}),
        422,
        "unknown_account_role",
    )
    assert_problem(
        shop.http.put("/erp/account-mapping", json={"warehouses": {"WH9": {"inventory": "1"}}}),
        422,
        "unknown_warehouse",
    )
    assert_problem(
        shop.http.put("/erp/account-mapping", json={"journal_prefix": "a b"}),
        422,
        "invalid_journal_prefix",
    )
    assert shop.fingerprint() == before
    clerk = shop.user("clerk")
    assert_problem(clerk.http.put("/erp/account-mapping", json=body), 403, "permission_denied")
    r = shop.http.delete("/erp/account-mapping")
    assert r.json()["defaults"] is True


def test_the_stock_valuation_by_item_and_warehouse(shop: Tenant) -> None:
    r = shop.http.get("/erp/stock-valuation")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(x["warehouse"], x["sku"]) for x in body["rows"]] == [
        ("WH1", "BOLT"),
        ("WH1", "GEAR"),
        ("WH2", "BOLT"),
    ]
    assert {x["account"] for x in body["rows"]} == {"1400"}
    assert sum(Decimal(w["value"]) for w in body["warehouses"]) == Decimal(body["total_value"])
    # As of before the transfer, WH2 held nothing.
    r = shop.http.get("/erp/stock-valuation", params={"as_of": at(6), "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {x["warehouse"] for x in rows} == {"WH1"}
    assert_problem(
        shop.http.get("/erp/stock-valuation", params={"warehouse": "NOPE"}),
        404,
        "location_not_found",
    )


ITEMS_CSV = "Nr;Text;Preis\nX-1;Schraube;1.234,5\nX-2;Mutter;0,35\n"
MAPPING = {
    "target": "items",
    "delimiter": ";",
    "fields": {
        "sku": "Nr",
        "name": "Text",
        "unit_cost": {"column": "Preis", "decimal_comma": True},
        "category": {"value": "imported"},
    },
}


def test_items_and_orders_are_imported_through_mappings(shop: Tenant) -> None:
    r = shop.http.put("/erp/import-mappings/erp-items", json=MAPPING)
    assert r.status_code == 200, r.text
    assert [m["name"] for m in shop.http.get("/erp/import-mappings").json()] == ["erp-items"]
    before = shop.fingerprint()
    dry = shop.http.post(
        "/erp/imports/items",
        json={"content": ITEMS_CSV, "mapping_name": "erp-items", "dry_run": True},
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["records"] == [{"line": 2, "key": "X-1"}, {"line": 3, "key": "X-2"}]
    assert shop.fingerprint() == before
    r = shop.http.post("/erp/imports/items", json={"content": ITEMS_CSV, "mapping": MAPPING})
    assert r.json()["created"] == 2
    assert shop.http.get("/items/X-1").json()["unit_cost"] == "1234.500000"
    orders = [
        {"no": "S-1", "who": "Ann", "what": "X-1", "n": 2},
        {"no": "S-1", "who": "Ann", "what": "X-2", "n": 1},
    ]
    so_mapping = {
        "target": "sales_orders",
        "fields": {
            "order": "no",
            "customer": "who",
            "warehouse": {"value": "WH1"},
            "sku": "what",
            "quantity": "n",
        },
    }
    r = shop.http.post(
        "/erp/imports/sales_orders", json={"format": "json", "rows": orders, "mapping": so_mapping}
    )
    assert r.status_code == 200, r.text
    assert shop.http.get("/sales-orders/S-1").json()["customer"] == "Ann"
    assert shop.http.delete("/erp/import-mappings/erp-items").status_code == 204
    assert_problem(shop.http.get("/erp/import-mappings/erp-items"), 404, "import_mapping_not_found")


@pytest.mark.parametrize(
    ("mapping_change", "content", "code"),
    [
        ({"fields": {**MAPPING["fields"], "colour": "Farbe"}}, ITEMS_CSV, "unknown_target_field"),
        (
            {"fields": {**MAPPING["fields"], "name": "Bezeichnung"}},
            ITEMS_CSV,
            "missing_source_column",
        ),
        ({"fields": {"name": "Text"}}, ITEMS_CSV, "required_field_unmapped"),
        ({"target": ["items"]}, ITEMS_CSV, "unknown_target"),
        ({}, "Nr;Text;Preis\nX-1;Schraube;1.5\n", "import_rejected"),
        ({"fields": {**MAPPING["fields"], "unit_cost": "Preis"}}, ITEMS_CSV, "import_rejected"),
    ],
)
def test_bad_mappings_and_cells_are_refused_with_codes_and_change_nothing(
    shop: Tenant, mapping_change: dict[str, Any], content: str, code: str
) -> None:
    before = shop.fingerprint()
    r = shop.http.post(
        "/erp/imports/items", json={"content": content, "mapping": MAPPING | mapping_change}
    )
    body = assert_problem(r, 422, code)
    assert body["problems"], body
    if code == "import_rejected":
        assert body["problems"][0]["line"] == 2
        assert body["problems"][0]["code"] == "invalid_number"
    assert shop.fingerprint() == before


def test_a_bad_date_format_is_refused_on_its_line(shop: Tenant) -> None:
    shop.http.put("/erp/import-mappings/po", json={
        "target": "purchase_orders",
        "fields": {
            "order": "po", "supplier": {"value": "ACME"}, "receive_to": {"value": "WH1/A"},
            "sku": "sku", "quantity": "qty",
            "expected_date": {"column": "eta", "date_format": "%d.%m.%Y"},
        },
    })  # fmt: skip
    before = shop.fingerprint()
    r = shop.http.post(
        "/erp/imports/purchase_orders",
        json={"content": "po,sku,qty,eta\nP-1,BOLT,5,2027-01-31\n", "mapping_name": "po"},
    )
    body = assert_problem(r, 422, "import_rejected")
    codes = {(p["line"], p["code"]) for p in body["problems"]}
    assert (2, "invalid_date") in codes
    assert shop.fingerprint() == before
    assert_problem(
        shop.http.post("/erp/imports/items", json={"content": ITEMS_CSV}), 422, "mapping_required"
    )


def test_the_routes_are_in_the_openapi_document(shop: Tenant) -> None:
    doc = shop.http.get(f"{shop.api.url}/openapi.json").json()
    for path in (
        "/api/v1/erp/journal",
        "/api/v1/erp/stock-valuation",
        "/api/v1/erp/account-mapping",
        "/api/v1/erp/import-mappings/{name}",
        "/api/v1/erp/imports/{target}",
    ):
        assert path in doc["paths"], path
    assert "JournalRead" in doc["components"]["schemas"]
    assert "MappedImportCreate" in doc["components"]["schemas"]
