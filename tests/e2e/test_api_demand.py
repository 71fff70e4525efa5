"""Demand history over HTTP and from the command line: a real server, a real `onhand` process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Tenant, assert_problem
from tests.e2e.test_cli import ok, onhand

RANGE = {"start": "2026-03-23", "end": "2026-04-05"}


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    for code, parent in (("WH1", None), ("A", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    tenant.item("BOLT")
    tenant.move("BOLT", "@supplier", "WH1/A", "5", effective_at="2026-03-20T10:00:00Z")
    tenant.move("BOLT", "WH1/A", "@customer", "3", effective_at="2026-03-24T10:00:00Z")
    tenant.move("BOLT", "@customer", "WH1/A", "1", effective_at="2026-03-25T10:00:00Z")
    tenant.move("BOLT", "WH1/A", "WH2", "1", effective_at="2026-03-26T10:00:00Z")
    # Sunday night: the last 2 go; nothing is left until the end of the range.
    tenant.move("BOLT", "WH1/A", "@customer", "2", effective_at="2026-03-29T23:30:00Z")
    return tenant


def test_weekly_demand_with_stockout_days(shop: Tenant) -> None:
    r = shop.http.get("/planning/demand", params={"sku": "BOLT", "location": "WH1"} | RANGE)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["total"] == "4"
    assert [(x["start"], x["days"], x["qty"], x["stockout_days"]) for x in got["series"]] == [
        ("2026-03-23", 7, "4", 1),
        ("2026-03-30", 7, "0", 7),
    ]
    assert [x["out_of_stock"] for x in got["series"]] == [True, True]
    monthly = shop.http.get(
        "/planning/demand",
        params={"sku": "BOLT", "location": "WH1/A", "bucket": "month"} | RANGE,
    ).json()
    assert [(x["start"], x["qty"]) for x in monthly["series"]] == [
        ("2026-03-01", "4"),
        ("2026-04-01", "0"),
    ]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"bucket": "quarter"}, 422, "invalid_bucket"),
        ({"start": "2026-04-06"}, 422, "invalid_range"),
        ({"start": "2019-01-01"}, 422, "range_too_long"),
        ({"sku": "NOPE"}, 404, "sku_not_found"),
        ({"location": "WH9"}, 404, "location_not_found"),
        ({"location": "@scrap"}, 422, "not_a_stock_location"),
    ],
)
def test_bad_questions_get_a_clear_4xx(
    shop: Tenant, params: dict[str, str], status: int, code: str
) -> None:
    before = shop.fingerprint()
    query = {"sku": "BOLT", "location": "WH1"} | RANGE | params
    body = assert_problem(shop.http.get("/planning/demand", params=query), status, code)
    assert shop.fingerprint() == before
    assert body["detail"]


def test_a_malformed_date_is_a_422_not_a_500(shop: Tenant) -> None:
    r = shop.http.get(
        "/planning/demand", params={"sku": "BOLT", "location": "WH1", "start": "2026-13-01"}
    )
    assert r.status_code == 422


def test_a_user_of_another_warehouse_is_refused(shop: Tenant) -> None:
    clerk = shop.user("clerk", warehouses=["WH2"])
    query = {"sku": "BOLT"} | RANGE
    assert_problem(
        clerk.http.get("/planning/demand", params=query | {"location": "WH1"}),
        403,
        "warehouse_not_allowed",
    )
    mine = clerk.http.get("/planning/demand", params=query | {"location": "WH2"})
    assert mine.status_code == 200
    assert [x["stockout_days"] for x in mine.json()["series"]] == [4, 0]  # 23-26: arrived 26th


def test_demand_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'demand.db'}"]

    ok(onhand(*db, "init", "--slug", "plan", "--password", "secret-pw1", cwd=tmp_path))
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\nWH1/A,internal\n")
    (tmp_path / "i.csv").write_text("sku,name\nBOLT,Bolt\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,WH1/A,10\n")
    for kind in ("locations", "items", "balances"):
        ok(onhand(*db, "import", kind, f"{kind[0]}.csv", cwd=tmp_path))
    ok(onhand(*db, "scrap", "BOLT", "WH1/A", "3", "--reason", "damaged", cwd=tmp_path))
    out = ok(onhand(*db, "demand", "BOLT", "WH1", "--bucket", "day", cwd=tmp_path))
    assert "BOLT at WH1" in out
    assert " 3 " in out
    bad = onhand(*db, "demand", "BOLT", "WH1", "--bucket", "year", cwd=tmp_path)
    assert bad.returncode == 2
    assert "day, week or month" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad_date = onhand(*db, "demand", "BOLT", "WH1", "--start", "yesterday", cwd=tmp_path)
    assert bad_date.returncode == 2
    assert "not a date" in bad_date.stderr
