"""Channel sales and the exceptions list over HTTP: status codes, problem codes, and refused
batches that change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Tenant, assert_problem


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("STORES")
    tenant.location("S12", "STORES")
    tenant.location("S13", "STORES", allow_negative=True)
    tenant.location("WH1")
    tenant.item("BOLT")
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    tenant.move("BOLT", "@supplier", "STORES/S12", "10")
    return tenant


def line(external_id: str, kind: str = "sale", quantity: str = "1", **kw: Any) -> dict[str, Any]:
    return {"external_id": external_id, "kind": kind, "sku": "BOLT", "quantity": quantity, **kw}


def batch(*lines: dict[str, Any], store: str = "STORES/S12") -> dict[str, Any]:
    return {"channel": "shop-12", "store": store, "lines": list(lines)}


def test_a_batch_posts_once_and_a_retry_answers_200_with_duplicates(shop: Tenant) -> None:
    body = batch(
        line("r-991-1", quantity="2", at="2026-01-05T10:03:00Z", unit_price="3.50"),
        line("r-991-2", kind="refund"),
    )
    first = shop.http.post("/channel-sales", json=body)
    assert first.status_code == 201, first.text
    got = first.json()
    assert (got["posted"], got["duplicates"], got["store"]) == (2, 0, "STORES/S12")
    assert [x["status"] for x in got["lines"]] == ["posted", "posted"]
    assert shop.total("BOLT") == Decimal(9)
    history = shop.http.get("/items/BOLT/movements").json()["movements"]
    sold = next(m for m in history if m["ref_id"] == "r-991-1")
    assert (sold["from"], sold["to"], sold["ref_type"], sold["reason"]) == (
        "STORES/S12",
        "@customer",
        "channel",
        "sale",
    )
    assert sold["effective_at"].startswith("2026-01-05T10:03:00")

    before = shop.fingerprint()
    again = shop.http.post("/channel-sales", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["posting_id"] is None
    assert [x["status"] for x in again.json()["lines"]] == ["duplicate", "duplicate"]
    assert [x["movement_id"] for x in again.json()["lines"]] == [
        x["movement_id"] for x in got["lines"]
    ]
    assert shop.fingerprint() == before

    mixed = shop.http.post(
        "/channel-sales",
        json=batch(
            line("r-991-1", quantity="2.0", at="2026-01-05T11:03:00+01:00", unit_price="3.5"),
            line("r-992-1"),
        ),
    )
    assert mixed.status_code == 201, mixed.text
    assert (mixed.json()["posted"], mixed.json()["duplicates"]) == (1, 1)


def test_refused_batches_are_problems_naming_the_line_and_change_nothing(shop: Tenant) -> None:
    http = shop.http
    assert http.post("/channel-sales", json=batch(line("a"))).status_code == 201
    before = shop.fingerprint()
    cases = [
        (batch(line("b"), line("a", quantity="5")), 409, "external_id_reused", 2),
        (batch(line("b"), line("c"), line("b")), 422, "duplicate_external_id", 3),
        (batch(line("b"), line("c") | {"sku": "NOPE"}), 422, "sku_not_found", 2),
        (batch(line("b") | {"sku": "MILK"}), 422, "lot_required", 1),
        (batch(line("b"), line("c", quantity="1.5")), 422, "quantity_precision", 2),
        (batch(line("b", quantity="-1")), 422, "quantity_not_positive", 1),
        (batch(line("b", at="2999-01-01T00:00:00Z")), 422, "effective_in_future", 1),
    ]
    for body, status, code, at_line in cases:
        problem = assert_problem(http.post("/channel-sales", json=body), status, code)
        assert problem["line"] == at_line, problem
        assert problem["detail"].startswith(f"line {at_line}: "), problem
    assert_problem(
        http.post("/channel-sales", json=batch(line("b"), store="STORES/NOPE")),
        422,
        "store_not_found",
    )
    assert_problem(
        http.post("/channel-sales", json=batch(line("b"), store="@customer")),
        422,
        "not_a_stock_location",
    )
    assert_problem(
        http.post("/channel-sales", json=batch(line("b", quantity="11"))), 409, "insufficient_stock"
    )
    assert_problem(http.post("/channel-sales", json=batch()), 422, "empty_batch")
    bad_kind = assert_problem(
        http.post("/channel-sales", json=batch(line("b", kind="gift"))), 422, "validation_error"
    )
    assert bad_kind["errors"][0]["field"] == "lines[0].kind"
    assert_problem(
        http.post("/channel-sales", json=batch(line("b") | {"quantity": 1.5})),
        422,
        "inexact_number",
    )
    assert shop.fingerprint() == before


def test_a_negative_store_shows_in_the_exceptions_list_for_those_who_may_see_it(
    shop: Tenant, other: Tenant
) -> None:
    http = shop.http
    assert http.get("/exceptions").json() == []
    r = http.post(
        "/channel-sales",
        json=batch(line("n-1", quantity="4", at="2026-01-05T10:03:00Z"), store="STORES/S13"),
    )
    assert r.status_code == 201, r.text
    found = http.get("/exceptions", params={"kind": "negative_stock"})
    assert found.status_code == 200
    assert [
        (x["kind"], x["sku"], x["location"], x["quantity"], x["since"]) for x in found.json()
    ] == [("negative_stock", "BOLT", "STORES/S13", "-4", "2026-01-05T10:03:00Z")]
    assert_problem(http.get("/exceptions", params={"kind": "late"}), 422, "validation_error")
    assert shop.user("auditor").http.get("/exceptions").json()[0]["location"] == "STORES/S13"
    assert shop.user("clerk", warehouses=["WH1"]).http.get("/exceptions").json() == []
    assert other.http.get("/exceptions").json() == []


def test_who_may_post_channel_sales(shop: Tenant) -> None:
    auditor = shop.user("auditor")
    restricted = shop.user("clerk", warehouses=["WH1"])
    before = shop.fingerprint()
    assert_problem(
        auditor.http.post("/channel-sales", json=batch(line("a"))), 403, "permission_denied"
    )
    assert_problem(
        restricted.http.post("/channel-sales", json=batch(line("a"))), 403, "warehouse_not_allowed"
    )
    assert shop.fingerprint() == before
    store_clerk = shop.user("clerk", warehouses=["STORES"])
    assert store_clerk.http.post("/channel-sales", json=batch(line("a"))).status_code == 201
