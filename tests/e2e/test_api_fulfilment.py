"""The whole cycle over HTTP: PO > receipt (partial, lots) > put-away > sales order >
reservation > pick (one short) > ship > backorder filled by the next receipt > customer return
into quarantine."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.e2e.conftest import Tenant, assert_problem


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def test_purchase_to_shipment_with_a_short_pick_and_a_backorder(tenant: Tenant) -> None:
    http = tenant.http
    for code, parent in (
        ("WH1", None),
        ("RECV", "WH1"),
        ("OUT", "WH1"),
        ("QUAR", "WH1"),
        ("A", "WH1"),
        ("01", "WH1/A"),
        ("02", "WH1/A"),
    ):
        tenant.location(code, parent)
    quarantine = ok(http.get("/locations", params={"path": "WH1/QUAR"}))[0]
    ok(http.patch(f"/locations/{quarantine['id']}", json={"on_hold": True}))
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    ok(http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"}))
    ok(http.post("/suppliers", json={"code": "ACME", "name": "Acme"}), 201)
    po = ok(
        http.post(
            "/purchase-orders",
            json={
                "supplier": "ACME",
                "receive_to": "WH1/RECV",
                "lines": [{"sku": "MILK", "quantity": "50"}],
            },
        ),
        201,
    )["number"]
    ok(http.post(f"/purchase-orders/{po}/order"))
    expiry = str(date.today() + timedelta(days=30))
    got = ok(
        http.post(
            f"/purchase-orders/{po}/receipts",
            json={"lines": [{"line_no": 1, "quantity": "20", "lot": "L1", "expiry_date": expiry}]},
        ),
        201,
    )
    assert got["po"]["status"] == "partially_received"
    moved = ok(
        http.post(
            "/put-away", json={"sku": "MILK", "from": "WH1/RECV", "quantity": "20", "lot": "L1"}
        ),
        201,
    )
    assert moved["to"] == "WH1/A/01"
    so = ok(
        http.post(
            "/sales-orders",
            json={
                "customer": "Café",
                "warehouse": "WH1",
                "lines": [{"sku": "MILK", "quantity": "15"}],
            },
        ),
        201,
    )
    assert so["lines"][0]["reserved"] == "15.0"
    pl = ok(http.post("/pick-lists", json={"warehouse": "WH1"}), 201)
    assert [x["number"] for x in ok(http.get("/pick-lists", params={"status": "open"}))] == [
        pl["number"]
    ]
    task = pl["tasks"][0]
    assert (task["location"], task["lot"], task["quantity"]) == ("WH1/A/01", "L1", "15.0")
    wrong = {"confirmations": [{"seq": 1, "location": "WH1/A/02", "quantity": "15", "lot": "L1"}]}
    assert_problem(
        http.post(f"/pick-lists/{pl['number']}/confirm", json=wrong), 422, "wrong_location"
    )
    short = {"confirmations": [{"seq": 1, "location": "WH1/A/01", "quantity": "12", "lot": "L1"}]}
    confirmed = ok(http.post(f"/pick-lists/{pl['number']}/confirm", json=short))
    assert confirmed["tasks"][0]["status"] == "short"
    assert ok(http.get("/pick-lists", params={"status": "open", "warehouse": "WH1"})) == []
    flagged = ok(http.get("/discrepancies"))
    assert [(d["location"], d["kind"], d["quantity"]) for d in flagged] == [
        ("WH1/A/01", "short_pick", "3.0")
    ]
    shipped = ok(
        http.post(f"/sales-orders/{so['number']}/ship", headers={"Idempotency-Key": "truck-7"})
    )
    line = shipped["order"]["lines"][0]
    assert (line["shipped"], line["reserved"], line["backordered"]) == ("12.0", "0.0", "3.0")
    assert shipped["order"]["status"] == "partially_shipped"
    # The next receipt fills the backorder first, then it is picked and shipped.
    ok(
        http.post(
            f"/purchase-orders/{po}/receipts",
            json={"lines": [{"line_no": 1, "quantity": "10", "lot": "L2", "expiry_date": expiry}]},
        ),
        201,
    )
    line = ok(http.get(f"/sales-orders/{so['number']}"))["lines"][0]
    assert (line["reserved"], line["backordered"]) == ("3.0", "0.0")
    pl2 = ok(http.post("/pick-lists", json={"warehouse": "WH1", "orders": [so["number"]]}), 201)
    t = pl2["tasks"][0]
    ok(
        http.post(
            f"/pick-lists/{pl2['number']}/confirm",
            json={
                "confirmations": [
                    {
                        "seq": t["seq"],
                        "location": t["location"],
                        "quantity": t["quantity"],
                        "lot": t["lot"],
                    }
                ]
            },
        )
    )
    final = ok(http.post(f"/sales-orders/{so['number']}/ship"))
    assert final["order"]["status"] == "shipped"
    assert tenant.total("MILK") == 15  # 30 received - 15 shipped
    # The customer sends 2 back, damaged: into quarantine, on hand but not available.
    back = ok(
        http.post(
            "/returns",
            json={
                "to": "WH1/QUAR",
                "reason": "damaged",
                "order": so["number"],
                "lines": [{"sku": "MILK", "quantity": "2", "lot": "L1"}],
            },
        ),
        201,
    )
    assert back["quarantined"] is True
    assert tenant.total("MILK") == 17
    atp = ok(http.get("/atp/MILK", params={"warehouse": "WH1"}))["items"][0]
    assert atp["on_hand"] == "15.0"
    report = ok(http.get("/verify"))
    assert report["ok"] is True


def test_transfers_returns_and_scrap_over_http(tenant: Tenant) -> None:
    http = tenant.http
    for code, parent in (("WH1", None), ("A", "WH1"), ("QUAR", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    quarantine = ok(http.get("/locations", params={"path": "WH1/QUAR"}))[0]
    ok(http.patch(f"/locations/{quarantine['id']}", json={"on_hold": True}))
    tenant.item("BOLT")
    tenant.move("BOLT", "@supplier", "WH1/A", "10")
    arrival = str(date.today() + timedelta(days=3))
    tr = ok(
        http.post(
            "/transfers",
            json={
                "from": "WH1/A",
                "to": "WH2",
                "lines": [{"sku": "BOLT", "quantity": "4"}],
                "expected_arrival": arrival,
            },
        ),
        201,
    )
    assert (tr["status"], tr["from"], tr["via"]) == ("planned", "WH1/A", "@transit")
    atp = ok(http.get("/atp/BOLT", params={"warehouse": "WH2", "quantity": "4"}))["items"][0]
    assert (atp["expected"], atp["earliest_date"]) == ("4", arrival)
    assert ok(http.post(f"/transfers/{tr['number']}/ship"))["status"] == "in_transit"
    assert_problem(http.post(f"/transfers/{tr['number']}/ship"), 409, "transfer_in_transit")
    assert ok(http.post(f"/transfers/{tr['number']}/receive"))["status"] == "received"
    back = ok(
        http.post(
            "/returns",
            json={
                "to": "WH1/QUAR",
                "reason": "damaged",
                "lines": [{"sku": "BOLT", "quantity": "1"}],
            },
        ),
        201,
    )
    assert back["quarantined"] is True
    before = tenant.fingerprint()
    assert_problem(
        http.post(
            "/scrap", json={"sku": "BOLT", "from": "WH1/A", "quantity": "1", "reason": "No Reason"}
        ),
        422,
        "invalid_reason",
    )
    assert_problem(
        http.post(
            "/transfers",
            json={"from": "WH1/A", "to": "WH1/A", "lines": [{"sku": "BOLT", "quantity": "1"}]},
        ),
        422,
        "same_location",
    )
    assert tenant.fingerprint() == before
    ok(
        http.post(
            "/scrap", json={"sku": "BOLT", "from": "WH1/A", "quantity": "1", "reason": "damaged"}
        ),
        201,
    )
    stock = {(x["location"], x["quantity"]) for x in ok(http.get("/stock/items/BOLT"))["lines"]}
    assert stock == {("WH1/A", "5"), ("WH2", "4"), ("WH1/QUAR", "1")}
