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


def test_a_return_to_a_supplier_posts_once_says_why_not_and_is_listed(tenant: Tenant) -> None:
    http = tenant.http
    for code, parent in (("WH1", None), ("A", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    tenant.item("BOLT")
    tenant.move("BOLT", "@supplier", "WH1/A", "10")
    for code in ("ACME", "OTHER"):
        ok(http.post("/suppliers", json={"code": code, "name": code.title()}), 201)
    po = ok(
        http.post(
            "/purchase-orders",
            json={"supplier": "OTHER", "receive_to": "WH1/A",
                  "lines": [{"sku": "BOLT", "quantity": "1"}]},
        ),
        201,
    )["number"]  # fmt: skip
    clerk, auditor = tenant.user("clerk"), tenant.user("auditor")
    elsewhere = tenant.user("clerk", ["WH2"])
    body = {"supplier": "ACME", "from": "WH1/A", "reason": "defective",
            "lines": [{"sku": "BOLT", "quantity": "2"}]}  # fmt: skip
    key = {"Idempotency-Key": "rtv-7"}

    before = tenant.fingerprint()
    refusals = [
        (http, body | {"supplier": "NOPE"}, 404, "supplier_not_found"),
        (http, body | {"order": po}, 422, "po_of_another_supplier"),
        (http, body | {"order": "PO-999999"}, 404, "purchase_order_not_found"),
        (http, body | {"lines": [{"sku": "BOLT", "quantity": "11"}]}, 409, "insufficient_stock"),
        (http, body | {"reason": "Broken!"}, 422, "invalid_reason"),
        (http, body | {"from": "@customer"}, 422, "not_a_stock_location"),
        (http, body | {"lines": []}, 422, "validation_error"),
        (http, body | {"idempotency_key": "other"}, 422, "idempotency_key_mismatch"),
        (auditor.http, body, 403, "permission_denied"),
        (elsewhere.http, body, 403, "warehouse_not_allowed"),
    ]
    for client, sent, status, code in refusals:
        assert_problem(client.post("/supplier-returns", json=sent, headers=key), status, code)
    assert tenant.fingerprint() == before

    first = clerk.http.post("/supplier-returns", json=body, headers=key)
    made = ok(first, 201)
    assert (made["supplier"], made["from"], made["replayed"]) == ("ACME", "WH1/A", False)
    assert len(made["movement_ids"]) == 1
    assert "Idempotent-Replayed" not in first.headers
    for again in (
        clerk.http.post("/supplier-returns", json=body, headers=key),
        clerk.http.post("/supplier-returns", json=body | {"idempotency_key": "rtv-7"}),
    ):
        replay = ok(again, 200)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert replay["replayed"] is True
        assert (replay["posting_id"], replay["movement_ids"]) == (
            made["posting_id"],
            made["movement_ids"],
        )
    assert tenant.total("BOLT") == 8  # posted once
    assert_problem(
        clerk.http.post("/supplier-returns", json=body | {"reason": "surplus"}, headers=key),
        409,
        "idempotency_key_reused",
    )
    back = ok(http.post("/supplier-returns", json=body | {"supplier": "OTHER", "order": po}), 201)
    ok(http.post("/scrap", json={"sku": "BOLT", "from": "WH1/A", "quantity": "1",
                                 "reason": "damaged"}), 201)  # fmt: skip
    assert tenant.total("BOLT") == 5

    listed = ok(auditor.http.get("/returns"))  # reading needs no more than reading
    kinds = [(m["kind"], m["ref_id"], m["quantity"]) for m in listed["movements"]]
    assert kinds == [("scrap", None, "1"), ("supplier_return", po, "2"),
                     ("supplier_return", "ACME", "2")]  # fmt: skip
    assert listed["next_before_id"] is None
    rtv = listed["movements"][2]
    assert (rtv["from"], rtv["to"], rtv["reason"], rtv["ref_type"]) == (
        "WH1/A",
        "@supplier",
        "defective",
        "RTV",
    )
    assert (rtv["by"], rtv["id"]) == (clerk.username, made["movement_ids"][0])
    assert listed["movements"][1]["id"] == back["movement_ids"][0]
    page = ok(http.get("/returns", params={"kind": "supplier_return", "limit": 1}))
    assert [m["ref_id"] for m in page["movements"]] == [po]
    older = ok(
        http.get(
            "/returns",
            params={"kind": "supplier_return", "limit": 1, "before_id": page["next_before_id"]},
        )
    )
    assert ([m["ref_id"] for m in older["movements"]], older["next_before_id"]) == (["ACME"], None)
    assert ok(elsewhere.http.get("/returns"))["movements"] == []  # WH1's, not theirs
    assert_problem(http.get("/returns", params={"kind": "lost"}), 422, "validation_error")
    assert_problem(http.get("/returns", params={"limit": 0}), 422, "validation_error")


def test_a_pick_list_closes_when_its_orders_are_cancelled(tenant: Tenant) -> None:
    http = tenant.http
    for wh, bin_ in (("WH1", "A"), ("WH2", "B")):
        tenant.location(wh)
        tenant.location(bin_, wh)
        tenant.location("OUT", wh)
        ok(http.put(f"/warehouses/{wh}/settings", json={"outbound": f"{wh}/OUT"}))
    tenant.item("NUT")
    tenant.move("NUT", "@supplier", "WH1/A", "10")

    def order(quantity: str, warehouse: str = "WH1") -> str:
        body = {
            "customer": "Café",
            "warehouse": warehouse,
            "lines": [{"sku": "NUT", "quantity": quantity}],
        }
        return str(ok(http.post("/sales-orders", json=body), 201)["number"])

    # Every order of the list cancelled: the list is cancelled, not left open.
    only = order("2")
    alone = ok(http.post("/pick-lists", json={"warehouse": "WH1", "orders": [only]}), 201)
    ok(http.post(f"/sales-orders/{only}/cancel"))
    assert ok(http.get(f"/pick-lists/{alone['number']}"))["status"] == "cancelled"
    # One order picked, the other cancelled afterwards: the list is done.
    picked, dropped = order("3"), order("4")
    both = ok(http.post("/pick-lists", json={"warehouse": "WH1", "orders": [picked, dropped]}), 201)
    mine = [t for t in both["tasks"] if t["order"] == picked]
    confirm = [
        {"seq": t["seq"], "location": t["location"], "quantity": t["quantity"]} for t in mine
    ]
    ok(http.post(f"/pick-lists/{both['number']}/confirm", json={"confirmations": confirm}))
    assert ok(http.get(f"/pick-lists/{both['number']}"))["status"] == "open"
    ok(http.post(f"/sales-orders/{dropped}/cancel"))
    assert ok(http.get(f"/pick-lists/{both['number']}"))["status"] == "done"
    assert ok(http.get("/pick-lists", params={"status": "open"})) == []

    # A clerk of WH2 sees WH2's lists, a full page of them, however many WH1 has.
    tenant.move("NUT", "@supplier", "WH2/B", "5")
    wh2 = order("1", "WH2")
    theirs = ok(http.post("/pick-lists", json={"warehouse": "WH2", "orders": [wh2]}), 201)
    for _ in range(3):
        ok(http.post("/pick-lists", json={"warehouse": "WH1", "orders": [order("1")]}), 201)
    clerk = tenant.user("clerk", warehouses=["WH2"])
    seen = ok(clerk.http.get("/pick-lists", params={"limit": 1}))
    assert [x["number"] for x in seen] == [theirs["number"]]
    assert_problem(
        clerk.http.get("/pick-lists", params={"warehouse": "WH1"}), 403, "warehouse_not_allowed"
    )
