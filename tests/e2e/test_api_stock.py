"""On-hand, as-of, history, idempotency and reversals through the HTTP API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Tenant, assert_problem

JAN = "2024-01-01T10:00:00Z"
FEB = "2024-02-01T10:00:00Z"
MAR = "2024-03-01T10:00:00Z"
APR = "2024-04-01T10:00:00Z"


@pytest.fixture
def site(tenant: Tenant) -> Tenant:
    """WH1 with zone A (bins A/01, A/02) and bin B1; WH2 with bin S1; items A, B and lot item L."""
    tenant.location("WH1")
    tenant.location("A", parent="WH1")
    tenant.location("01", parent="WH1/A")
    tenant.location("02", parent="WH1/A")
    tenant.location("B1", parent="WH1")
    tenant.location("WH2")
    tenant.location("S1", parent="WH2")
    tenant.item("A", precision=1)
    tenant.item("B")
    tenant.item("L", tracking="lot")
    return tenant


def lines(body: dict[str, Any], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(line[k] for k in keys) for line in body["lines"]]


def test_on_hand_by_item_lists_each_location_and_totals_stock_locations(site: Tenant) -> None:
    site.move("A", "@supplier", "WH1/A/01", "5.5")
    site.move("A", "@supplier", "WH2/S1", "2")
    site.move("A", "WH1/A/01", "@customer", "1")
    body = site.http.get("/stock/items/A").json()
    assert body["total"] == "6.5"
    assert body["uom"] == "ea"
    assert lines(body, "location", "quantity") == [("WH1/A/01", "4.5"), ("WH2/S1", "2.0")]
    everywhere = site.http.get("/stock/items/A", params={"include_virtual": True}).json()
    assert everywhere["total"] == "6.5"
    assert lines(everywhere, "location", "location_kind", "quantity") == [
        ("@customer", "customer", "1.0"),
        ("@supplier", "supplier", "-7.5"),
        ("WH1/A/01", "internal", "4.5"),
        ("WH2/S1", "internal", "2.0"),
    ]
    # Conservation: over all locations, virtual ones included, the item sums to zero.
    assert sum(Decimal(q) for (q,) in lines(everywhere, "quantity")) == 0


def test_a_warehouse_rolls_up_its_zones_and_bins(site: Tenant) -> None:
    site.move("A", "@supplier", "WH1/A/01", "3")
    site.move("A", "@supplier", "WH1/A/02", "4")
    site.move("A", "@supplier", "WH1/B1", "5")
    site.move("B", "@supplier", "WH1/A/02", "7")
    site.move("A", "@supplier", "WH2/S1", "100")
    site.move("A", "@supplier", "WH1", "0.5")

    wh = site.http.get("/stock/locations", params={"path": "WH1"}).json()
    assert wh["rollup"] is True
    assert lines(wh, "sku", "quantity") == [("A", "12.5"), ("B", "7")]
    zone = site.http.get("/stock/locations", params={"path": "WH1/A"}).json()
    assert lines(zone, "sku", "quantity") == [("A", "7.0"), ("B", "7")]
    alone = site.http.get("/stock/locations", params={"path": "WH1", "rollup": False}).json()
    assert lines(alone, "sku", "quantity") == [("A", "0.5")]
    empty_zone = site.http.get("/stock/locations", params={"path": "WH1/A", "rollup": False})
    assert empty_zone.json()["lines"] == []
    per_bin = site.http.get("/stock/locations", params={"path": "WH1", "by_location": True}).json()
    assert lines(per_bin, "sku", "location", "quantity") == [
        ("A", "WH1", "0.5"),
        ("A", "WH1/A/01", "3.0"),
        ("A", "WH1/A/02", "4.0"),
        ("A", "WH1/B1", "5.0"),
        ("B", "WH1/A/02", "7"),
    ]
    only_b = site.http.get("/stock/locations", params={"path": "WH1", "sku": "B"}).json()
    assert lines(only_b, "sku", "quantity") == [("B", "7")]
    # "WH1" must not roll up a sibling whose path merely starts with the same letters.
    site.location("WH10")
    site.move("A", "@supplier", "WH10", "9")
    again = site.http.get("/stock/locations", params={"path": "WH1", "sku": "A"}).json()
    assert lines(again, "quantity") == [("12.5",)]


def test_on_hand_by_lot(site: Tenant) -> None:
    site.move("L", "@supplier", "WH1/B1", "5", lot="L1", expiry_date="2030-01-01")
    site.move("L", "@supplier", "WH1/B1", "3", lot="L2")
    site.move("L", "WH1/B1", "WH2/S1", "2", lot="L1")
    lot = site.http.get("/stock/lots/L/L1").json()
    assert lot["total"] == "5"
    assert lines(lot, "location", "lot", "expiry_date", "quantity") == [
        ("WH1/B1", "L1", "2030-01-01", "3"),
        ("WH2/S1", "L1", "2030-01-01", "2"),
    ]
    assert site.http.get("/stock/items/L", params={"lot": "L2"}).json()["total"] == "3"
    assert site.http.get("/stock/items/L").json()["total"] == "8"
    assert_problem(site.http.get("/stock/lots/L/NOPE"), 404, "lot_not_found")


def test_as_of_answers_from_the_ledger_at_any_past_time(site: Tenant) -> None:
    site.move("A", "@supplier", "WH1/A/01", "10", effective_at=JAN)
    site.move("A", "WH1/A/01", "WH1/B1", "4", effective_at=FEB)
    site.move("A", "WH1/B1", "@customer", "3", effective_at=APR)
    # Posted last, effective in between: as-of follows effective time, not posting order.
    site.move("A", "@supplier", "WH2/S1", "1", effective_at=MAR)

    def at(when: str, **params: Any) -> dict[str, Any]:
        r = site.http.get("/stock/items/A", params={"as_of": when, **params})
        assert r.status_code == 200, r.text
        return dict(r.json())

    assert at("2023-12-31T23:59:59Z")["lines"] == []
    assert at("2023-12-31T23:59:59Z")["total"] == "0.0"
    assert lines(at(JAN), "location", "quantity") == [("WH1/A/01", "10.0")]
    assert lines(at("2024-01-15T00:00:00+01:00"), "location", "quantity") == [("WH1/A/01", "10.0")]
    assert lines(at("2024-02-15T00:00:00Z"), "location", "quantity") == [
        ("WH1/A/01", "6.0"),
        ("WH1/B1", "4.0"),
    ]
    assert at("2024-03-15T00:00:00Z")["total"] == "11.0"
    assert lines(at("2024-05-01T00:00:00Z"), "location", "quantity") == [
        ("WH1/A/01", "6.0"),
        ("WH1/B1", "1.0"),
        ("WH2/S1", "1.0"),
    ]
    now = site.http.get("/stock/items/A").json()
    assert now["lines"] == at("2030-01-01T00:00:00Z")["lines"]

    def wh1(when: str) -> list[tuple[Any, ...]]:
        r = site.http.get("/stock/locations", params={"path": "WH1", "as_of": when})
        return lines(r.json(), "sku", "quantity")

    assert wh1("2023-06-01T00:00:00Z") == []
    assert wh1("2024-02-15T00:00:00Z") == [("A", "10.0")]
    assert wh1("2024-05-01T00:00:00Z") == [("A", "7.0")]
    per_bin = site.http.get(
        "/stock/locations",
        params={"path": "WH1", "as_of": "2024-02-15T00:00:00Z", "by_location": True},
    ).json()
    assert lines(per_bin, "location", "quantity") == [("WH1/A/01", "6.0"), ("WH1/B1", "4.0")]


def test_item_history_is_newest_first_and_paged_with_before_id(site: Tenant) -> None:
    ids = [site.move("B", "@supplier", "WH1/B1", str(n))["movement_ids"][0] for n in range(1, 8)]
    seen: list[int] = []
    before = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if before is not None:
            params["before_id"] = before
        page = site.http.get("/items/B/movements", params=params).json()
        seen += [m["id"] for m in page["movements"]]
        pages += 1
        before = page["next_before_id"]
        if before is None:
            break
    assert seen == list(reversed(ids))
    assert pages == 3
    first = site.http.get("/items/B/movements", params={"limit": 1}).json()["movements"][0]
    assert (first["from"], first["to"], first["quantity"], first["sku"]) == (
        "@supplier",
        "WH1/B1",
        "7",
        "B",
    )


def test_item_history_filters_by_location_time_and_reference(site: Tenant) -> None:
    site.move("A", "@supplier", "WH1/B1", "10", effective_at=JAN, ref_type="PO", ref_id="PO-1")
    site.move("A", "WH1/B1", "WH2/S1", "4", effective_at=FEB, ref_type="TR", ref_id="TR-1")
    site.move("A", "WH2/S1", "@customer", "1", effective_at=MAR, ref_type="SO", ref_id="SO-1")
    site.move("A", "WH1/B1", "@customer", "2", effective_at=APR, ref_type="SO", ref_id="SO-2")

    def refs(**params: Any) -> list[str]:
        r = site.http.get("/items/A/movements", params=params)
        assert r.status_code == 200, r.text
        return [m["ref_id"] for m in r.json()["movements"]]

    assert refs() == ["SO-2", "SO-1", "TR-1", "PO-1"]
    assert refs(location="WH2/S1") == ["SO-1", "TR-1"]
    assert refs(since=FEB, until=APR) == ["SO-1", "TR-1"]
    assert refs(since="2024-03-01T11:00:00+01:00") == ["SO-2", "SO-1"]
    assert refs(ref_type="SO") == ["SO-2", "SO-1"]
    assert refs(ref_type="SO", ref_id="SO-1") == ["SO-1"]
    assert refs(ref_id="NOPE") == []
    assert_problem(
        site.http.get("/items/A/movements", params={"location": "NOPE"}), 404, "location_not_found"
    )
    assert_problem(site.http.get("/items/NOPE/movements"), 404, "sku_not_found")


def test_a_retried_posting_with_the_same_key_posts_once(site: Tenant) -> None:
    body = {"sku": "B", "from": "@supplier", "to": "WH1/B1", "quantity": "5"}
    first = site.http.post("/movements", json=body, headers={"Idempotency-Key": "rcpt-1"})
    again = site.http.post("/movements", json=body, headers={"Idempotency-Key": "rcpt-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["replayed"] is True
    assert again.json()["posting_id"] == first.json()["posting_id"]
    assert again.json()["movement_ids"] == first.json()["movement_ids"]
    assert site.total("B") == 5
    batch = {"idempotency_key": "batch-1", "movements": [body, {**body, "quantity": "2"}]}
    one = site.http.post("/postings", json=batch)
    two = site.http.post("/postings", json=batch)
    assert (one.status_code, two.status_code) == (201, 200)
    assert len(two.json()["movement_ids"]) == 2
    assert site.total("B") == 12
    posting = site.http.get(f"/postings/{one.json()['posting_id']}").json()
    assert [m["quantity"] for m in posting] == ["5", "2"]


def test_a_movement_is_reversed_once_and_a_retry_replays(site: Tenant) -> None:
    mid = site.move("A", "@supplier", "WH1/B1", "6")["movement_ids"][0]
    r = site.http.post(f"/movements/{mid}/reverse", json={"reason": "wrong-item"})
    assert r.status_code == 201, r.text
    rev_id = r.json()["movement_ids"][0]
    assert site.total("A") == 0
    reversal = site.http.get(f"/movements/{rev_id}").json()
    assert (reversal["from"], reversal["to"], reversal["quantity"]) == (
        "WH1/B1",
        "@supplier",
        "6.0",
    )
    assert reversal["reverses_id"] == mid
    assert reversal["reason"] == "wrong-item"
    assert site.http.get(f"/movements/{mid}").json()["reversed_by"] == rev_id

    retry = site.http.post(f"/movements/{mid}/reverse", json={"reason": "wrong-item"})
    assert retry.status_code == 200, retry.text
    assert retry.json()["replayed"] is True
    assert retry.json()["movement_ids"] == [rev_id]
    other_key = site.http.post(f"/movements/{mid}/reverse", headers={"Idempotency-Key": "rev-2"})
    body = assert_problem(other_key, 409, "already_reversed")
    assert body["reversed_by"] == rev_id
    assert site.total("A") == 0
    history = site.http.get("/items/A/movements").json()["movements"]
    assert [(m["id"], m["reverses_id"], m["reversed_by"]) for m in history] == [
        (rev_id, mid, None),
        (mid, None, rev_id),
    ]
    posting = site.http.get(f"/postings/{site.http.get(f'/movements/{mid}').json()['posting_id']}")
    assert [m["reversed_by"] for m in posting.json()] == [rev_id]


def test_a_reversal_with_an_explicit_key_replays_on_retry(site: Tenant) -> None:
    mid = site.move("B", "@supplier", "WH1/B1", "2")["movement_ids"][0]
    headers = {"Idempotency-Key": "undo-7"}
    first = site.http.post(f"/movements/{mid}/reverse", headers=headers)
    again = site.http.post(f"/movements/{mid}/reverse", headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["posting_id"] == first.json()["posting_id"]
    assert site.total("B") == 0


def test_a_reversal_that_would_leave_negative_stock_is_refused(site: Tenant) -> None:
    receipt = site.move("B", "@supplier", "WH1/B1", "5")["movement_ids"][0]
    site.move("B", "WH1/B1", "@customer", "4")
    before = site.fingerprint()
    assert_problem(site.http.post(f"/movements/{receipt}/reverse"), 409, "insufficient_stock")
    assert site.fingerprint() == before
    assert site.http.get(f"/movements/{receipt}").json()["reversed_by"] is None
    assert_problem(site.http.post("/movements/987654321/reverse"), 404, "movement_not_found")


def test_the_ledger_verifies_after_all_of_this(site: Tenant) -> None:
    site.move("L", "@supplier", "WH1/B1", "5", lot="L1")
    mid = site.move("A", "@supplier", "WH1/A/01", "3")["movement_ids"][0]
    site.http.post(f"/movements/{mid}/reverse")
    report = site.http.get("/verify").json()
    assert report["ok"] is True, report
    assert report["movements"] == 3
    assert report["findings"] == []


def test_a_batch_of_ten_thousand_movements_posts_whole(site: Tenant) -> None:
    skus = [f"S{n}" for n in range(10)]
    for sku in skus:
        site.item(sku)
    batch = [
        {"sku": skus[n % 10], "from": "@supplier", "to": "WH1/B1", "quantity": "1"}
        for n in range(10_000)
    ]
    r = site.http.post("/postings", json={"movements": batch})
    assert r.status_code == 201, r.text[:500]
    ids = r.json()["movement_ids"]
    assert len(ids) == len(set(ids)) == 10_000
    wh = site.http.get("/stock/locations", params={"path": "WH1"}).json()
    assert lines(wh, "sku", "quantity") == [(sku, "1000") for sku in sorted(skus)]
    assert site.http.get("/verify").json()["ok"] is True
