"""Traces, recalls, proofs and checkpoints over HTTP: the answers, their OpenAPI schemas, and
bad requests refused with a status, a stable code and a sentence, changing nothing. The lot's
story is built through the services on the server's own database (trace_fixture.py)."""

from __future__ import annotations

from typing import Any

import pytest

from onhand.domain.trace_proof import verify_proof
from onhand.services import verify
from tests.e2e.conftest import Tenant, assert_problem
from tests.integration.trace_fixture import LotStory, build_lot_story


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture
def story(tenant: Tenant) -> LotStory:
    return build_lot_story(tenant.db, tenant.org.actor)


def test_a_trace_a_recall_and_a_proof_over_http(tenant: Tenant, story: LotStory) -> None:
    http = tenant.http
    got = ok(http.get("/trace", params={"sku": "MILK", "lot": "L1"}))
    rec = got["reconciliation"]
    assert (rec["received"], rec["shipped"], rec["on_hand"], rec["balanced"]) == (
        "75.0", "31.0", "43.0", True,
    )  # fmt: skip
    assert [c["customer"] for c in got["customers"]] == ["Alice", "Bob", "Carol"]
    assert got["movement_count"] == len(got["movements"])
    assert got["movements"][0]["from"] == "@supplier"
    few = ok(http.get("/trace", params={"sku": "MILK", "lot": "L1", "movements": 2}))
    assert len(few["movements"]) == 2
    serial = ok(http.get("/trace", params={"sku": "PHONE", "serial": story.serial}))
    assert serial["serial"]["location"] == "WH1/A/02"

    made = ok(http.post("/recalls", json={"sku": "MILK", "lot": "L1", "reason": "listeria"}), 201)
    assert [(c["customer"], c["net"]) for c in made["customers"]] == [
        ("Alice", "10.0"), ("Bob", "13.0"), ("Carol", "5.0"),
    ]  # fmt: skip
    assert made["remaining_total"] == "43.0"
    again = ok(http.post("/recalls", json={"sku": "MILK", "lot": "L1", "reason": "again"}))
    assert (again["number"], again["replayed"]) == (made["number"], True)
    assert ok(http.get(f"/recalls/{made['number']}"))["on_hold"] is True
    listed = ok(http.get("/recalls", params={"status": "open"}))
    assert [r["number"] for r in listed] == [made["number"]]
    assert ok(http.get("/items/MILK/lots/L1"))["on_hold"] is True
    assert_problem(http.patch("/items/MILK/lots/L1", json={"on_hold": False}), 409, "lot_recalled")

    verify.checkpoint(tenant.db)
    proof = ok(http.get("/trace/proof", params={"sku": "MILK", "lot": "L1"}))
    published = {c["id"]: c["hash"] for c in ok(http.get("/checkpoints"))}
    report = verify_proof(proof, published)
    assert report.findings == []
    assert report.complete
    proof["chain"][0]["qty"] += 1
    assert not verify_proof(proof, published).ok

    released = ok(http.post(f"/recalls/{made['number']}/release", json={"note": "all clear"}))
    assert (released["status"], released["on_hold"]) == ("released", False)
    assert ok(http.get("/items/MILK/lots/L1"))["on_hold"] is False


def test_bad_trace_and_recall_requests_are_refused_and_change_nothing(
    tenant: Tenant, story: LotStory
) -> None:
    http = tenant.http
    tenant.item("BOLT-X")
    clerk = tenant.user("clerk")
    narrow = tenant.user("manager", warehouses=["WH1"])
    before = tenant.fingerprint()
    cases = [
        ({"sku": "NOPE", "lot": "L1"}, 404, "sku_not_found"),
        ({"sku": "MILK", "lot": "L9"}, 404, "lot_not_found"),
        ({"sku": "PHONE", "serial": "SN-404"}, 404, "serial_not_found"),
        ({"sku": "MILK", "serial": "SN-1"}, 422, "serial_not_tracked"),
        ({"sku": "PHONE", "lot": "L1"}, 422, "lot_not_tracked"),
        ({"sku": "MILK"}, 422, "lot_required"),
        ({"sku": "MILK", "lot": "L1", "serial": "SN-1"}, 422, "lot_and_serial"),
        ({"sku": "BOLT-X", "lot": "L1"}, 422, "item_not_tracked"),
    ]
    for params, status, code in cases:
        assert_problem(http.get("/trace", params=params), status, code)
        assert_problem(http.get("/trace/proof", params=params), status, code)
        body = {**params, "reason": "a test"}
        assert_problem(http.post("/recalls", json=body), status, code)
    assert_problem(http.get("/trace", params={"lot": "L1"}), 422, "validation_error")
    assert_problem(
        http.get("/trace/proof", params={"sku": "MILK", "lot": "L1", "checkpoint": 2**31 - 2}),
        404,
        "checkpoint_not_found",
    )
    assert_problem(
        http.post("/recalls", json={"sku": "MILK", "lot": "L1"}), 422, "validation_error"
    )
    assert_problem(
        http.post("/recalls", json={"sku": "MILK", "lot": "L1", "reason": "  "}),
        422,
        "missing_reason",
    )
    assert_problem(http.get("/recalls/RC-404"), 404, "recall_not_found")
    assert_problem(http.post("/recalls/RC-404/release"), 404, "recall_not_found")
    assert_problem(http.get("/recalls", params={"status": "closed"}), 422, "validation_error")
    assert_problem(
        clerk.http.post("/recalls", json={"sku": "MILK", "lot": "L1", "reason": "x"}),
        403,
        "permission_denied",
    )
    assert ok(clerk.http.get("/trace", params={"sku": "MILK", "lot": "L1"}))["sku"] == "MILK"
    assert_problem(
        narrow.http.get("/trace", params={"sku": "MILK", "lot": "L1"}),
        403,
        "trace_needs_all_warehouses",
    )
    assert tenant.fingerprint() == before


def test_another_organisation_cannot_trace_or_recall_the_lot(
    tenant: Tenant, other: Tenant, story: LotStory
) -> None:
    assert_problem(
        other.http.get("/trace", params={"sku": "MILK", "lot": "L1"}), 404, "sku_not_found"
    )
    body = {"sku": "MILK", "lot": "L1", "reason": "x"}
    assert_problem(other.http.post("/recalls", json=body), 404, "sku_not_found")
    made = ok(tenant.http.post("/recalls", json=body), 201)
    assert_problem(other.http.get(f"/recalls/{made['number']}"), 404, "recall_not_found")


def test_the_openapi_document_describes_the_traceability_routes(tenant: Tenant) -> None:
    doc = ok(tenant.http.get(f"{tenant.api.url}/openapi.json"))
    paths = doc["paths"]
    for path, method in (
        ("/api/v1/trace", "get"),
        ("/api/v1/trace/proof", "get"),
        ("/api/v1/checkpoints", "get"),
        ("/api/v1/recalls", "post"),
        ("/api/v1/recalls/{number}", "get"),
        ("/api/v1/recalls/{number}/release", "post"),
    ):
        op = paths[path][method]
        assert "200" in op["responses"] or "201" in op["responses"], path
        assert "404" in op["responses"]
    schemas = doc["components"]["schemas"]
    assert {"TraceRead", "RecallRead", "RecallCreate", "TraceProof", "CheckpointRead"} <= set(
        schemas
    )
    assert "reconciliation" in schemas["TraceRead"]["properties"]
