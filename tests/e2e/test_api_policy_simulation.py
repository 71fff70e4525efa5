"""Policy simulation over HTTP (POST /planning/simulations), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Tenant, assert_problem

RANGE = {"start": "2026-03-01", "end": "2026-03-20"}


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.location("WH2")
    tenant.item("BOLT", unit_cost="2.00")
    tenant.item("NUT")
    r = tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme", "lead_time_days": 1})
    assert r.status_code == 201, r.text
    r = tenant.http.put("/suppliers/ACME/items/BOLT", json={"price": "1.50", "preferred": True})
    assert r.status_code in (200, 201), r.text
    tenant.move("BOLT", "@supplier", "WH1/A", "500", effective_at="2026-02-20T10:00:00Z")
    # 5 a day for 20 days, 1 to 20 March.
    for day in range(1, 21):
        tenant.move("BOLT", "WH1/A", "@customer", "5", effective_at=f"2026-03-{day:02d}T12:00:00Z")
    return tenant


def _body(**kw: Any) -> dict[str, Any]:
    return {"sku": "BOLT", "location": "WH1", **RANGE, **kw}


def test_history_through_three_policies(shop: Tenant) -> None:
    policies = [
        # Constant demand of 5 a day, s = 10, Q = 20, L = 1 (the supplier's): the order placed
        # when the position reaches 10 arrives before the 10 units are gone. Never short.
        {"kind": "s_q", "name": "fixed", "reorder_point": 10, "order_quantity": 20},
        {"kind": "s_q", "service_level": 0.95, "order_quantity": 20},
        {"kind": "jit"},
    ]
    r = shop.http.post("/planning/simulations", json=_body(policies=policies, order_cost="10"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["demand"]["kind"] == "history"
    assert got["demand"]["days"] == 20
    assert got["demand"]["total"] == 100
    assert got["demand"]["mean"] == 5
    assert got["demand"]["sd"] == 0
    assert got["lead_time"]["source"] == "supplier ACME"
    assert got["lead_time"]["mean_days"] == 1
    assert got["unit_cost"] == "2.000000"
    fixed, target, jit = got["policies"]
    assert fixed["name"] == "fixed"
    assert fixed["method"] == "given"
    assert fixed["fill_rate"] == 1
    assert fixed["stockout_days"] == 0
    # Start 30; orders on days 3, 7, 11, 15, 19 (position 10 each time): 5 orders at 10.
    assert fixed["orders"] == 5
    assert fixed["ordering_cost"] == 50
    # No variability: the model puts s between the demand over L (5) and over L + 1 (10),
    # where (10 - s)^2 / 2 / Q = 5 % of a day's demand: s = 10 - sqrt(10).
    assert target["method"] == "normal"
    assert target["reorder_point"] == pytest.approx(10 - 10**0.5, abs=1e-6)
    assert target["expected_fill_rate"] == pytest.approx(0.95)
    assert jit["fill_rate"] == 0
    assert jit["backordered_units"] == 100
    assert jit["average_on_hand"] == 0


def test_generated_demand_meets_its_target(shop: Tenant) -> None:
    body = {
        "sku": "BOLT",
        "generated": {"kind": "normal", "days": 40000, "mean": 10, "sd": 3},
        "lead_time_days": 4,
        "policies": [
            {"kind": "r_s", "review_period": 7, "service_level": 0.95},
            {
                "kind": "min_max",
                "service_level": 0.95,
                "service_type": "cycle",
                "order_quantity": 50,
            },
        ],
        "seed": 3,
        "warmup_days": 200,
    }
    r = shop.http.post("/planning/simulations", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["demand"]["kind"] == "generated"
    assert got["demand"]["measured_days"] == 39800
    assert got["lead_time"]["source"] == "request"
    rs, mm = got["policies"]
    assert abs(rs["fill_rate"] - 0.95) < 0.02
    assert abs(mm["cycle_service"] - 0.95) < 0.02
    assert rs["holding_cost"] > 0
    again = shop.http.post("/planning/simulations", json=body).json()
    assert again == got  # seeded


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"sku": "NOPE"}, 404, "sku_not_found"),
        ({"location": "WH9"}, 404, "location_not_found"),
        ({"location": None}, 422, "no_demand_source"),
        ({"start": "2026-04-01"}, 422, "invalid_range"),
        ({"sku": "NUT"}, 422, "no_lead_time"),
        ({"policies": [{"kind": "r_s"}]}, 422, "policy_incomplete"),
        (
            {"policies": [{"kind": "min_max", "reorder_point": 9, "order_up_to": 3}]},
            422,
            "invalid_policy_level",
        ),
        ({"policies": [{"kind": "s_q", "service_level": 0.9}]}, 422, "policy_incomplete"),
        ({"policies": [{"kind": "jit"}] * 21}, 422, "validation_error"),
        ({"policies": [{"kind": "s_x"}]}, 422, "validation_error"),
        ({"unit_cost": 2.5}, 422, "inexact_number"),
        ({"warmup_days": 20}, 422, "invalid_warmup"),
    ],
)
def test_bad_simulations_get_a_clear_4xx(
    shop: Tenant, change: dict[str, Any], status: int, code: str
) -> None:
    before = shop.fingerprint()
    body = _body(policies=[{"kind": "jit"}]) | change
    assert_problem(shop.http.post("/planning/simulations", json=body), status, code)
    assert shop.fingerprint() == before


def test_a_user_of_another_warehouse_is_refused(shop: Tenant) -> None:
    clerk = shop.user("clerk", warehouses=["WH2"])
    body = _body(policies=[{"kind": "jit"}])
    assert_problem(
        clerk.http.post("/planning/simulations", json=body), 403, "warehouse_not_allowed"
    )
    mine = clerk.http.post("/planning/simulations", json=body | {"location": "WH2"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["demand"]["total"] == 0
