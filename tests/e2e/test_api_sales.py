"""Sales orders, reservations, holds and available-to-promise over HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.conftest import Tenant, assert_problem


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.location("01", "WH1/A")
    tenant.item("BOLT")
    tenant.move("BOLT", "@supplier", "WH1/A/01", "10")
    return tenant


def new_order(shop: Tenant, quantity: str, **fields: object) -> dict[str, object]:
    body = {
        "customer": "Smith",
        "warehouse": "WH1",
        "lines": [{"sku": "BOLT", "quantity": quantity}],
    }
    r = shop.http.post("/sales-orders", json=body | fields)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_orders_reserve_backorder_and_atp_answers(shop: Tenant) -> None:
    first = new_order(shop, "6")
    second = new_order(shop, "7")
    assert first["lines"][0]["reserved"] == "6"  # type: ignore[index]
    assert (second["lines"][0]["reserved"], second["lines"][0]["backordered"]) == ("4", "3")  # type: ignore[index]
    one = shop.http.get("/atp/BOLT", params={"warehouse": "WH1", "quantity": "1"}).json()
    assert one["items"][0]["atp_now"] == "0"
    assert one["items"][0]["earliest_date"] is None
    cancelled = shop.http.post(f"/sales-orders/{first['number']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = shop.http.post(f"/sales-orders/{second['number']}/reallocate").json()
    assert again["lines"][0]["reserved"] == "7"
    many = shop.http.post(
        "/atp",
        json={
            "warehouse": "WH1",
            "date": str(date.today() + timedelta(days=1)),
            "items": [{"sku": "BOLT", "quantity": "3"}],
        },
    ).json()
    assert many["items"][0]["atp_now"] == "3"
    assert many["items"][0]["atp_on_date"] == "3"
    assert many["items"][0]["earliest_date"] == str(date.today())


def test_a_held_location_is_not_available(shop: Tenant) -> None:
    zone = shop.http.get("/locations", params={"path": "WH1/A"}).json()
    zone_id = next(x["id"] for x in zone if x["path"] == "WH1/A")
    r = shop.http.patch(f"/locations/{zone_id}", json={"on_hold": True})
    assert r.status_code == 200, r.text
    assert r.json()["on_hold"] is True
    assert new_order(shop, "2")["lines"][0]["backordered"] == "2"  # type: ignore[index]


def test_refused_sales_requests_change_nothing(shop: Tenant, other: Tenant) -> None:
    auditor = shop.user("auditor")
    before = shop.fingerprint()
    bad_line = {"customer": "x", "warehouse": "WH1", "lines": [{"sku": "NOPE", "quantity": "1"}]}
    assert_problem(shop.http.post("/sales-orders", json=bad_line), 422, "sku_not_found")
    not_wh = {"customer": "x", "warehouse": "WH1/A", "lines": [{"sku": "BOLT", "quantity": "1"}]}
    assert_problem(shop.http.post("/sales-orders", json=not_wh), 422, "not_a_warehouse")
    empty = {"customer": "x", "warehouse": "WH1", "lines": []}
    assert_problem(shop.http.post("/sales-orders", json=empty), 422, "validation_error")
    assert_problem(shop.http.post("/sales-orders/SO-404/cancel"), 404, "sales_order_not_found")
    assert_problem(
        shop.http.get("/atp/BOLT", params={"warehouse": "WH9"}), 404, "location_not_found"
    )
    assert_problem(
        shop.http.post("/atp", json={"warehouse": "WH1", "items": []}), 422, "validation_error"
    )
    assert_problem(
        auditor.http.post("/sales-orders", json=not_wh | {"warehouse": "WH1"}),
        403,
        "permission_denied",
    )
    assert shop.fingerprint() == before
    made = new_order(shop, "1")
    assert_problem(other.http.get(f"/sales-orders/{made['number']}"), 404, "sales_order_not_found")


def test_warehouse_settings_are_set_and_checked(shop: Tenant) -> None:
    defaults = shop.http.get("/warehouses/WH1/settings").json()
    assert defaults == {
        "warehouse": "WH1",
        "priority": 100,
        "backorders_first": True,
        "outbound": None,
    }
    r = shop.http.put("/warehouses/WH1/settings", json={"priority": 5})
    assert r.json() == {
        "warehouse": "WH1",
        "priority": 5,
        "backorders_first": True,
        "outbound": None,
    }
    assert_problem(
        shop.http.put("/warehouses/WH1/settings", json={"priority": -1}), 422, "validation_error"
    )
    assert_problem(shop.http.put("/warehouses/NOPE/settings", json={}), 404, "location_not_found")
    kept = shop.http.put("/warehouses/WH1/settings", json={"backorders_first": False}).json()
    assert (kept["priority"], kept["backorders_first"]) == (5, False)
    assert shop.http.get("/warehouses/WH1/settings").json() == kept


def test_a_fulfilment_plan_is_proposed(shop: Tenant) -> None:
    shop.location("WH2")
    shop.move("BOLT", "@supplier", "WH2", "30")
    r = shop.http.post("/fulfilment-plan", json={"lines": [{"sku": "BOLT", "quantity": "20"}]})
    assert r.status_code == 200, r.text
    assert [s["warehouse"] for s in r.json()["shipments"]] == ["WH2"]
    assert_problem(shop.http.post("/fulfilment-plan", json={"lines": []}), 422, "validation_error")
