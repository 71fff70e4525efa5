"""Replenishment runs over HTTP, on a real server and database: policies, a run that forecasts
four weeks of history and suggests orders, the planner's decisions and the documents accepting
makes, and every bad input refused with its code.

The history is steady (the same quantity every day for four whole weeks), so the forecast is that
rate and the forecast error is 0: the levels can be worked by hand. Too short for a backtest, the
series are forecast by their mean (see docs/forecasting.md)."""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.planning import STALE_AFTER, whole_buckets
from tests.e2e.conftest import Tenant, assert_problem
from tests.integration.test_planning_runs import leave_running

DAYS = 28


def _sales(sku: str, per_day: str, start: date, source: str = "WH1/A") -> list[dict[str, Any]]:
    return [
        {
            "sku": sku,
            "from": source,
            "to": "@customer",
            "quantity": per_day,
            "effective_at": datetime.combine(start + timedelta(days=k), clock(10), tzinfo=UTC)
            .isoformat()
            .replace("+00:00", "Z"),
        }
        for k in range(DAYS)
    ]


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    """WH1 sells; WH2 is a distribution centre. Four whole weeks of history before today:
    SMOOTH and PLENTY sell 10 a day (bought from ACME, 7 days, packs of 100), DC-ITEM 5 a day
    (transferred from WH2), NOSUP 2 a day (no supplier), JIT-ITEM nothing (ordered on demand)."""
    http = tenant.http
    for code, parent in (("WH1", None), ("A", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    tenant.item("SMOOTH", unit_cost="2")
    tenant.item("PLENTY", unit_cost="2")
    tenant.item("DC-ITEM", unit_cost="1")
    tenant.item("NOSUP", unit_cost="1")
    tenant.item("JIT-ITEM", unit_cost="1")
    r = http.post("/suppliers", json={"code": "ACME", "name": "Acme", "lead_time_days": 7})
    assert r.status_code == 201, r.text
    for sku in ("SMOOTH", "PLENTY", "JIT-ITEM"):
        terms = {"price": "2", "preferred": True, "pack_size": "100"}
        assert http.put(f"/suppliers/ACME/items/{sku}", json=terms).status_code == 200
    start, _ = whole_buckets(datetime.now(UTC).date(), "week", DAYS)
    before = datetime.combine(start - timedelta(days=1), clock(8), tzinfo=UTC).isoformat()
    opening = [
        ("SMOOTH", "WH1/A", "320"),  # 320 - 280 sold = 40 left
        ("PLENTY", "WH1/A", "1000"),  # 720 left
        ("DC-ITEM", "WH1/A", "150"),  # 150 - 140 = 10 left
        ("DC-ITEM", "WH2", "500"),
        ("NOSUP", "WH1/A", "100"),  # 100 - 56 = 44 left
    ]
    lines = [
        {"sku": s, "from": "@supplier", "to": loc, "quantity": q, "effective_at": before}
        for s, loc, q in opening
    ]
    lines += _sales("SMOOTH", "10", start) + _sales("PLENTY", "10", start)
    lines += _sales("DC-ITEM", "5", start) + _sales("NOSUP", "2", start)
    r = http.post("/postings", json={"movements": lines})
    assert r.status_code == 201, r.text
    policy = {"sku": "DC-ITEM", "warehouse": "WH1", "kind": "s_q", "source_warehouse": "WH2",
              "transfer_days": 2, "order_qty": "60"}  # fmt: skip
    assert http.put("/planning/policies", json=policy).status_code == 200
    jit = {"sku": "JIT-ITEM", "warehouse": "WH1", "kind": "jit"}
    assert http.put("/planning/policies", json=jit).status_code == 200
    # 12 JIT-ITEM ordered by a customer, none in stock: backordered.
    so = {"warehouse": "WH1", "customer": "C1", "lines": [{"sku": "JIT-ITEM", "quantity": "12"}]}
    r = http.post("/sales-orders", json=so)
    assert r.status_code == 201, r.text
    return tenant


def _run(shop: Tenant, **body: Any) -> dict[str, Any]:
    r = shop.http.post("/planning/runs", json={"warehouse": "WH1", "history_days": DAYS} | body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _lines(shop: Tenant, number: str) -> dict[str, dict[str, Any]]:
    r = shop.http.get(f"/planning/runs/{number}/lines", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return {x["sku"]: x for x in r.json()["lines"]}


def test_a_run_suggests_orders_worked_by_hand(shop: Tenant) -> None:
    run = _run(shop)
    assert run["status"] == "done"
    assert run["items"] == 5
    assert run["parameters"]["history_days"] == DAYS
    assert run["parameters"]["versions"]["statsforecast"]
    lines = _lines(shop, run["number"])

    smooth = lines["SMOOTH"]
    assert smooth["forecast"]["demand_per_day"] == pytest.approx(10.0)
    assert smooth["forecast"]["demand_sd_per_day"] == pytest.approx(0.0)
    # No error, no lead-time spread: no safety stock; reorder point = 10 a day x 7 days.
    assert Decimal(smooth["policy"]["safety_stock"]) == 0
    assert Decimal(smooth["policy"]["reorder_point"]) == 70
    # EOQ = sqrt(2 x 3650 x 50 / (2 x 0.25)) = 854.4, up to 855 units, then packs of 100.
    assert math.ceil(math.sqrt(2 * 3650 * 50 / 0.5)) == 855
    assert Decimal(smooth["policy"]["order_qty"]) == 855
    assert smooth["stock"]["on_hand"] == "40"
    assert (smooth["status"], smooth["source"], smooth["supplier"]) == (
        "proposed",
        "purchase",
        "ACME",
    )
    assert Decimal(smooth["qty"]) == 900
    assert "reorder point 70" in smooth["reason"]
    assert "projected -30 at arrival" in smooth["reason"]
    assert "packs" in smooth["reason"] or "pack size" in smooth["reason"]

    plenty = lines["PLENTY"]
    assert plenty["status"] == "none"
    assert Decimal(plenty["qty"]) == 0
    assert "nothing to order" in plenty["reason"]

    dc = lines["DC-ITEM"]
    # 5 a day over a 2-day transfer: reorder point 10, position 10: order Q = 60 from WH2.
    assert Decimal(dc["policy"]["reorder_point"]) == 10
    assert (dc["status"], dc["source"], dc["source_warehouse"]) == ("proposed", "transfer", "WH2")
    assert Decimal(dc["qty"]) == 60

    nosup = lines["NOSUP"]
    # 2 a day over the default 7 days: 14; 44 on hand: nothing to order, and no source anyway.
    assert Decimal(nosup["policy"]["reorder_point"]) == 14
    assert nosup["source"] == "none"

    jit = lines["JIT-ITEM"]
    assert jit["stock"]["backordered"] == "12"
    assert (jit["status"], Decimal(jit["suggested_qty"])) == ("proposed", 100)  # 12, one pack
    assert "committed beyond stock" in jit["reason"]


def test_accepting_makes_draft_orders_per_supplier_and_transfers_per_source(shop: Tenant) -> None:
    number = _run(shop)["number"]
    http = shop.http
    r = http.patch(f"/planning/runs/{number}/lines/SMOOTH", json={"qty": "1000"})
    assert r.status_code == 200, r.text
    assert (r.json()["qty"], r.json()["edited"]) == ("1000", True)
    r = http.post(f"/planning/runs/{number}/reject", json={"skus": ["JIT-ITEM"]})
    assert r.json() == {"run": number, "rejected": ["JIT-ITEM"]}
    r = http.post(f"/planning/runs/{number}/accept", json={})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["accepted"] == 2
    (po,) = got["purchase_orders"]
    (tr,) = got["transfers"]
    assert (po["supplier"], po["lines"]) == ("ACME", 1)
    assert (tr["source"], tr["lines"]) == ("WH2", 1)
    order = http.get(f"/purchase-orders/{po['number']}").json()
    assert order["status"] == "draft"
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [("SMOOTH", "1000")]
    transfer = http.get(f"/transfers/{tr['number']}").json()
    assert transfer["status"] == "planned"
    lines = _lines(shop, number)
    assert lines["SMOOTH"]["document"] == po["number"]
    assert lines["DC-ITEM"]["document"] == tr["number"]
    assert lines["JIT-ITEM"]["status"] == "rejected"
    # Accepting again finds nothing left; a decided line cannot be edited.
    assert_problem(http.post(f"/planning/runs/{number}/accept", json={}), 422, "nothing_to_accept")
    assert_problem(
        http.patch(f"/planning/runs/{number}/lines/SMOOTH", json={"qty": "5"}), 409, "line_decided"
    )
    # The next run sees the PO and the transfer on order: nothing more to order for them.
    rerun = _lines(shop, _run(shop)["number"])
    assert rerun["SMOOTH"]["stock"]["on_order"] == "1000"
    assert rerun["SMOOTH"]["status"] == "none"
    assert rerun["DC-ITEM"]["stock"]["on_order"] == "60"


def test_an_empty_warehouse_and_an_sku_named_twice(shop: Tenant) -> None:
    shop.location("WH3")
    empty = _run(shop, warehouse="WH3")
    assert (empty["status"], empty["items"], empty["suggestions"]) == ("done", 0, 0)
    twice = _run(shop, skus=["SMOOTH", "SMOOTH", "PLENTY"])
    assert twice["items"] == 2
    assert sorted(_lines(shop, twice["number"])) == ["PLENTY", "SMOOTH"]


def test_only_the_newest_run_can_be_acted_on(shop: Tenant) -> None:
    first = _run(shop)["number"]
    _run(shop)
    before = shop.fingerprint()
    assert_problem(shop.http.post(f"/planning/runs/{first}/accept", json={}), 409, "run_superseded")
    assert shop.fingerprint() == before
    runs = shop.http.get("/planning/runs", params={"warehouse": "WH1"}).json()
    assert [r["number"] for r in runs][1] == first  # newest first


def test_a_background_run_reports_its_progress(shop: Tenant) -> None:
    r = shop.http.post(
        "/planning/runs", json={"warehouse": "WH1", "history_days": DAYS, "background": True}
    )
    assert r.status_code == 202, r.text
    number = r.json()["number"]
    assert r.headers["location"].endswith(number)
    deadline = time.monotonic() + 60
    while (got := shop.http.get(f"/planning/runs/{number}").json())["status"] == "running":
        assert time.monotonic() < deadline, got
        time.sleep(0.2)
    assert got["status"] == "done"
    assert got["progress"]["done"] == got["progress"]["total"]
    assert got["lines_by_status"]["proposed"] >= 1


def test_a_run_whose_process_stopped_is_interrupted_and_a_new_run_starts(shop: Tenant) -> None:
    stopped = leave_running(shop.db, shop.org.org_id, silent_for=STALE_AFTER * 2)

    got = shop.http.get(f"/planning/runs/{stopped}").json()
    listed = shop.http.get("/planning/runs", params={"warehouse": "WH1"}).json()

    assert (got["status"], got["stage"]) == ("interrupted", "forecast")
    assert got["error"].endswith("start it again")
    assert [(r["number"], r["status"]) for r in listed] == [(stopped, "interrupted")]
    again = _run(shop)
    assert (again["status"], again["progress"]["done"]) == ("done", again["progress"]["total"])
    runs = shop.http.get("/planning/runs", params={"warehouse": "WH1"}).json()
    assert [(r["number"], r["status"]) for r in runs] == [
        (again["number"], "done"),
        (stopped, "interrupted"),
    ]


def test_a_live_run_is_running_and_a_second_run_of_its_warehouse_waits(shop: Tenant) -> None:
    live = leave_running(shop.db, shop.org.org_id, silent_for=timedelta(seconds=20))
    before = shop.fingerprint()

    got = shop.http.get(f"/planning/runs/{live}").json()
    refused = shop.http.post("/planning/runs", json={"warehouse": "WH1", "history_days": DAYS})

    assert (got["status"], got["error"]) == ("running", None)
    assert live in assert_problem(refused, 409, "run_in_progress")["detail"]
    assert shop.fingerprint() == before
    other = shop.http.post("/planning/runs", json={"warehouse": "WH2", "history_days": DAYS})
    assert other.status_code == 201, other.text


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"warehouse": "WH9"}, 404, "location_not_found"),
        ({"warehouse": "WH1/A"}, 422, "not_a_warehouse"),
        ({"skus": ["NOPE"]}, 404, "sku_not_found"),
        ({"bucket": "year"}, 422, "validation_error"),
        ({"defaults": {"service_level": "1.5"}}, 422, "invalid_service_level"),
        ({"defaults": {"carrying_rate": "0"}}, 422, "invalid_carrying_rate"),
        ({"defaults": {"service_level": 0.95}}, 422, "inexact_number"),
    ],
)
def test_bad_run_requests_change_nothing(
    shop: Tenant, body: dict[str, Any], status: int, code: str
) -> None:
    before = shop.fingerprint()
    r = shop.http.post("/planning/runs", json={"warehouse": "WH1", "history_days": DAYS} | body)
    assert_problem(r, status, code)
    assert shop.fingerprint() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "sometimes"}, 422, "validation_error"),
        ({"kind": "min_max", "min_qty": "5"}, 422, "min_max_pair"),
        ({"kind": "min_max", "min_qty": "9", "max_qty": "3"}, 422, "min_above_max"),
        ({"kind": "s_q", "order_qty": "0.5"}, 422, "quantity_precision"),
        ({"kind": "s_q", "order_qty": "-1"}, 422, "invalid_quantity"),
        ({"kind": "s_q", "source_warehouse": "WH1"}, 422, "source_is_destination"),
        ({"kind": "s_q", "sku": "NOPE"}, 404, "sku_not_found"),
    ],
)
def test_bad_policies_change_nothing(
    shop: Tenant, body: dict[str, Any], status: int, code: str
) -> None:
    before = shop.fingerprint()
    r = shop.http.put("/planning/policies", json={"sku": "SMOOTH", "warehouse": "WH1"} | body)
    assert_problem(r, status, code)
    assert shop.fingerprint() == before


def test_policies_are_listed_and_cleared(shop: Tenant) -> None:
    http = shop.http
    listed = http.get("/planning/policies", params={"warehouse": "WH1"}).json()
    assert [(p["sku"], p["kind"]) for p in listed] == [("DC-ITEM", "s_q"), ("JIT-ITEM", "jit")]
    assert listed[0]["source_warehouse"] == "WH2"
    r = http.delete("/planning/policies/JIT-ITEM", params={"warehouse": "WH1"})
    assert r.status_code == 204
    assert_problem(
        http.get("/planning/policies/JIT-ITEM", params={"warehouse": "WH1"}),
        404,
        "policy_not_found",
    )


def test_decisions_need_the_planning_role_and_the_warehouse(shop: Tenant) -> None:
    number = _run(shop)["number"]
    clerk = shop.user("clerk")
    elsewhere = shop.user("manager", warehouses=["WH2"])
    before = shop.fingerprint()
    assert_problem(
        clerk.http.post(f"/planning/runs/{number}/accept", json={}), 403, "permission_denied"
    )
    assert_problem(
        clerk.http.post("/planning/runs", json={"warehouse": "WH1"}), 403, "permission_denied"
    )
    assert clerk.http.get(f"/planning/runs/{number}").status_code == 200  # reading is allowed
    assert_problem(elsewhere.http.get(f"/planning/runs/{number}"), 403, "warehouse_not_allowed")
    assert shop.fingerprint() == before


def test_another_organisation_sees_nothing(shop: Tenant, other: Tenant) -> None:
    number = _run(shop)["number"]
    assert_problem(other.http.get(f"/planning/runs/{number}"), 404, "planning_run_not_found")
    assert other.http.get("/planning/runs").json() == []
