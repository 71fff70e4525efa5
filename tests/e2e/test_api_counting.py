"""Cycle counting over HTTP: a clerk counts blind, recounts, a manager approves; clerks are refused
decisions; settings, plans, classes and reports; errors as problems that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import PROBLEM, Tenant, assert_problem

BLIND = {"book", "variance", "tolerance", "value", "first_book", "first_within"}


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.location("01", "WH1/A")
    tenant.location("02", "WH1/A")
    tenant.item("BOLT", unit_cost="2.50")
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    tenant.move("BOLT", "@supplier", "WH1/A/01", "50")
    tenant.move("MILK", "@supplier", "WH1/A/02", "4", lot="L1")
    return tenant


def test_a_clerk_counts_blind_recounts_and_a_manager_approves(shop: Tenant) -> None:
    clerk, manager = shop.user("clerk"), shop.user("manager")
    made = manager.http.post("/counts", json={"location": "WH1/A"})
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    assert made.json() == {"number": number, "lines": 2}
    assert number.startswith("CC-")

    shown = clerk.http.get(f"/counts/{number}").json()
    assert [(x["location"], x["sku"], x["lot"]) for x in shown["lines"]] == [
        ("WH1/A/01", "BOLT", None),
        ("WH1/A/02", "MILK", "L1"),
    ]
    assert all(not BLIND & set(x) for x in shown["lines"])
    assert "variance_value" not in shown

    body = {"location": "WH1/A/01", "lines": [{"sku": "BOLT", "quantity": "40"}]}
    first = clerk.http.post(f"/counts/{number}/records", json=body)
    assert first.status_code == 200, first.text
    bolt = first.json()["lines"][0]
    assert (bolt["status"], bolt["counted"]) == ("recount", "40")
    assert not BLIND & set(bolt)
    second = clerk.http.post(f"/counts/{number}/records", json=body).json()["lines"][0]
    assert (second["status"], second["count_no"]) == ("review", 2)

    shop.move("BOLT", "WH1/A/01", "@customer", "5")  # ships while the count waits
    assert_problem(clerk.http.post(f"/counts/{number}/approve", json={}), 403, "permission_denied")
    review = manager.http.get(f"/counts/{number}").json()
    assert (review["lines"][0]["book"], review["lines"][0]["variance"]) == ("50", "-10")
    assert review["lines"][0]["value"] == "-25.00"
    assert review["variance_value"] == "-25.00"

    approved = manager.http.post(f"/counts/{number}/approve", json={"reason": "damaged"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["lines"][0]["status"] == "approved"
    assert approved.json()["lines"][0]["reason"] == "damaged"
    assert shop.total("BOLT") == Decimal(35)  # 40 on the shelf less 5 shipped

    milk = {"location": "WH1/A/02", "lines": [{"sku": "MILK", "lot": "L1", "quantity": "4.0"}]}
    done = clerk.http.post(f"/counts/{number}/records", json=milk).json()
    assert done["status"] == "closed"
    assert [c["status"] for c in clerk.http.get("/counts", params={"status": "closed"}).json()] == [
        "closed"
    ]
    report = manager.http.get("/counting/variances").json()
    assert [(x["sku"], x["variance"], x["value"]) for x in report["lines"]] == [
        ("BOLT", "-10", "-25.00")
    ]
    assert report["posted_value"] == [{"currency": "EUR", "value": "-25.00"}]
    week = manager.http.get("/counting/accuracy", params={"period": "day"}).json()
    assert (week["counted"], week["within"], week["accuracy_pct"]) == (2, 1, "50.0")
    assert [x["warehouse"] for x in week["by_warehouse"]] == ["WH1"]
    assert [x["class"] for x in week["by_class"]] == ["C"]


def test_settings_classes_and_the_daily_plan(shop: Tenant) -> None:
    http = shop.http
    assert http.get("/counting/settings").json()["frequency"] == {"A": 12, "B": 4, "C": 2}
    r = http.put("/counting/settings", json={"frequency": {"C": 365}, "tolerance_pct": {"A": "2"}})
    assert r.status_code == 200, r.text
    assert r.json()["frequency"] == {"A": 12, "B": 4, "C": 365}
    assert r.json()["tolerance_pct"]["A"] == "2"
    assert_problem(http.get("/counting/classes"), 404, "no_classification")

    shop.move("BOLT", "WH1/A/01", "@customer", "10")
    run = http.post("/counting/classifications", json={})
    assert run.status_code == 201, run.text
    assert [(x["sku"], x["abc"], x["value"]) for x in run.json()["items"]] == [
        ("BOLT", "A", "25.00"),
        ("MILK", "C", "0.00"),
    ]
    assert http.get("/counting/classes", params={"abc": "C"}).json()["items"][0]["sku"] == "MILK"

    monday = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).weekday())
    plan = http.post("/counting/plans", json={"date": monday.isoformat()})
    assert plan.status_code == 200, plan.text
    again = http.post("/counting/plans", json={"date": monday.isoformat()}).json()
    assert again["documents"] == plan.json()["documents"]
    assert again["created"] == 0
    # C counted daily: MILK is in the plan (BOLT, class A, monthly, may wait its turn).
    lines = http.get(f"/counts/{plan.json()['documents'][0]['number']}").json()["lines"]
    assert ("WH1/A/02", "MILK") in [(x["location"], x["sku"]) for x in lines]
    sunday = monday - timedelta(days=1)
    assert_problem(
        http.post("/counting/plans", json={"date": sunday.isoformat()}), 422, "not_a_working_day"
    )


def test_refused_counting_requests_are_problems_and_change_nothing(
    shop: Tenant, other: Tenant
) -> None:
    http = shop.http
    number = http.post("/counts", json={"location": "WH1/A/01"}).json()["number"]
    clerk = shop.user("clerk")
    before = shop.fingerprint()
    rec = f"/counts/{number}/records"
    cases = [
        (
            http.post(
                rec, json={"location": "WH1/A/01", "lines": [{"sku": "BOLT", "quantity": 1.5}]}
            ),
            422,
            "inexact_number",
        ),
        (
            http.post(
                rec, json={"location": "WH1/A/01", "lines": [{"sku": "NOPE", "quantity": "1"}]}
            ),
            422,
            "sku_not_found",
        ),
        (
            http.post(
                rec, json={"location": "WH1/A/02", "lines": [{"sku": "BOLT", "quantity": "1"}]}
            ),
            422,
            "location_outside_count",
        ),
        (
            http.post(
                rec, json={"location": "WH1/A/01", "lines": [{"sku": "BOLT", "quantity": "-1"}]}
            ),
            422,
            "quantity_not_positive",
        ),
        (http.post(rec, json={"location": "WH1/A/01", "lines": []}), 422, "invalid_line_count"),
        (
            http.post(
                "/counts/CC-999999/records",
                json={"location": "WH1/A/01", "lines": [{"sku": "BOLT", "quantity": "1"}]},
            ),
            404,
            "count_not_found",
        ),
        (http.post("/counts", json={"location": "WH1", "sku": "BOLT"}), 422, "invalid_count_scope"),
        (http.post("/counts", json={"discrepancies": True}), 422, "nothing_to_count"),
        (http.post("/counts", json={"sku": "NOPE"}), 404, "sku_not_found"),
        (http.post(f"/counts/{number}/approve", json={"lines": [7]}), 404, "count_line_not_found"),
        (http.put("/counting/settings", json={"frequency": {"A": 0}}), 422, "validation_error"),
        (
            http.put("/counting/settings", json={"abc_a_pct": "90", "abc_b_pct": "20"}),
            422,
            "invalid_abc_cutoffs",
        ),
        (http.get("/counting/accuracy", params={"period": "year"}), 422, "validation_error"),
        (
            http.get("/counting/accuracy", params={"from": "2026-02-01", "to": "2026-01-01"}),
            422,
            "invalid_range",
        ),
        (clerk.http.post("/counts", json={"sku": "BOLT"}), 403, "permission_denied"),
        (clerk.http.put("/counting/settings", json={"bucket": "month"}), 403, "permission_denied"),
        (clerk.http.post(f"/counts/{number}/reject", json={}), 403, "permission_denied"),
        (clerk.http.get("/counting/variances"), 403, "permission_denied"),
        (other.http.get(f"/counts/{number}"), 404, "count_not_found"),
    ]
    for response, status, code in cases:
        assert_problem(response, status, code)
    assert shop.fingerprint() == before


QTY = st.sampled_from(
    ["1", "0", "-0", "-1", "0.5", "1e3", "1e400", "NaN", "Infinity", "x", "", " 2 "]
) | st.integers(min_value=-(2**70), max_value=2**70)
DATES = st.sampled_from(["2026-12-07", "0001-01-01", "9999-12-31", "2026-02-30", "x", None])
ENTRY = st.fixed_dictionaries(
    {"sku": st.sampled_from(["BOLT", "MILK", "NOPE", "", "A\x00"]), "quantity": QTY},
    optional={
        "lot": st.sampled_from(["L1", "L2", "", None]),
        "serial": st.sampled_from(["S1", "", None]),
    },
)
PER_CLASS = st.dictionaries(
    st.sampled_from(["A", "B", "C", "D"]), QTY | st.sampled_from([0, 1, 400]), max_size=3
)
REQUESTS = st.one_of(
    st.tuples(
        st.just("records"),
        st.fixed_dictionaries(
            {
                "location": st.sampled_from(["WH1/A/01", "WH1/A/02", "WH1", "@customer", "NOPE"]),
                "lines": st.lists(ENTRY, max_size=3),
            },
            optional={"complete": st.booleans()},
        ),
    ),
    st.tuples(
        st.just("settings"),
        st.fixed_dictionaries(
            {},
            optional={
                "frequency": PER_CLASS,
                "tolerance_pct": PER_CLASS,
                "tolerance_units": PER_CLASS,
                "abc_a_pct": QTY,
                "xyz_y_cv": QTY,
                "working_days": st.lists(st.integers(-1, 8), max_size=8),
                "window_days": st.integers(-5, 5000),
            },
        ),
    ),
    st.tuples(st.just("plans"), st.fixed_dictionaries({"date": DATES})),
    st.tuples(st.just("classify"), st.fixed_dictionaries({"as_of": DATES})),
    st.tuples(
        st.just("accuracy"),
        st.fixed_dictionaries(
            {"from": DATES, "to": DATES, "period": st.sampled_from(["day", "week", "x"])}
        ),
    ),
)


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(request=REQUESTS)
def test_awkward_counting_requests_never_get_a_server_error(
    shop: Tenant, request: tuple[str, dict[str, Any]]
) -> None:
    kind, body = request
    http = shop.http
    number = http.post("/counts", json={"location": "WH1/A"}).json()["number"]
    if kind == "records":
        r = http.post(f"/counts/{number}/records", json=body)
    elif kind == "settings":
        r = http.put("/counting/settings", json=body)
    elif kind == "plans":
        r = http.post("/counting/plans", json=body)
    elif kind == "classify":
        r = http.post("/counting/classifications", json=body)
    else:
        r = http.get("/counting/accuracy", params={k: v for k, v in body.items() if v})
    event(f"{kind} {r.status_code // 100}xx")
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"]
