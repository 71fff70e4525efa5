"""Items, locations and lots through the HTTP API: create, read, list, update, deactivate."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import httpx

from tests.e2e.conftest import Tenant, assert_problem, client

# Items ------------------------------------------------------------------------------------------


def test_an_item_is_created_read_back_and_updated(tenant: Tenant) -> None:
    created = tenant.item(
        "BOLT-M8",
        name="Bolt M8",
        category="fasteners",
        uom="kg",
        precision=3,
        unit_cost="0.125",
        currency="USD",
        barcodes=["4006381333931", "BOLT8"],
    )
    assert created["sku"] == "BOLT-M8"
    assert created["precision"] == 3
    assert created["active"] is True
    got = tenant.http.get("/items/BOLT-M8").json()
    assert got == created
    assert Decimal(got["unit_cost"]) == Decimal("0.125")
    assert sorted(got["barcodes"]) == ["4006381333931", "BOLT8"]

    r = tenant.http.patch(
        "/items/BOLT-M8", json={"name": "Hex bolt M8", "unit_cost": "0.13", "barcodes": ["B8"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Hex bolt M8"
    assert r.json()["barcodes"] == ["B8"]
    assert r.json()["updated_at"] > created["updated_at"]
    assert tenant.http.get("/items/BOLT-M8").json()["name"] == "Hex bolt M8"


def test_the_sku_of_an_item_cannot_be_changed(tenant: Tenant) -> None:
    tenant.item("A")
    r = tenant.http.patch("/items/A", json={"sku": "B"})
    assert_problem(r, 422, "validation_error")
    assert tenant.http.get("/items/A").status_code == 200


def test_items_are_listed_in_sku_order_and_paged_with_after(tenant: Tenant) -> None:
    for sku in ["E", "C", "A", "D", "B"]:
        tenant.item(sku, category="even" if sku in "BD" else "odd")
    first = tenant.http.get("/items", params={"limit": 2}).json()
    assert [i["sku"] for i in first] == ["A", "B"]
    second = tenant.http.get("/items", params={"limit": 2, "after": "B"}).json()
    assert [i["sku"] for i in second] == ["C", "D"]
    last = tenant.http.get("/items", params={"limit": 2, "after": "D"}).json()
    assert [i["sku"] for i in last] == ["E"]
    assert tenant.http.get("/items", params={"after": "E"}).json() == []
    even = tenant.http.get("/items", params={"category": "even"}).json()
    assert [i["sku"] for i in even] == ["B", "D"]
    assert [i["sku"] for i in tenant.http.get("/items", params={"q": "Item C"}).json()] == ["C"]


def test_a_sku_is_unique_within_an_organisation_but_not_across_them(
    tenant: Tenant, other: Tenant
) -> None:
    tenant.item("SAME")
    r = tenant.http.post("/items", json={"sku": "SAME", "name": "again"})
    assert_problem(r, 409, "sku_exists")
    assert other.item("SAME")["sku"] == "SAME"
    assert len(tenant.http.get("/items").json()) == 1


def test_a_barcode_belongs_to_one_item_per_organisation(tenant: Tenant, other: Tenant) -> None:
    tenant.item("A", barcodes=["12345"])
    r = tenant.http.post("/items", json={"sku": "B", "name": "B", "barcodes": ["12345"]})
    assert_problem(r, 409, "barcode_taken")
    assert tenant.http.get("/items/B").status_code == 404
    tenant.item("B")
    assert_problem(
        tenant.http.patch("/items/B", json={"barcodes": ["12345"]}), 409, "barcode_taken"
    )
    assert tenant.http.get("/items/B").json()["barcodes"] == []
    assert other.item("A2", barcodes=["12345"])["barcodes"] == ["12345"]


def test_bad_item_fields_are_refused_with_their_codes(tenant: Tenant) -> None:
    cases = [
        ({"sku": "has space", "name": "x"}, "invalid_sku"),
        ({"sku": "-lead", "name": "x"}, "invalid_sku"),
        ({"sku": "C1", "name": "x", "currency": "eur"}, "invalid_currency"),
        ({"sku": "C1", "name": "x", "unit_cost": "-1"}, "invalid_money"),
        ({"sku": "C1", "name": "x", "unit_cost": "0.0000001"}, "invalid_money"),
        ({"sku": "C1", "name": "x", "barcodes": ["a b"]}, "invalid_barcode"),
        ({"sku": "C1", "name": "x", "barcodes": ["X", "X"]}, "duplicate_barcode"),
        ({"sku": "C1", "name": "x", "uom": "sq m"}, "invalid_uom"),
        ({"sku": "C1", "name": "   "}, "invalid_name"),
        ({"sku": "C1", "name": "x", "precision": 7}, "validation_error"),
        ({"sku": "C1", "name": "x", "tracking": "batch"}, "validation_error"),
        ({"sku": "C1", "name": "x", "shelf_life_days": 0}, "validation_error"),
    ]
    for body, code in cases:
        assert_problem(tenant.http.post("/items", json=body), 422, code)
    assert tenant.http.get("/items").json() == []


def test_unit_precision_and_tracking_are_fixed_once_an_item_has_movements(tenant: Tenant) -> None:
    tenant.item("A")
    tenant.location("WH1")
    r = tenant.http.patch("/items/A", json={"uom": "kg", "precision": 2})
    assert r.status_code == 200, r.text
    tenant.move("A", "@supplier", "WH1", "1.5")
    for change in ({"uom": "g"}, {"precision": 3}, {"tracking": "lot"}, {"precision": 0}):
        assert_problem(tenant.http.patch("/items/A", json=change), 409, "item_has_movements")
    item = tenant.http.get("/items/A").json()
    assert (item["uom"], item["precision"], item["tracking"]) == ("kg", 2, "none")
    assert tenant.http.patch("/items/A", json={"uom": "kg", "name": "same unit"}).status_code == 200


def test_an_item_with_stock_cannot_be_deactivated_until_it_is_moved_out(tenant: Tenant) -> None:
    tenant.item("A")
    tenant.location("WH1")
    tenant.move("A", "@supplier", "WH1", "3")
    assert_problem(tenant.http.delete("/items/A"), 409, "item_has_stock")
    assert_problem(tenant.http.patch("/items/A", json={"active": False}), 409, "item_has_stock")
    assert tenant.http.get("/items/A").json()["active"] is True
    tenant.move("A", "WH1", "@customer", "3")
    r = tenant.http.delete("/items/A")
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    body = {"sku": "A", "from": "@supplier", "to": "WH1", "quantity": "1"}
    assert_problem(tenant.http.post("/movements", json=body), 422, "item_inactive")
    assert [i["sku"] for i in tenant.http.get("/items", params={"active": False}).json()] == ["A"]
    assert tenant.http.get("/items", params={"active": True}).json() == []


# Locations --------------------------------------------------------------------------------------


def test_locations_form_a_tree_with_paths_and_a_warehouse(tenant: Tenant) -> None:
    wh = tenant.location("WH1", name="Main warehouse")
    zone = tenant.location("A", parent="WH1")
    rack = tenant.location("01", parent="WH1/A")
    bin_ = tenant.location("03", parent="WH1/A/01")
    assert wh["path"] == "WH1"
    assert wh["warehouse_id"] == wh["id"]
    assert wh["parent_id"] is None
    assert bin_["path"] == "WH1/A/01/03"
    assert bin_["parent_id"] == rack["id"]
    assert {zone["warehouse_id"], rack["warehouse_id"], bin_["warehouse_id"]} == {wh["id"]}
    assert tenant.http.get(f"/locations/{bin_['id']}").json() == bin_
    by_path = tenant.http.get("/locations", params={"path": "WH1/A/01/03"}).json()
    assert by_path == [bin_]
    tenant.location("WH2")
    under = tenant.http.get("/locations", params={"under": "WH1"}).json()
    assert [loc["path"] for loc in under] == ["WH1", "WH1/A", "WH1/A/01", "WH1/A/01/03"]
    page = tenant.http.get("/locations", params={"kind": "internal", "limit": 2}).json()
    assert [loc["path"] for loc in page] == ["WH1", "WH1/A"]
    page = tenant.http.get(
        "/locations", params={"kind": "internal", "limit": 2, "after": "WH1/A"}
    ).json()
    assert [loc["path"] for loc in page] == ["WH1/A/01", "WH1/A/01/03"]
    virtual = tenant.http.get("/locations", params={"kind": "supplier"}).json()
    assert [loc["path"] for loc in virtual] == ["@supplier"]
    assert virtual[0]["warehouse_id"] is None


def test_a_location_path_is_unique_and_its_parent_must_exist(tenant: Tenant) -> None:
    tenant.location("WH1")
    assert_problem(tenant.http.post("/locations", json={"code": "WH1"}), 409, "location_exists")
    r = tenant.http.post("/locations", json={"code": "X", "parent": "NOPE"})
    assert_problem(r, 422, "location_not_found")
    r = tenant.http.post("/locations", json={"code": "a/b", "parent": "WH1"})
    assert_problem(r, 422, "invalid_location_code")
    r = tenant.http.post("/locations", json={"code": "X", "parent": "@supplier"})
    assert_problem(r, 422, "invalid_parent")
    r = tenant.http.post("/locations", json={"code": "X", "kind": "supplier"})
    assert_problem(r, 422, "validation_error")
    paths = [
        loc["path"] for loc in tenant.http.get("/locations", params={"kind": "internal"}).json()
    ]
    assert paths == ["WH1"]


def test_a_location_is_renamed_and_allowed_negative(tenant: Tenant) -> None:
    loc = tenant.location("WH1")
    r = tenant.http.patch(f"/locations/{loc['id']}", json={"name": "North", "allow_negative": True})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["allow_negative"]) == ("North", True)
    tenant.item("A")
    tenant.move("A", "WH1", "@customer", "2")
    assert tenant.total("A") == Decimal(-2)


def test_a_location_holding_stock_cannot_be_deactivated(tenant: Tenant) -> None:
    wh = tenant.location("WH1")
    bin_ = tenant.location("B1", parent="WH1")
    tenant.item("A")
    tenant.move("A", "@supplier", "WH1/B1", "1")
    assert_problem(tenant.http.delete(f"/locations/{bin_['id']}"), 409, "location_has_stock")
    assert_problem(tenant.http.delete(f"/locations/{wh['id']}"), 409, "location_has_stock")
    tenant.move("A", "WH1/B1", "@customer", "1")
    assert_problem(tenant.http.delete(f"/locations/{wh['id']}"), 409, "location_has_children")
    assert tenant.http.delete(f"/locations/{bin_['id']}").json()["active"] is False
    assert tenant.http.delete(f"/locations/{wh['id']}").json()["active"] is False
    body = {"sku": "A", "from": "@supplier", "to": "WH1/B1", "quantity": "1"}
    assert_problem(tenant.http.post("/movements", json=body), 422, "location_inactive")
    r = tenant.http.post("/locations", json={"code": "B2", "parent": "WH1"})
    assert_problem(r, 422, "location_inactive")


def test_a_virtual_location_cannot_be_deactivated(tenant: Tenant) -> None:
    supplier = tenant.http.get("/locations", params={"path": "@supplier"}).json()[0]
    assert_problem(tenant.http.delete(f"/locations/{supplier['id']}"), 409, "virtual_location")


# Lots -------------------------------------------------------------------------------------------


def test_a_lot_is_registered_with_its_expiry_read_and_put_on_hold(tenant: Tenant) -> None:
    tenant.item("MILK", tracking="lot")
    r = tenant.http.post(
        "/lots", json={"sku": "MILK", "code": "2024/07-A", "expiry_date": "2024-08-01"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["expiry_date"] == "2024-08-01"
    got = tenant.http.get("/items/MILK/lots/2024/07-A")
    assert got.status_code == 200, got.text
    assert got.json() == r.json()
    r = tenant.http.patch("/items/MILK/lots/2024/07-A", json={"on_hold": True})
    assert r.json()["on_hold"] is True
    assert r.json()["expiry_date"] == "2024-08-01"
    r = tenant.http.patch("/items/MILK/lots/2024/07-A", json={"expiry_date": "2024-08-03"})
    assert (r.json()["expiry_date"], r.json()["on_hold"]) == ("2024-08-03", True)
    listed = tenant.http.get("/lots", params={"sku": "MILK"}).json()
    assert [(lot["sku"], lot["code"]) for lot in listed] == [("MILK", "2024/07-A")]
    again = tenant.http.post("/lots", json={"sku": "MILK", "code": "2024/07-A"})
    assert_problem(again, 409, "lot_exists")


def test_a_lot_needs_a_lot_tracked_item(tenant: Tenant) -> None:
    tenant.item("A")
    assert_problem(
        tenant.http.post("/lots", json={"sku": "A", "code": "L1"}), 422, "lot_not_tracked"
    )
    assert_problem(
        tenant.http.post("/lots", json={"sku": "NOPE", "code": "L1"}), 404, "sku_not_found"
    )
    assert_problem(tenant.http.get("/items/A/lots/L1"), 404, "lot_not_found")
    assert tenant.http.get("/lots").json() == []


def test_a_lot_is_created_at_its_first_receipt_with_expiry_from_shelf_life(tenant: Tenant) -> None:
    tenant.item("YOG", tracking="lot", shelf_life_days=30)
    tenant.location("WH1")
    tenant.move("YOG", "@supplier", "WH1", "5", lot="L-1", effective_at="2024-01-10T08:00:00Z")
    lot = tenant.http.get("/items/YOG/lots/L-1").json()
    assert lot["expiry_date"] == date(2024, 2, 9).isoformat()
    tenant.move("YOG", "@supplier", "WH1", "2", lot="L-2", expiry_date="2024-03-01")
    assert tenant.http.get("/items/YOG/lots/L-2").json()["expiry_date"] == "2024-03-01"
    body = {
        "sku": "YOG",
        "from": "@supplier",
        "to": "WH1",
        "quantity": "1",
        "lot": "L-2",
        "expiry_date": "2024-04-01",
    }
    assert_problem(tenant.http.post("/movements", json=body), 422, "lot_expiry_mismatch")
    stock = tenant.http.get("/stock/items/YOG").json()
    assert [(ln["lot"], ln["expiry_date"], ln["quantity"]) for ln in stock["lines"]] == [
        ("L-1", "2024-02-09", "5"),
        ("L-2", "2024-03-01", "2"),
    ]


def test_an_item_update_cannot_null_a_required_field(tenant: Tenant) -> None:
    tenant.item("A", category="tools", shelf_life_days=10, barcodes=["A1"])
    before = tenant.http.get("/items/A").json()
    for name in ["name", "uom", "precision", "unit_cost", "currency", "tracking", "barcodes"]:
        r = tenant.http.patch("/items/A", json={name: None})
        problem = assert_problem(r, 422, "validation_error")
        assert problem["errors"][0]["field"] == name
    assert_problem(tenant.http.patch("/items/A", json={"active": None}), 422, "validation_error")
    assert tenant.http.get("/items/A").json() == before
    cleared = tenant.http.patch("/items/A", json={"category": None, "shelf_life_days": None})
    assert (cleared.json()["category"], cleared.json()["shelf_life_days"]) == (None, None)


def race(
    tenant: Tenant, n: int, request: Callable[[httpx.Client, int], httpx.Response]
) -> list[int]:
    """Send n requests at once, each on its own connection; their status codes, sorted."""
    gate = threading.Barrier(n)
    clients = [client(tenant.api, tenant.org.token) for _ in range(n)]

    def one(i: int) -> int:
        gate.wait()
        return request(clients[i], i).status_code

    try:
        with ThreadPoolExecutor(n) as pool:
            return sorted(pool.map(one, range(n)))
    finally:
        for c in clients:
            c.close()


def test_concurrent_creations_of_one_lot_make_exactly_one(tenant: Tenant) -> None:
    tenant.item("L", tracking="lot")
    codes = race(tenant, 8, lambda c, _: c.post("/lots", json={"sku": "L", "code": "RACE"}))
    assert codes == [201] + [409] * 7
    assert len(tenant.http.get("/lots", params={"sku": "L"}).json()) == 1
    audit = tenant.http.get("/audit", params={"entity": "lot"}).json()
    assert [e["action"] for e in audit] == ["lot.create"]


def test_concurrent_claims_of_one_barcode_leave_one_owner(tenant: Tenant) -> None:
    for sku in ["B1", "B2", "B3", "B4"]:
        tenant.item(sku)
    codes = race(
        tenant, 8, lambda c, i: c.patch(f"/items/B{1 + i % 4}", json={"barcodes": ["SAME"]})
    )
    assert set(codes) <= {200, 409}
    assert 409 in codes
    owners = [i["sku"] for i in tenant.http.get("/items").json() if i["barcodes"] == ["SAME"]]
    assert len(owners) == 1


def test_concurrent_creations_of_one_location_make_exactly_one(tenant: Tenant) -> None:
    codes = race(tenant, 8, lambda c, _: c.post("/locations", json={"code": "WH"}))
    assert codes == [201] + [409] * 7
    internal = tenant.http.get("/locations", params={"kind": "internal"}).json()
    assert [loc["path"] for loc in internal] == ["WH"]
