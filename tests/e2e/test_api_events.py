"""The outbox over HTTP, on SQLite and PostgreSQL: every posting and document change has its
event, in commit order, resumable by position, filtered by type; refused requests raise none;
another organisation sees none; reorder-point crossings are derived once; the live stream
resumes from Last-Event-ID."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Tenant, assert_problem


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    for code in ("RECV", "A", "OUT"):
        tenant.location(code, "WH1")
    tenant.item("BOLT")
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    assert tenant.http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"}).is_success
    assert tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
    return tenant


def all_events(t: Tenant, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        r = t.http.get("/events", params={"after": after, "limit": 2, **params})
        assert r.status_code == 200, r.text
        page = r.json()
        out += page["events"]
        if page["next"] == after:
            return out
        after = page["next"]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def test_postings_and_documents_raise_their_events_in_order(shop: Tenant, other: Tenant) -> None:
    http = shop.http
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    po = http.post(
        "/purchase-orders",
        json={
            "supplier": "ACME",
            "receive_to": "WH1/RECV",
            "lines": [{"sku": "MILK", "quantity": "5"}],
        },
    ).json()["number"]
    assert http.post(f"/purchase-orders/{po}/order").status_code == 200
    receipt = {"lines": [{"line_no": 1, "quantity": "2.5", "lot": "L1"}]}
    assert http.post(f"/purchase-orders/{po}/receipts", json=receipt).status_code == 201
    assert http.patch("/items/MILK/lots/L1", json={"on_hold": True}).status_code == 200
    assert http.patch("/items/MILK/lots/L1", json={"on_hold": False}).status_code == 200

    found = all_events(shop)
    assert types(found) == [
        "stock.moved",
        "po.created",
        "po.ordered",
        "stock.moved",
        "po.received",
        "lot.on_hold",
        "lot.released",
    ]
    seqs = [e["sequence"] for e in found]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert len({e["id"] for e in found}) == len(found)
    moved = found[0]["data"]["movements"]
    assert [(m["sku"], m["from"], m["to"], Decimal(m["quantity"])) for m in moved] == [
        ("BOLT", "@supplier", "WH1/A", Decimal(10))
    ]
    received = found[4]
    assert received["subject"] == {"type": "purchase_order", "id": po}
    assert received["posting_id"] == found[3]["posting_id"]
    assert [(x["sku"], Decimal(x["quantity"]), x["lot"]) for x in received["data"]["received"]] == [
        ("MILK", Decimal("2.5"), "L1")
    ]
    assert found[5]["subject"] == {"type": "lot", "id": "MILK/L1"}

    # Filters: exact types, families; paging resumes where it stopped.
    assert types(all_events(shop, type=["po.*"])) == ["po.created", "po.ordered", "po.received"]
    assert types(all_events(shop, type=["stock.moved", "lot.released"])) == [
        "stock.moved",
        "stock.moved",
        "lot.released",
    ]
    later = http.get("/events", params={"after": found[3]["sequence"]}).json()
    assert types(later["events"]) == ["po.received", "lot.on_hold", "lot.released"]
    assert later["next"] == found[-1]["sequence"]
    assert other.http.get("/events").json()["events"] == []


def test_refused_requests_raise_no_event_and_bad_filters_are_problems(shop: Tenant) -> None:
    http = shop.http
    before = len(all_events(shop))
    r = http.post(
        "/movements", json={"sku": "BOLT", "from": "WH1/A", "to": "@customer", "quantity": "5"}
    )
    assert r.status_code == 409  # nothing on hand
    r = http.post("/purchase-orders", json={"supplier": "NOPE", "receive_to": "WH1/RECV",
                                            "lines": [{"sku": "BOLT", "quantity": "1"}]})  # fmt: skip
    assert r.status_code == 404
    assert len(all_events(shop)) == before
    assert_problem(
        http.get("/events", params={"type": "stock.exploded"}), 422, "unknown_event_type"
    )
    assert_problem(http.get("/events", params={"type": "nope.*"}), 422, "unknown_event_type")
    assert http.get("/events", params={"after": -1}).status_code == 422
    assert http.get("/events", params={"after": 2**64}).status_code == 422  # not a 500
    assert http.get("/events", params={"limit": 0}).status_code == 422
    catalogue = http.get("/events/types").json()
    assert {"stock.moved", "po.received", "order.shipped", "count.variance", "lot.expiring"} <= {
        t["type"] for t in catalogue
    }
    assert httpx.get(f"{shop.api.url}/api/v1/events").status_code == 401


def test_a_sale_raises_created_and_shipped_and_a_count_its_variance(shop: Tenant) -> None:
    http = shop.http
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    so = http.post(
        "/sales-orders",
        json={"warehouse": "WH1", "customer": "C1", "lines": [{"sku": "BOLT", "quantity": "4"}]},
    ).json()["number"]
    pl = http.post("/pick-lists", json={"warehouse": "WH1", "orders": [so]})
    assert pl.status_code == 201, pl.text
    pick = pl.json()
    confirm = {
        "confirmations": [
            {"seq": t["seq"], "location": t["location"], "quantity": t["quantity"]}
            for t in pick["tasks"]
        ]
    }
    assert http.post(f"/pick-lists/{pick['number']}/confirm", json=confirm).status_code == 200
    assert http.post(f"/sales-orders/{so}/ship").status_code == 200
    shipped = [e for e in all_events(shop) if e["type"] in ("order.created", "order.shipped")]
    assert types(shipped) == ["order.created", "order.shipped"]
    assert shipped[1]["data"]["customer"] == "C1"
    assert [(x["sku"], Decimal(x["quantity"])) for x in shipped[1]["data"]["shipped"]] == [
        ("BOLT", Decimal(4))
    ]

    count = http.post("/counts", json={"location": "WH1/A"})
    assert count.status_code == 201, count.text
    number = count.json()["number"]
    entry = {"location": "WH1/A", "lines": [{"sku": "BOLT", "quantity": "7"}]}
    assert http.post(f"/counts/{number}/records", json=entry).status_code == 200
    variance = [e for e in all_events(shop) if e["type"] == "count.variance"]
    assert len(variance) == 1
    d = variance[0]["data"]
    assert (d["sku"], Decimal(d["book"]), Decimal(d["counted"]), Decimal(d["variance"])) == (
        "BOLT",
        Decimal(6),
        Decimal(7),
        Decimal(1),
    )


def test_falling_below_the_reorder_point_is_raised_once_per_crossing(shop: Tenant) -> None:
    http = shop.http
    body = {"sku": "BOLT", "warehouse": "WH1", "kind": "min_max", "min_qty": "5", "max_qty": "20"}
    assert http.put("/planning/policies", json=body).status_code == 200
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    for _ in range(3):  # 7, 4, 1: below 5 from the second on
        shop.move("BOLT", "WH1/A", "@customer", "3")
    alerts = wait_for(shop, "stock.below_reorder_point", 1)
    assert alerts[0]["data"]["sku"] == "BOLT"
    assert alerts[0]["data"]["warehouse"] == "WH1"
    assert Decimal(alerts[0]["data"]["position"]) == Decimal(4)  # the sale that crossed
    assert Decimal(alerts[0]["data"]["reorder_point"]) == Decimal(5)
    shop.move("BOLT", "@supplier", "WH1/A", "10")  # 11: above again
    shop.move("BOLT", "WH1/A", "@customer", "8")  # 3: below again
    assert len(wait_for(shop, "stock.below_reorder_point", 2)) == 2
    # An order reserving stock lowers the position too: 3 - 2 is still below, no new event;
    # cancelling it and receiving 10 lifts it; an order for 12 takes it below once more.
    so = http.post("/sales-orders", json={"warehouse": "WH1", "customer": "C",
                                          "lines": [{"sku": "BOLT", "quantity": "2"}]})  # fmt: skip
    assert so.status_code == 201
    assert len(wait_for(shop, "stock.below_reorder_point", 2)) == 2
    assert http.post(f"/sales-orders/{so.json()['number']}/cancel").status_code == 200
    shop.move("BOLT", "@supplier", "WH1/A", "10")  # 13
    big = http.post("/sales-orders", json={"warehouse": "WH1", "customer": "C",
                                           "lines": [{"sku": "BOLT", "quantity": "12"}]})  # fmt: skip
    assert big.status_code == 201
    third = wait_for(shop, "stock.below_reorder_point", 3)[-1]["data"]
    assert (Decimal(third["position"]), Decimal(third["reserved"])) == (Decimal(1), Decimal(12))


def wait_for(t: Tenant, kind: str, n: int) -> list[dict[str, Any]]:
    """The events of this type, which must be n."""
    found = all_events(t, type=[kind])
    assert len(found) == n, found
    return found


def read_stream(
    t: Tenant, headers: dict[str, str], params: dict[str, Any], n: int
) -> list[tuple[str, str, dict[str, Any]]]:
    """The first n events of the live stream: (id, event, data)."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    with t.http.stream("GET", "/events/stream", headers=headers, params=params, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in r.iter_lines():
            if line == "":
                if "event" in fields:
                    out.append((fields["id"], fields["event"], json.loads(fields["data"])))
                    if len(out) == n:
                        return out
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return out


def test_the_live_stream_sends_new_events_and_resumes_from_the_last_id(shop: Tenant) -> None:
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    first = all_events(shop)[-1]["sequence"]
    later = threading.Timer(1.0, lambda: shop.move("BOLT", "WH1/A", "WH1/RECV", "2"))
    later.start()
    got = read_stream(shop, {}, {"after": first}, 1)
    later.join()
    assert got[0][1] == "stock.moved"
    assert got[0][2]["data"]["movements"][0]["to"] == "WH1/RECV"
    # Reconnecting with the id last seen: only what came after it.
    shop.move("BOLT", "WH1/A", "WH1/OUT", "1")
    again = read_stream(shop, {"Last-Event-ID": got[0][0]}, {}, 1)
    assert again[0][2]["data"]["movements"][0]["to"] == "WH1/OUT"
    assert int(again[0][0]) > int(got[0][0])
    bad = shop.http.get("/events/stream", params={"type": "nope"})
    assert_problem(bad, 422, "unknown_event_type")
