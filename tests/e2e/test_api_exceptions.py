"""The exceptions list ("control tower") over HTTP, on a real server and database: one shop where
every kind fires, worked by hand, next to a twin of each situation on the boundary that must not
fire; acknowledgements that hide an exception until its numbers change; filters; warehouses and
organisations; refused requests that change nothing.

Times are relative to now, an hour earlier than whole days (so "181 days ago" is 181 whole days
however long the test runs)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.planning import whole_buckets
from tests.e2e.conftest import Tenant, User, assert_problem
from tests.e2e.test_api_planning import DAYS, _sales

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: int) -> str:
    moment = NOW - timedelta(days=days, hours=1)
    return moment.isoformat().replace("+00:00", "Z")


def day(offset: int) -> str:
    return (NOW.date() + timedelta(days=offset)).isoformat()


def mv(sku: str, source: str, dest: str, qty: str, days: int) -> dict[str, Any]:
    return {"sku": sku, "from": source, "to": dest, "quantity": qty, "effective_at": ago(days)}


def post(http: Any, *lines: dict[str, Any]) -> None:
    r = http.post("/postings", json={"movements": list(lines)})
    assert r.status_code == 201, r.text


def by_kind_and_sku(found: list[dict[str, Any]]) -> dict[tuple[str, str | None], dict[str, Any]]:
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for x in found:
        key = (x["kind"], f"{x['sku']}/{x['lot']}" if x["lot"] else x["sku"])
        assert key not in out, key
        out[key] = x
    return out


def policy(http: Any, sku: str, min_qty: str, max_qty: str) -> None:
    body = {"sku": sku, "warehouse": "WH1", "kind": "min_max", "min_qty": min_qty,
            "max_qty": max_qty}  # fmt: skip
    assert http.put("/planning/policies", json=body).status_code == 200


def order(http: Any, sku: str, qty: str, warehouse: str = "WH1") -> str:
    body = {"warehouse": warehouse, "customer": "C1", "lines": [{"sku": sku, "quantity": qty}]}
    r = http.post("/sales-orders", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


@pytest.fixture
def tower(tenant: Tenant) -> Tenant:
    """WH1 with a bin of each kind of trouble, and its twin that stays just inside the line;
    WH2 with one negative balance. Every item costs 1 unless said."""
    http = tenant.http
    for code, parent, extra in (
        ("WH1", None, {}),
        ("A", "WH1", {}),
        ("C", "WH1", {}),
        ("Q", "WH1", {}),
        ("NEG", "WH1", {"allow_negative": True}),
        ("WH2", None, {}),
        ("NEG", "WH2", {"allow_negative": True}),
    ):
        tenant.location(code, parent, **extra)
    for sku in ("NEG", "LOW", "LOW-OK", "OUT", "OUT-OK", "EXCESS", "EXCESS-OK", "EXCESS-MAX",
                "LATE", "LATE-OK", "RES", "RES-OK", "W2", "COUNT-OK"):  # fmt: skip
        tenant.item(sku, unit_cost="1")
    tenant.item("COUNT", unit_cost="2.5")
    tenant.item("DEAD", unit_cost="4")
    tenant.item("DEAD-OK", unit_cost="4")
    tenant.item("ADJ", unit_cost="10")
    tenant.item("ADJ-OK", unit_cost="10")
    tenant.item("ADJ-SMALL", unit_cost="0.01")
    tenant.item("MILK", tracking="lot", unit_cost="1")
    tenant.item("RES-LOT", tracking="lot", unit_cost="1")

    post(
        http,
        # negative_stock: a store bin that may go negative sold 3 it never had (and so it is out).
        mv("NEG", "WH1/NEG", "@customer", "3", 2),
        mv("W2", "WH2/NEG", "@customer", "1", 2),
        # below_reorder_point: 30 in, 15 out: position 15 < min 20; the twin sits at 20.
        mv("LOW", "@supplier", "WH1/A", "30", 10),
        mv("LOW", "WH1/A", "@customer", "15", 5),
        mv("LOW-OK", "@supplier", "WH1/A", "30", 10),
        mv("LOW-OK", "WH1/A", "@customer", "10", 5),
        # stockout: sold out three days ago; the twin has 1 left.
        mv("OUT", "@supplier", "WH1/A", "10", 20),
        mv("OUT", "WH1/A", "@customer", "10", 3),
        mv("OUT-OK", "@supplier", "WH1/A", "10", 20),
        mv("OUT-OK", "WH1/A", "@customer", "9", 3),
        # dead_stock: nothing out for 181 days (threshold 180); the twin sold 179 days ago.
        mv("DEAD", "@supplier", "WH1/A", "10", 200),
        mv("DEAD", "WH1/A", "@customer", "2", 181),
        mv("DEAD-OK", "@supplier", "WH1/A", "10", 200),
        mv("DEAD-OK", "WH1/A", "@customer", "2", 179),
        # excess_stock: 90 out in 90 days is 1 a day; 910 left is 910 days of cover (> 365);
        # the twin has 365 left: exactly the threshold. EXCESS-MAX is above its policy's max.
        mv("EXCESS", "@supplier", "WH1/A", "1000", 100),
        mv("EXCESS", "WH1/A", "@customer", "90", 30),
        mv("EXCESS-OK", "@supplier", "WH1/A", "455", 100),
        mv("EXCESS-OK", "WH1/A", "@customer", "90", 30),
        mv("EXCESS-MAX", "@supplier", "WH1/A", "60", 10),
        # reservation_cannot_ship: RES lies in bin Q, put on hold once reserved.
        mv("RES", "@supplier", "WH1/Q", "10", 10),
        mv("RES-OK", "@supplier", "WH1/A", "10", 10),
        # ... and RES-LOT has 4 in lot LR1, held once 5 are reserved, and 3 in LR2.
        mv("RES-LOT", "@supplier", "WH1/A", "4", 10) | {"lot": "LR1"},
        mv("RES-LOT", "@supplier", "WH1/A", "3", 10) | {"lot": "LR2"},
        # count_variance: 50 in bin C, counted 40 twice.
        mv("COUNT", "@supplier", "WH1/C", "50", 5),
        mv("COUNT-OK", "@supplier", "WH1/C", "20", 5),
        # unusual_adjustment: found 101 worth 1,010 (> 1,000); the twin's 100 are worth 1,000.
        mv("ADJ", "@adjustment", "WH1/A", "101", 1) | {"reason": "found"},
        mv("ADJ-OK", "@adjustment", "WH1/A", "100", 1),
    )
    # lot_expiring: expired yesterday (critical), expiring in exactly 30 days (the window's
    # last day: medium), and in 31 days (outside).
    for lot, offset in (("L-OLD", -1), ("L-SOON", 30), ("L-LATE", 31)):
        r = http.post("/lots", json={"sku": "MILK", "code": lot, "expiry_date": day(offset)})
        assert r.status_code == 201, r.text
        post(http, mv("MILK", "@supplier", "WH1/A", "5", 5) | {"lot": lot})
    policy(http, "LOW", "20", "100")
    policy(http, "LOW-OK", "20", "100")
    policy(http, "EXCESS-MAX", "5", "50")

    order(http, "OUT", "4")  # nothing on hand: 4 backordered
    order(http, "RES", "6")
    order(http, "RES-OK", "6")
    order(http, "RES-LOT", "5")
    r = http.patch("/items/RES-LOT/lots/LR1", json={"on_hold": True})
    assert r.status_code == 200, r.text
    (q,) = [x for x in http.get("/locations").json() if x["path"] == "WH1/Q"]
    assert http.patch(f"/locations/{q['id']}", json={"on_hold": True}).status_code == 200

    # late_purchase_order: line 1 expected 8 days ago; line 2 today (not late yet).
    supplier = {"code": "ACME", "name": "Acme", "lead_time_days": 7}
    assert http.post("/suppliers", json=supplier).status_code == 201
    po = {"supplier": "ACME", "receive_to": "WH1/A", "lines": [
        {"sku": "LATE", "quantity": "10", "expected_date": day(-8)},
        {"sku": "LATE-OK", "quantity": "10", "expected_date": day(0)}]}  # fmt: skip
    r = http.post("/purchase-orders", json=po)
    assert r.status_code == 201, r.text
    tenant.po = r.json()["number"]  # type: ignore[attr-defined]
    assert http.post(f"/purchase-orders/{tenant.po}/order").status_code == 200  # type: ignore[attr-defined]

    number = http.post("/counts", json={"location": "WH1/C"}).json()["number"]
    tenant.count = number  # type: ignore[attr-defined]
    lines = [{"sku": "COUNT", "quantity": "40"}, {"sku": "COUNT-OK", "quantity": "20"}]
    body = {"location": "WH1/C", "lines": lines}
    assert http.post(f"/counts/{number}/records", json=body).status_code == 200
    body = {"location": "WH1/C", "lines": lines[:1]}
    assert http.post(f"/counts/{number}/records", json=body).status_code == 200

    # Eleven adjustments by one clerk in a week (more than 10); ten by another (not more).
    busy, steady = tenant.user("clerk"), tenant.user("clerk")
    tenant.busy = busy  # type: ignore[attr-defined]
    post(busy.http, *[mv("ADJ-SMALL", "@adjustment", "WH1/A", "1", 1) for _ in range(11)])
    post(steady.http, *[mv("ADJ-SMALL", "@adjustment", "WH1/A", "1", 1) for _ in range(10)])
    return tenant


def listed(http: Any, **params: Any) -> list[dict[str, Any]]:
    r = http.get("/exceptions", params=params)
    assert r.status_code == 200, r.text
    return list(r.json())


def test_every_kind_fires_with_its_numbers_and_the_twins_do_not(tower: Tenant) -> None:
    found = listed(tower.http)
    got = by_kind_and_sku(found)
    assert set(got) == {
        ("negative_stock", "NEG"),
        ("negative_stock", "W2"),
        ("stockout", "NEG"),
        ("stockout", "W2"),
        ("stockout", "OUT"),
        ("below_reorder_point", "LOW"),
        ("count_variance", "COUNT"),
        ("lot_expiring", "MILK/L-OLD"),
        ("lot_expiring", "MILK/L-SOON"),
        ("dead_stock", "DEAD"),
        ("excess_stock", "EXCESS"),
        ("excess_stock", "EXCESS-MAX"),
        ("late_purchase_order", "LATE"),
        ("reservation_cannot_ship", "RES"),
        ("reservation_cannot_ship", "RES-LOT"),
        ("unusual_adjustment", "ADJ"),
        ("unusual_adjustment", None),
    }
    # The most severe first.
    order_ = ["critical", "high", "medium", "low"]
    assert [order_.index(x["severity"]) for x in found] == sorted(
        order_.index(x["severity"]) for x in found
    )
    for x in found:
        assert x["action"].endswith("."), x
        assert len(x["message"]) > 20, x
        assert x["key"].startswith(x["kind"] + ":")
        assert x["acknowledged"] is False
        assert x["acknowledgement"] is None

    neg = got[("negative_stock", "NEG")]
    assert (neg["severity"], neg["role"], neg["location"], neg["quantity"]) == (
        "high", "clerk", "WH1/NEG", "-3")  # fmt: skip
    assert neg["since"] == ago(2)

    low = got[("below_reorder_point", "LOW")]
    assert (low["severity"], low["role"], low["warehouse"]) == ("high", "manager", "WH1")
    assert low["figures"] | {} == {"reorder_point": "20", "position": "15", "on_hand": "15",
        "on_order": "0", "reserved": "0", "backordered": "0"}  # fmt: skip
    assert "inventory position 15" in low["message"]
    assert "reorder point 20" in low["message"]

    out = got[("stockout", "OUT")]
    assert (out["severity"], out["quantity"], out["since"]) == ("critical", "0", ago(3))
    assert out["figures"] == {"on_hand": "0", "backordered": "4"}
    assert got[("stockout", "NEG")]["severity"] == "high"  # nobody waiting

    count = got[("count_variance", "COUNT")]
    assert (count["severity"], count["role"], count["document"]) == ("high", "manager", tower.count)  # type: ignore[attr-defined]
    assert (count["quantity"], count["location"]) == ("-10", "WH1/C")
    assert (count["figures"]["counted"], count["figures"]["book"]) == ("40", "50")
    assert Decimal(count["figures"]["tolerance"]) < 10

    old = got[("lot_expiring", "MILK/L-OLD")]
    assert (old["severity"], old["role"], old["quantity"]) == ("critical", "clerk", "5")
    assert old["figures"] == {"expiry_date": day(-1), "days_left": "-1"}
    soon = got[("lot_expiring", "MILK/L-SOON")]
    assert (soon["severity"], soon["role"], soon["figures"]["days_left"]) == (
        "medium", "manager", "30")  # fmt: skip

    dead = got[("dead_stock", "DEAD")]
    assert (dead["severity"], dead["quantity"], dead["since"]) == ("low", "8", ago(181))
    assert dead["figures"] == {"value": "32.00", "idle_days": "181"}  # 8 x 4

    excess = got[("excess_stock", "EXCESS")]
    # 90 out over 90 days = 1 a day: 910 on hand is 910 days; 365 days' worth is 365: 545 over.
    assert excess["figures"] == {"excess": "545", "outbound": "90", "days_of_cover": "910"}
    by_max = got[("excess_stock", "EXCESS-MAX")]
    assert by_max["figures"] == {"excess": "10", "maximum": "50", "outbound": "0"}

    late = got[("late_purchase_order", "LATE")]
    assert (late["severity"], late["document"], late["quantity"]) == ("high", tower.po, "10")  # type: ignore[attr-defined]
    assert late["figures"] == {"expected_date": day(-8), "days_late": "8"}

    res = got[("reservation_cannot_ship", "RES")]
    assert (res["severity"], res["quantity"]) == ("critical", "6")
    assert res["figures"] == {"reserved": "6", "shippable": "0", "on_hand": "10",
        "held_location": "10", "held_lot": "0", "orders": "1"}  # fmt: skip
    in_lot = got[("reservation_cannot_ship", "RES-LOT")]
    assert (in_lot["severity"], in_lot["quantity"]) == ("high", "2")  # 5 reserved, 3 can ship
    assert in_lot["figures"] == {"reserved": "5", "shippable": "3", "on_hand": "7",
        "held_location": "0", "held_lot": "4", "orders": "1"}  # fmt: skip

    adj = got[("unusual_adjustment", "ADJ")]
    assert (adj["severity"], adj["role"], adj["quantity"]) == ("high", "manager", "101")
    assert adj["figures"]["value"] == "1010.00"
    busy = got[("unusual_adjustment", None)]
    assert (busy["severity"], busy["role"]) == ("medium", "admin")
    assert busy["figures"] == {"adjustments": "11", "items": "1", "user": tower.busy.username}  # type: ignore[attr-defined]


def test_thresholds_move_the_line(tower: Tenant) -> None:
    http = tower.http
    lots = listed(http, kind="lot_expiring", expiry_days=31)
    assert [x["lot"] for x in lots] == ["L-OLD", "L-SOON", "L-LATE"]
    # DEAD last sold 181 days (and an hour) ago, DEAD-OK 179.
    assert listed(http, kind="dead_stock", dead_days=182) == []
    assert [x["sku"] for x in listed(http, kind="dead_stock", dead_days=181)] == ["DEAD"]
    assert {x["sku"] for x in listed(http, kind="dead_stock", dead_days=179)} == {
        "DEAD", "DEAD-OK"}  # fmt: skip
    # 365 days of cover is not more than 364: the twin fires one day lower.
    assert {x["sku"] for x in listed(http, kind="excess_stock", cover_days=364)} == {
        "EXCESS", "EXCESS-OK", "EXCESS-MAX"}  # fmt: skip
    assert {x["sku"] for x in listed(http, kind="unusual_adjustment", adjustment_value="999.99")} == {
        "ADJ", "ADJ-OK", None}  # fmt: skip
    by_qty = listed(http, kind="unusual_adjustment", adjustment_value="5000", adjustment_qty="100")
    assert {x["sku"] for x in by_qty} == {"ADJ", None}
    assert {x["sku"] for x in listed(http, kind="unusual_adjustment", adjustment_count=9)} == {
        "ADJ", None}  # fmt: skip
    assert len(listed(http, kind="unusual_adjustment", adjustment_count=9)) == 3  # both clerks


def test_filters(tower: Tenant) -> None:
    http = tower.http
    both = listed(http, kind=["stockout", "dead_stock"])
    assert sorted((x["kind"], x["sku"]) for x in both) == [
        ("dead_stock", "DEAD"), ("stockout", "NEG"), ("stockout", "OUT"), ("stockout", "W2")]  # fmt: skip
    critical = listed(http, severity="critical")
    assert {(x["kind"], x["sku"], x["lot"]) for x in critical} == {
        ("stockout", "OUT", None),
        ("lot_expiring", "MILK", "L-OLD"),
        ("reservation_cannot_ship", "RES", None),
    }
    high = listed(http, severity="high")
    assert {x["severity"] for x in high} == {"critical", "high"}
    assert [x["kind"] for x in listed(http, role="admin")] == ["unusual_adjustment"]
    assert {x["role"] for x in listed(http, role="clerk")} == {"clerk"}
    assert {x["kind"] for x in listed(http, sku="NEG")} == {"negative_stock", "stockout"}
    assert {x["sku"] for x in listed(http, warehouse="WH2")} == {"W2"}
    assert len(listed(http, kind="lot_expiring", limit=1)) == 1


def test_an_acknowledged_exception_is_hidden_until_its_numbers_change(tower: Tenant) -> None:
    http = tower.http
    (out,) = listed(http, kind="stockout", sku="OUT")
    key = out["key"]
    r = http.post("/exceptions/acknowledgements", json={"key": key, "note": "PO chased"})
    assert r.status_code == 201, r.text
    assert r.json()["acknowledgement"]["note"] == "PO chased"
    assert listed(http, kind="stockout", sku="OUT") == []
    (shown,) = listed(http, kind="stockout", sku="OUT", include_acknowledged=True)
    assert shown["acknowledged"] is True
    assert shown["acknowledgement"]["by"].startswith("admin-")
    assert shown["acknowledgement"]["current"] is True
    # Another customer orders 1: 5 wait now, the exception is back with the old note attached.
    order(http, "OUT", "1")
    (back,) = listed(http, kind="stockout", sku="OUT")
    assert back["figures"]["backordered"] == "5"
    assert back["acknowledged"] is False
    assert back["acknowledgement"]["current"] is False
    assert back["acknowledgement"]["note"] == "PO chased"
    # Acknowledged again, then un-acknowledged: listed again.
    assert http.post("/exceptions/acknowledgements", json={"key": key}).status_code == 201
    assert listed(http, kind="stockout", sku="OUT") == []
    assert http.delete(f"/exceptions/acknowledgements/{key}").status_code == 204
    assert len(listed(http, kind="stockout", sku="OUT")) == 1
    before = tower.fingerprint()
    assert_problem(
        http.delete(f"/exceptions/acknowledgements/{key}"), 404, "acknowledgement_not_found"
    )
    assert tower.fingerprint() == before


def test_only_managers_acknowledge_and_only_what_they_may_see(tower: Tenant, other: Tenant) -> None:
    (w2,) = listed(tower.http, kind="negative_stock", sku="W2")
    (neg,) = listed(tower.http, kind="negative_stock", sku="NEG")
    clerk: User = tower.user("clerk")
    wh2 = tower.user("manager", warehouses=["WH2"])
    before = tower.fingerprint()
    for r, status, code in [
        (clerk.http.post("/exceptions/acknowledgements", json={"key": neg["key"]}), 403,
         "permission_denied"),
        (clerk.http.delete(f"/exceptions/acknowledgements/{neg['key']}"), 403, "permission_denied"),
        (wh2.http.post("/exceptions/acknowledgements", json={"key": neg["key"]}), 404,
         "exception_not_found"),
        (other.http.post("/exceptions/acknowledgements", json={"key": neg["key"]}), 404,
         "exception_not_found"),
    ]:  # fmt: skip
        assert_problem(r, status, code)
    assert tower.fingerprint() == before
    assert clerk.http.get("/exceptions").status_code == 200  # every role reads
    r = wh2.http.post("/exceptions/acknowledgements", json={"key": w2["key"]})
    assert r.status_code == 201, r.text


def test_a_restricted_user_sees_only_their_warehouses_and_another_organisation_nothing(
    tower: Tenant, other: Tenant
) -> None:
    wh2 = tower.user("clerk", warehouses=["WH2"])
    assert {(x["kind"], x["sku"]) for x in listed(wh2.http)} == {
        ("negative_stock", "W2"), ("stockout", "W2")}  # fmt: skip
    assert_problem(wh2.http.get("/exceptions", params={"warehouse": "WH1"}), 403,
                   "warehouse_not_allowed")  # fmt: skip
    assert listed(other.http) == []
    assert_problem(other.http.get("/exceptions", params={"sku": "NEG"}), 404, "sku_not_found")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"kind": "late"}, 422, "validation_error"),
        ({"severity": "urgent"}, 422, "validation_error"),
        ({"role": "auditor"}, 422, "validation_error"),
        ({"expiry_days": "-1"}, 422, "validation_error"),
        ({"dead_days": "0"}, 422, "validation_error"),
        ({"adjustment_value": "0"}, 422, "validation_error"),
        ({"adjustment_value": "lots"}, 422, "validation_error"),
        ({"limit": "0"}, 422, "validation_error"),
        ({"warehouse": "WH9"}, 404, "location_not_found"),
        ({"warehouse": "WH1/A"}, 422, "not_a_warehouse"),
        ({"sku": "NOPE"}, 404, "sku_not_found"),
    ],
)
def test_bad_parameters_are_refused(
    tower: Tenant, params: dict[str, str], status: int, code: str
) -> None:
    assert_problem(tower.http.get("/exceptions", params=params), status, code)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"key": "stockout"}, 422, "invalid_key"),
        ({"key": "nonsense:item=1"}, 422, "invalid_key"),
        ({"key": "stockout:item=999999:warehouse=1"}, 404, "exception_not_found"),
        ({"key": "x" * 129}, 422, "validation_error"),
        ({"key": "stockout:item=1", "extra": 1}, 422, "validation_error"),
        ({"note": "no key"}, 422, "validation_error"),
    ],
)
def test_bad_acknowledgements_change_nothing(
    tower: Tenant, body: dict[str, Any], status: int, code: str
) -> None:
    before = tower.fingerprint()
    assert_problem(tower.http.post("/exceptions/acknowledgements", json=body), status, code)
    assert tower.fingerprint() == before


def test_a_reorder_point_from_the_newest_planning_run(tenant: Tenant) -> None:
    """Without a min in its policy, an item's reorder point is its line in the warehouse's newest
    finished run: 10 a day over a 7-day lead time is 70 (see test_api_planning.py)."""
    http = tenant.http
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.item("SMOOTH", unit_cost="2")
    r = http.post("/suppliers", json={"code": "ACME", "name": "Acme", "lead_time_days": 7})
    assert r.status_code == 201, r.text
    terms = {"price": "2", "preferred": True, "pack_size": "100"}
    assert http.put("/suppliers/ACME/items/SMOOTH", json=terms).status_code == 200
    start, _ = whole_buckets(datetime.now(UTC).date(), "week", DAYS)
    before = datetime.combine(start - timedelta(days=1), clock(8), tzinfo=UTC).isoformat()
    opening = {"sku": "SMOOTH", "from": "@supplier", "to": "WH1/A", "quantity": "320",
               "effective_at": before}  # fmt: skip
    post(http, opening, *_sales("SMOOTH", "10", start))  # 320 - 280 = 40 left
    assert listed(http, kind="below_reorder_point") == []  # no policy, no run yet
    r = http.post("/planning/runs", json={"warehouse": "WH1", "history_days": DAYS})
    assert r.status_code == 201, r.text
    run = r.json()["number"]
    (low,) = listed(http, kind="below_reorder_point")
    assert (low["sku"], low["document"], low["severity"]) == ("SMOOTH", run, "high")
    assert (low["figures"]["reorder_point"], low["figures"]["position"]) == ("70", "40")
    assert f"from planning run {run}" in low["message"]
    # A policy's own min replaces the run's level: 40 is not below 40.
    body = {"sku": "SMOOTH", "warehouse": "WH1", "kind": "min_max", "min_qty": "40",
            "max_qty": "400"}  # fmt: skip
    assert http.put("/planning/policies", json=body).status_code == 200
    assert listed(http, kind="below_reorder_point") == []


def test_managers_acknowledging_the_same_exception_at_once_all_succeed(tower: Tenant) -> None:
    (neg,) = listed(tower.http, kind="negative_stock", sku="NEG")
    managers = [tower.user("manager") for _ in range(4)]

    def ack(m: User) -> int:
        body = {"key": neg["key"], "note": m.username}
        return int(m.http.post("/exceptions/acknowledgements", json=body).status_code)

    with ThreadPoolExecutor(len(managers)) as pool:
        assert list(pool.map(ack, managers)) == [201] * len(managers)
    assert tower.fingerprint()["exception_acks"] == 1
    (shown,) = listed(tower.http, kind="negative_stock", sku="NEG", include_acknowledged=True)
    # One of them, whole: the note and the user of the same request.
    assert shown["acknowledgement"]["note"] == shown["acknowledgement"]["by"]
    assert shown["acknowledgement"]["by"] in {m.username for m in managers}
