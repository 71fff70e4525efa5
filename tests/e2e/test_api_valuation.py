"""Valuation over HTTP, on a real server and database: postings and documents valued as they
post, the inventory value now and as of a past time, the cost of goods sold, transfers, undoing,
returns against an order, foreign-currency receipts, landed costs after the receipt, changing
methods, aging, access, and bad input refused with its code. Every number is worked by hand in
its comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Tenant, assert_problem

TODAY = datetime.now(UTC).date()


def at(days_ago: int, hour: int = 9) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC)
    return (moment + timedelta(hours=hour)).isoformat().replace("+00:00", "Z")


def post(t: Tenant, *lines: dict[str, Any]) -> list[int]:
    r = t.http.post("/postings", json={"movements": list(lines)})
    assert r.status_code == 201, r.text
    return list(r.json()["movement_ids"])


def line(sku: str, src: str, dst: str, qty: str, days_ago: int, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "from": src, "to": dst, "quantity": qty, "effective_at": at(days_ago), **kw}


def value_rows(t: Tenant, **params: Any) -> list[dict[str, Any]]:
    r = t.http.get("/valuation/inventory-value", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["rows"])


def cogs(t: Tenant, **params: Any) -> Decimal:
    start = (TODAY - timedelta(days=400)).isoformat()
    r = t.http.get("/valuation/cogs", params={"start": start, "end": TODAY.isoformat(), **params})
    assert r.status_code == 200, r.text
    return Decimal(r.json()["total"])


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    for code, parent in (("WH1", None), ("A", "WH1"), ("B", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    tenant.item("BOLT", unit_cost="9", category="hardware")
    tenant.item("NUT", unit_cost="1", category="hardware", weight="2")
    tenant.item("OIL", unit_cost="5", category="fluids", precision=1, uom="l")
    return tenant


def test_fifo_values_receipts_sales_transfers_and_undoing(shop: Tenant) -> None:
    post(
        shop,
        line("BOLT", "@supplier", "WH1/A", "100", 10, unit_cost="10"),
        line("BOLT", "@supplier", "WH1/A", "100", 9, unit_cost="12"),
    )
    (sale,) = post(shop, line("BOLT", "WH1/A", "@customer", "150", 8))
    # FIFO: 100 @ 10 + 50 @ 12 = 1,600 sold; 50 @ 12 = 600 left.
    (row,) = value_rows(shop)
    assert (row["warehouse"], row["quantity"], row["value"], row["unit_cost"]) == (
        "WH1",
        "50",
        "600.00",
        "12.00",
    )
    assert cogs(shop) == Decimal("1600")
    # As of the evening of the second receipt: 200 units worth 2,200.
    (then,) = value_rows(shop, as_of=at(9, hour=23))
    assert (then["quantity"], then["value"]) == ("200", "2200.00")
    post(shop, line("BOLT", "WH1/A", "WH2", "20", 7), line("BOLT", "WH1/A", "WH1/B", "10", 7))
    # 20 @ 12 to WH2; WH1 keeps 30 worth 360, 20 of them in A and 10 in B (moving inside a
    # warehouse changes no value).
    by_wh = {r["warehouse"]: r["value"] for r in value_rows(shop, by="warehouse")}
    assert by_wh == {"WH1": "360.00", "WH2": "240.00"}
    by_loc = {r["location"]: r["value"] for r in value_rows(shop, by="location")}
    assert by_loc == {"WH1/A": "240.00", "WH1/B": "120.00", "WH2": "240.00"}
    # Undoing the sale brings its 150 back at the 1,600 they left at.
    r = shop.http.post(f"/movements/{sale}/reverse", json={})
    assert r.status_code == 201, r.text
    assert cogs(shop) == 0
    by_wh = {r["warehouse"]: r["value"] for r in value_rows(shop, by="warehouse")}
    assert by_wh == {"WH1": "1960.00", "WH2": "240.00"}
    totals = shop.http.get("/valuation/inventory-value", params={"by": "category"}).json()
    assert totals["rows"] == [{"category": "hardware", "value": "2200.00", "items": 1}]
    assert totals["total_value"] == "2200.00"


def test_a_return_against_an_order_comes_back_at_what_the_order_cost(shop: Tenant) -> None:
    post(
        shop,
        line("NUT", "@supplier", "WH1/A", "10", 10, unit_cost="4"),
        line("NUT", "@supplier", "WH1/A", "10", 9, unit_cost="6"),
    )
    post(shop, line("NUT", "WH1/A", "@customer", "12", 8, ref_type="SO", ref_id="SO-000042"))
    # Sold 10 @ 4 + 2 @ 6 = 52; 3 of the 12 come back: 52 x 3 / 12 = 13.
    post(shop, line("NUT", "@customer", "WH1/A", "3", 7, ref_type="RMA", ref_id="SO-000042"))
    assert cogs(shop) == Decimal("39")
    (row,) = value_rows(shop)
    assert (row["quantity"], row["value"]) == ("11", "61.00")  # 8 @ 6 + 13


def test_a_foreign_receipt_is_converted_and_a_later_freight_split(shop: Tenant) -> None:
    http = shop.http
    r = http.post(
        "/valuation/rates",
        json={"rates": [{"currency": "USD", "date": "2020-01-01", "rate": "0.9"}]},
    )
    assert r.status_code == 200, r.text
    assert http.post("/suppliers", json={"code": "US", "name": "US", "currency": "USD"}).is_success
    r = http.post(
        "/purchase-orders",
        json={
            "supplier": "US",
            "receive_to": "WH1/A",
            "lines": [
                {"sku": "BOLT", "quantity": "100", "unit_price": "10"},
                {"sku": "NUT", "quantity": "100", "unit_price": "1"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert http.post(f"/purchase-orders/{number}/order").is_success
    lines = [{"line_no": 1, "quantity": "100"}, {"line_no": 2, "quantity": "100"}]
    r = http.post(f"/purchase-orders/{number}/receipts", json={"lines": lines})
    assert r.status_code == 201, r.text
    # 100 x 10 USD x 0.9 = 900 EUR; 100 x 1 x 0.9 = 90.
    values = {r["sku"]: r["value"] for r in value_rows(shop)}
    assert values == {"BOLT": "900.00", "NUT": "90.00"}
    # Sold after the receipt, which is dated now: no effective_at, so now as well.
    post(shop, {"sku": "BOLT", "from": "WH1/A", "to": "@customer", "quantity": "40"})
    # Freight of 99 EUR by value: BOLT 900/990 of it = 90, NUT 9. BOLT: 60 of 100 still here
    # take 54, the 40 sold 36 (cost of goods sold).
    r = http.post(
        "/valuation/landed-costs",
        json={"amount": "99", "purchase_order": number, "kind": "freight", "basis": "value"},
    )
    assert r.status_code == 201, r.text
    lc = r.json()
    assert {x["sku"]: x["value"] for x in lc["lines"]} == {"BOLT": "90.000000", "NUT": "9.000000"}
    assert (lc["to_stock"], lc["expensed"]) == ("63.000000", "36.000000")
    values = {r["sku"]: r["value"] for r in value_rows(shop)}
    assert values == {"BOLT": "594.00", "NUT": "99.00"}  # 540 + 54; 90 + 9
    assert cogs(shop) == Decimal("396")  # 360 + 36
    # By weight: only NUT has one.
    r = http.post(
        "/valuation/landed-costs",
        json={"amount": "5", "purchase_order": number, "basis": "weight"},
    )
    assert_problem(r, 422, "weight_missing")
    assert http.get(f"/valuation/landed-costs/{lc['number']}").json()["value"] == "99.000000"


def test_a_receipt_in_a_currency_without_a_rate_is_refused_and_changes_nothing(
    shop: Tenant,
) -> None:
    http = shop.http
    assert http.post("/suppliers", json={"code": "UK", "name": "UK", "currency": "GBP"}).is_success
    body = {"supplier": "UK", "receive_to": "WH1/A", "lines": [{"sku": "BOLT", "quantity": "5"}]}
    number = http.post("/purchase-orders", json=body).json()["number"]
    assert http.post(f"/purchase-orders/{number}/order").is_success
    before = shop.fingerprint()
    r = http.post(
        f"/purchase-orders/{number}/receipts", json={"lines": [{"line_no": 1, "quantity": "5"}]}
    )
    problem = assert_problem(r, 422, "exchange_rate_missing")
    assert "GBP" in problem["detail"]
    assert shop.fingerprint() == before


def test_changing_the_method_revalues_the_stock_held(shop: Tenant) -> None:
    http = shop.http
    post(
        shop,
        line("BOLT", "@supplier", "WH1/A", "10", 10, unit_cost="4"),
        line("BOLT", "@supplier", "WH1/A", "10", 9, unit_cost="6"),
        line("BOLT", "WH1/A", "@customer", "10", 8),
    )
    (row,) = value_rows(shop)
    assert row["value"] == "60.00"  # FIFO: 10 @ 6 left
    r = http.put("/valuation/settings", json={"method": "average"})
    assert r.status_code == 200, r.text
    assert r.json()["method"] == "average"
    post(shop, line("BOLT", "@supplier", "WH1/A", "10", 7, unit_cost="8"))
    (row,) = value_rows(shop)
    assert row["value"] == "140.00"  # average from now on: 60 + 80
    post(shop, line("BOLT", "WH1/A", "@customer", "5", 6))
    (row,) = value_rows(shop)
    assert row["value"] == "105.00"  # 5 of 20 at 7.00 leave
    # Standard cost for the category: the 15 held are revalued to 15 x 9 = 135.
    r = http.put("/valuation/categories/hardware", json={"method": "standard"})
    assert r.status_code == 200, r.text
    assert r.json()["categories"] == [{"category": "hardware", "method": "standard"}]
    (row,) = value_rows(shop)
    assert row["value"] == "135.00"
    post(shop, line("BOLT", "@supplier", "WH1/A", "5", 5, unit_cost="10"))
    start = (TODAY - timedelta(days=30)).isoformat()
    report = http.get("/valuation/cogs", params={"start": start, "end": TODAY.isoformat()}).json()
    ppv = sum(Decimal(x["purchase_price_variance"]) for x in report["rows"])
    assert ppv == Decimal("5")  # 5 x (10 - 9)
    # A new standard cost revalues again: 20 x 10.
    assert http.patch("/items/BOLT", json={"unit_cost": "10"}).is_success
    (row,) = value_rows(shop)
    assert row["value"] == "200.00"


def test_aging_sorts_the_stock_held_by_days_since_receipt(shop: Tenant) -> None:
    post(
        shop,
        line("BOLT", "@supplier", "WH1/A", "10", 200, unit_cost="1"),
        line("BOLT", "@supplier", "WH1/A", "10", 100, unit_cost="2"),
        line("BOLT", "@supplier", "WH1/A", "10", 40, unit_cost="3"),
        line("BOLT", "@supplier", "WH1/A", "10", 5, unit_cost="4"),
        line("BOLT", "WH1/A", "@customer", "5", 1),
    )
    r = shop.http.get("/valuation/aging", params={"by": "item"})
    assert r.status_code == 200, r.text
    (row,) = r.json()["rows"]
    # FIFO took 5 of the oldest: 5 @ 1 left over 180 days, then 20, 30 and 40.
    assert row["buckets"] == {
        "0-30": "40.00",
        "31-90": "30.00",
        "91-180": "20.00",
        "over 180": "5.00",
    }
    assert row["value"] == "95.00"


def test_who_may_see_and_change_what(shop: Tenant, other: Tenant) -> None:
    post(
        shop,
        line("BOLT", "@supplier", "WH1/A", "10", 3, unit_cost="2"),
        line("BOLT", "@supplier", "WH2", "10", 3, unit_cost="3"),
    )
    clerk = shop.user("clerk", warehouses=["WH2"])
    rows = clerk.http.get("/valuation/inventory-value").json()["rows"]
    assert [(r["warehouse"], r["value"]) for r in rows] == [("WH2", "30.00")]
    assert_problem(
        clerk.http.put("/valuation/settings", json={"method": "lifo"}), 403, "permission_denied"
    )
    assert other.http.get("/valuation/inventory-value").json()["rows"] == []
    assert cogs(other) == 0


def test_bad_input_is_refused_with_its_code_and_changes_nothing(shop: Tenant) -> None:
    http = shop.http
    (receipt,) = post(shop, line("BOLT", "@supplier", "WH1/A", "10", 3, unit_cost="2"))
    (move,) = post(shop, line("BOLT", "WH1/A", "WH1/B", "1", 2))
    before = shop.fingerprint()
    assert_problem(
        http.put("/valuation/settings", json={"method": "hifo"}), 422, "validation_error"
    )
    assert_problem(
        http.put("/valuation/settings", json={"currency": "USD"}), 409, "currency_in_use"
    )
    assert_problem(
        http.post(
            "/valuation/rates",
            json={"rates": [{"currency": "EUR", "date": "2026-01-01", "rate": "1"}]},
        ),
        422,
        "rate_of_own_currency",
    )
    assert_problem(
        http.post(
            "/valuation/rates",
            json={"rates": [{"currency": "USD", "date": "2026-01-01", "rate": "0"}]},
        ),
        422,
        "invalid_rate",
    )
    assert_problem(
        http.post("/valuation/landed-costs", json={"amount": "5", "movement_ids": [move]}),
        422,
        "not_a_receipt",
    )
    assert_problem(
        http.post("/valuation/landed-costs", json={"amount": "5", "movement_ids": [10**9]}),
        422,
        "movement_not_found",
    )
    assert_problem(
        http.post("/valuation/landed-costs", json={"amount": "0", "movement_ids": [receipt]}),
        422,
        "invalid_money",
    )
    assert_problem(
        http.post(
            "/valuation/landed-costs",
            json={"amount": "5", "movement_ids": [receipt], "purchase_order": "PO-1"},
        ),
        422,
        "landed_cost_target",
    )
    cost_on_a_sale = line("BOLT", "WH1/A", "@customer", "1", 1, unit_cost="3")
    r = http.post("/postings", json={"movements": [cost_on_a_sale]})
    assert_problem(r, 422, "unit_cost_not_allowed")
    r = http.get("/valuation/inventory-value", params={"as_of": "2026-01-01T00:00:00"})
    assert r.status_code == 422
    r = http.get("/valuation/cogs", params={"start": "2026-02-01", "end": "2026-01-01"})
    assert_problem(r, 422, "invalid_period")
    for start, end in (("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")):
        r = http.get("/valuation/cogs", params={"start": start, "end": end, "period": "month"})
        assert_problem(r, 422, "date_out_of_range")  # once a 500
    assert shop.fingerprint() == before
    assert http.get("/valuation/rates").json() == []


def test_a_catalogue_cost_in_another_currency_is_converted_or_reported(shop: Tenant) -> None:
    http = shop.http
    shop.item("IMPORT", unit_cost="10", currency="USD", category="imports")
    assert http.put("/valuation/categories/imports", json={"method": "standard"}).is_success
    post(shop, line("IMPORT", "@adjustment", "WH1/A", "3", 1))
    got = http.get("/valuation/inventory-value", params={"sku": "IMPORT"}).json()
    # No USD rate at all: the standard cost counts as 0, and the report says why.
    assert got["rows"][0]["value"] == "0.00"
    assert got["warnings"] == [
        "items priced in USD have no USD exchange rate: their catalogue cost counts as 0 "
        "where valuation falls back on it"
    ]
    rate = {"currency": "USD", "date": "2020-01-01", "rate": "0.8"}
    assert http.post("/valuation/rates", json={"rates": [rate]}).is_success
    # A new standard cost revalues at the rate in force: 3 x 12 USD x 0.8 = 28.80 EUR.
    assert http.patch("/items/IMPORT", json={"unit_cost": "12"}).is_success
    got = http.get("/valuation/inventory-value", params={"sku": "IMPORT"}).json()
    assert got["rows"][0]["value"] == "28.80"
    assert got["warnings"] == []
