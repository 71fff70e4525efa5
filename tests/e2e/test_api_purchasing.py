"""Purchasing over HTTP: supplier, PO, partial receipt with lots, put-away; errors as problems."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import Tenant, assert_problem


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("RECV", "WH1")
    tenant.location("A", "WH1")
    tenant.location("01", "WH1/A")
    tenant.location("02", "WH1/A")
    tenant.item("BOLT")
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    r = tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme", "over_receipt_pct": 5})
    assert r.status_code == 201, r.text
    return tenant


def test_a_po_is_ordered_received_in_parts_and_put_away(shop: Tenant) -> None:
    http = shop.http
    r = http.put("/suppliers/ACME/items/MILK", json={"price": "0.80", "preferred": True})
    assert r.status_code == 200
    assert r.json()["price"] == "0.800000"
    r = http.post(
        "/purchase-orders",
        json={
            "supplier": "ACME",
            "receive_to": "WH1/RECV",
            "lines": [{"sku": "MILK", "quantity": "100"}, {"sku": "BOLT", "quantity": 50}],
        },
    )
    assert r.status_code == 201, r.text
    po = r.json()
    number = po["number"]
    assert po["status"] == "draft"
    assert po["lines"][0]["unit_price"] == "0.800000"
    assert http.post(f"/purchase-orders/{number}/order").json()["status"] == "ordered"
    receipt = {
        "lines": [{"line_no": 1, "quantity": "60.5", "lot": "L1", "expiry_date": "2027-01-31"}]
    }
    first = http.post(
        f"/purchase-orders/{number}/receipts", json=receipt, headers={"Idempotency-Key": "k1"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["po"]["status"] == "partially_received"
    again = http.post(
        f"/purchase-orders/{number}/receipts", json=receipt, headers={"Idempotency-Key": "k1"}
    )
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert shop.total("MILK") == Decimal("60.5")
    lines = http.get(f"/purchase-orders/{number}").json()["lines"]
    assert (lines[0]["received"], lines[0]["open"]) == ("60.5", "39.5")
    suggestion = http.get(
        "/put-away/suggestion", params={"sku": "MILK", "from": "WH1/RECV", "lot": "L1"}
    )
    assert suggestion.json() == {"bin": "WH1/A/01", "reason": "empty bin in WH1"}
    moved = http.post(
        "/put-away", json={"sku": "MILK", "from": "WH1/RECV", "quantity": "60.5", "lot": "L1"}
    )
    assert moved.status_code == 201
    assert moved.json()["to"] == "WH1/A/01"
    stock = http.get("/stock/items/MILK").json()["lines"]
    assert [(x["location"], x["lot"], x["quantity"]) for x in stock] == [("WH1/A/01", "L1", "60.5")]
    assert len(http.get(f"/purchase-orders/{number}/receipts").json()) == 1


def test_refused_purchasing_requests_are_problems_and_change_nothing(shop: Tenant) -> None:
    http = shop.http
    number = http.post(
        "/purchase-orders",
        json={
            "supplier": "ACME",
            "receive_to": "WH1/RECV",
            "lines": [{"sku": "BOLT", "quantity": 10}],
        },
    ).json()["number"]
    before = shop.fingerprint()
    line = {"line_no": 1, "quantity": "1"}
    assert_problem(
        http.post(f"/purchase-orders/{number}/receipts", json={"lines": [line]}), 409, "po_draft"
    )
    assert shop.fingerprint() == before
    http.post(f"/purchase-orders/{number}/order")
    before = shop.fingerprint()
    over = {"lines": [{"line_no": 1, "quantity": "11"}]}
    assert_problem(http.post(f"/purchase-orders/{number}/receipts", json=over), 409, "over_receipt")
    bad = {"lines": [{"line_no": 1, "quantity": 1.5}]}
    assert_problem(
        http.post(f"/purchase-orders/{number}/receipts", json=bad), 422, "inexact_number"
    )
    assert_problem(
        http.post(f"/purchase-orders/{number}/receipts", json={"lines": []}),
        422,
        "validation_error",
    )
    assert_problem(
        http.post("/purchase-orders/PO-9/receipts", json={"lines": [line]}),
        404,
        "purchase_order_not_found",
    )
    assert_problem(http.get("/purchase-orders", params={"status": "lost"}), 422, "validation_error")
    assert_problem(
        http.post("/purchase-orders", json={"supplier": "NOPE", "receive_to": "WH1/RECV"}),
        404,
        "supplier_not_found",
    )
    assert shop.fingerprint() == before


def test_a_clerk_cannot_receive_without_an_order_and_another_org_sees_nothing(
    shop: Tenant, other: Tenant
) -> None:
    clerk = shop.user("clerk")
    body = {"lines": [{"sku": "BOLT", "quantity": "2", "to": "WH1/RECV"}]}
    assert_problem(clerk.http.post("/receipts", json=body), 403, "permission_denied")
    r = shop.http.post("/receipts", json=body | {"supplier": "ACME"})
    assert r.status_code == 201
    assert r.json()["receipts"][0]["supplier"] == "ACME"
    assert_problem(other.http.get("/suppliers/ACME"), 404, "supplier_not_found")
    assert other.http.get("/suppliers").json() == []
