"""KPIs over HTTP, on a real server and database (SQLite and PostgreSQL): a small shop whose
every answer is worked by hand in the comments, per organisation, warehouse, category and
item; carrying-cost settings; access; bad parameters refused with their code.

The period is the last 10 days, today included: day 1 = 9 days ago ... day 10 = today.

    BOLT (hardware) in WH1: 100 received @ 10 twenty days ago (opening 100, worth 1,000);
        all 100 sold on day 5 (5 days ago) without an order (no price): COGS 1,000;
        50 received @ 10 on day 8 (2 days ago).
        End-of-day values: days 1-4 1,000, days 5-7 0, days 8-10 500: sum 5,500, average 550.
        Out of stock at the end of days 5, 6, 7: 3 stockout days.
        A min-max policy with max 20: 50 - 20 = 30 above it, worth 300 (excess).
    GEAR (hardware) in WH1: 30 received @ 2 forty days ago (opening 30, worth 60). Today
        SO-1 (10 @ 5, due 5 days ago) and SO-2 (30 @ 5, due 4 days ago: 20 reserved, 10
        backordered) are shipped: 30 issued, COGS 60, revenue 150.
        End-of-day values: days 1-9 60, day 10 0: sum 540, average 54. Day 10 ends at 0: 1
        stockout day. SO-3 (4, due 30 days ago) is outside the period.
    NUT (fasteners) in WH2: 200 received @ 0.98 thirty days ago, worth 196 all period, never
        sold: average 196; dead after 20 days (not after 180: it is 30 days old); excess (no
        outbound: any stock is more than 365 days of cover). SO-4 of NUT is cancelled:
        not counted.
    OLD: received and sold three months ago: no row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Tenant, assert_problem

TODAY = datetime.now(UTC).date()
START = (TODAY - timedelta(days=9)).isoformat()
END = TODAY.isoformat()


def at(days_ago: int) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC)
    return (moment + timedelta(hours=9)).isoformat().replace("+00:00", "Z")


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def post(t: Tenant, *lines: dict[str, Any]) -> None:
    ok(t.http.post("/postings", json={"movements": list(lines)}), 201)


def line(sku: str, src: str, dst: str, qty: str, days_ago: int, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "from": src, "to": dst, "quantity": qty, "effective_at": at(days_ago), **kw}


def order(t: Tenant, number: str, wh: str, sku: str, qty: str, due: int) -> None:
    body = {
        "number": number,
        "customer": "C",
        "warehouse": wh,
        "lines": [{"sku": sku, "quantity": qty, "unit_price": "5", "requested_date": day(due)}],
    }
    ok(t.http.post("/sales-orders", json=body), 201)


def pick_and_ship(t: Tenant, numbers: list[str]) -> None:
    pl = ok(t.http.post("/pick-lists", json={"warehouse": "WH1", "orders": numbers}), 201)
    confirmations = [
        {"seq": x["seq"], "location": x["location"], "quantity": x["quantity"]} for x in pl["tasks"]
    ]
    ok(t.http.post(f"/pick-lists/{pl['number']}/confirm", json={"confirmations": confirmations}))
    for n in numbers:
        ok(t.http.post(f"/sales-orders/{n}/ship"))


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    for code, parent in (("WH1", None), ("A", "WH1"), ("OUT", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    ok(tenant.http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"}))
    tenant.item("BOLT", unit_cost="10", category="hardware")
    tenant.item("GEAR", unit_cost="2", category="hardware")
    tenant.item("NUT", unit_cost="1", category="fasteners")
    post(
        tenant,
        line("GEAR", "@supplier", "WH1/A", "30", 40, unit_cost="2"),
        line("NUT", "@supplier", "WH2", "200", 30, unit_cost="0.98"),
        line("BOLT", "@supplier", "WH1/A", "100", 20, unit_cost="10"),
    )
    post(tenant, line("BOLT", "WH1/A", "@customer", "100", 5))
    # OLD came and went long before the period: it has no row.
    tenant.item("OLD", unit_cost="1", category="hardware")
    post(tenant, line("OLD", "@supplier", "WH1/A", "5", 100, unit_cost="1"))
    post(tenant, line("OLD", "WH1/A", "@customer", "5", 90))
    post(tenant, line("BOLT", "@supplier", "WH1/A", "50", 2, unit_cost="10"))
    order(tenant, "SO-1", "WH1", "GEAR", "10", 5)
    order(tenant, "SO-2", "WH1", "GEAR", "30", 4)
    pick_and_ship(tenant, ["SO-1", "SO-2"])
    order(tenant, "SO-3", "WH1", "GEAR", "4", 30)
    order(tenant, "SO-4", "WH2", "NUT", "5", 3)
    ok(tenant.http.post("/sales-orders/SO-4/cancel"))
    policy = {"sku": "BOLT", "warehouse": "WH1", "kind": "min_max", "min_qty": "5",
              "max_qty": "20"}  # fmt: skip
    ok(tenant.http.put("/planning/policies", json=policy))
    # 20 + 10 + 3 + 2 + 1 + 0.5 = 36.5 % a year: over 10 days, 36.5 x 10 / 365 = 1 % of the
    # average value.
    rates = {"capital": "20", "storage": "10", "handling": "3", "insurance": "2",
             "shrink": "1", "obsolescence": "0.5"}  # fmt: skip
    ok(tenant.http.put("/kpis/settings", json=rates))
    return tenant


def report(t: Any, **params: Any) -> dict[str, Any]:
    return dict(ok(t.http.get("/kpis", params={"start": START, "end": END, **params})))


def value(row: dict[str, Any], kpi: str) -> str | None:
    got = row[kpi]["value"]
    return None if got is None else str(got)


def test_the_organisation_kpis_match_the_hand_worked_answers(shop: Tenant) -> None:
    got = report(shop)
    assert got["days"] == 10
    assert got["carrying_rates"]["total"] == "36.5"
    assert got["carrying_rates"]["defaults"] is False
    (org,) = got["rows"]
    assert org == got["total"]
    # Opening 1,000 + 60 + 196; closing 500 + 0 + 196; average 550 + 54 + 196 = 800.
    assert (org["opening_value"], org["closing_value"]) == ("1256.00", "696.00")
    assert org["average_inventory_value"] == "800.00"
    # COGS 1,000 + 60 = 1,060; turnover 1,060 / 800 = 1.325.
    assert org["cost_of_goods_sold"] == "1060.00"
    assert value(org, "turnover") == "1.3250"
    assert org["turnover"]["inputs"] == {
        "cost_of_goods_sold": "1060.00",
        "average_inventory_value": "800.00",
    }
    # Days of inventory = 800 / 1,060 x 10 = 7.547...
    assert value(org, "days_of_inventory") == "7.55"
    # Lines due in the period, not cancelled: SO-1 (10, shipped 10) and SO-2 (30, shipped 20,
    # 10 backordered). By unit 30 / 40 = 75 %; by line 1 / 2; backordered 1 / 2 lines,
    # 10 / 40 units.
    assert value(org, "fill_rate_by_unit") == "75.00"
    assert org["fill_rate_by_unit"]["inputs"] == {"units_shipped": "30", "units_ordered": "40"}
    assert value(org, "fill_rate_by_line") == "50.00"
    assert value(org, "backorder_rate_by_line") == "50.00"
    assert value(org, "backorder_rate_by_unit") == "25.00"
    # 3 + 1 stockout days of 3 stocked item-warehouses x 10 days = 13.33 %.
    assert org["stockout_days"] == 4
    assert value(org, "stockout_rate") == "13.33"
    assert org["stockout_rate"]["inputs"] == {"stockout_days": 4, "stocked_days": 30}
    # Carrying cost: 800 x 36.5 % x 10 / 365 = 8.
    assert value(org, "carrying_cost") == "8.00"
    # GMROI: (150 revenue - 60 cost) / 800 = 0.1125; BOLT's 1,000 had no price.
    assert value(org, "gmroi") == "0.1125"
    assert org["gmroi"]["inputs"]["revenue"] == "150.00"
    assert org["gmroi"]["inputs"]["cogs_without_price"] == "1000.00"
    # Sell-through: 130 sold / (330 at the start + 50 received) = 34.21 %.
    assert value(org, "sell_through") == "34.21"
    # Dead (180 days): nothing held that long. Excess: BOLT 300 (above max) + NUT 196.
    assert (org["dead_stock_value"], org["excess_stock_value"]) == ("0.00", "496.00")
    # No counts yet: stock accuracy is not defined.
    assert org["stock_accuracy"]["value"] is None
    assert org["stock_accuracy"]["inputs"]["records_counted"] == 0
    # NUT has had no outbound in the last 20 days and was held before them: dead, worth 196.
    # (Reading back from the position now rather than forward from the first entry, as the
    # store does when the period is far from the start of the history: the same answers.)
    recent = report(shop, dead_days=20)["total"]
    assert recent.pop("dead_stock_value") == "196.00"
    assert recent == {k: v for k, v in org.items() if k != "dead_stock_value"}


def test_kpis_per_item_warehouse_and_category(shop: Tenant) -> None:
    items = {r["sku"]: r for r in report(shop, by="item")["rows"]}
    assert sorted(items) == ["BOLT", "GEAR", "NUT"]
    bolt, gear, nut = items["BOLT"], items["GEAR"], items["NUT"]
    # BOLT: 1,000 / 550 = 1.8182; 550 / 1,000 x 10 = 5.5 days; carrying 550 x 1 % = 5.50;
    # sell-through 100 / (100 + 50) = 66.67 %; no priced sales: GMROI not defined.
    assert bolt["average_inventory_value"] == "550.00"
    assert (value(bolt, "turnover"), value(bolt, "days_of_inventory")) == ("1.8182", "5.50")
    assert value(bolt, "carrying_cost") == "5.50"
    assert value(bolt, "sell_through") == "66.67"
    assert value(bolt, "gmroi") is None
    assert bolt["stockout_days"] == 3
    assert value(bolt, "fill_rate_by_line") is None  # no order lines
    # GEAR: 60 / 54 = 1.1111; 54 / 60 x 10 = 9 days; GMROI (150 - 60) / 54 = 1.6667.
    assert (value(gear, "turnover"), value(gear, "days_of_inventory")) == ("1.1111", "9.00")
    assert value(gear, "gmroi") == "1.6667"
    assert value(gear, "sell_through") == "100.00"
    # NUT: nothing sold, turnover 0 and days of inventory not defined.
    assert (value(nut, "turnover"), value(nut, "days_of_inventory")) == ("0.0000", None)
    assert value(nut, "carrying_cost") == "1.96"
    by_wh = {r["warehouse"]: r for r in report(shop, by="warehouse")["rows"]}
    # WH1: average 604, COGS 1,060: 1.7550; WH2: 196, nothing sold.
    assert by_wh["WH1"]["average_inventory_value"] == "604.00"
    assert value(by_wh["WH1"], "turnover") == "1.7550"
    assert by_wh["WH2"]["excess_stock_value"] == "196.00"
    assert by_wh["WH1"]["excess_stock_value"] == "300.00"
    assert by_wh["WH1"]["stock_accuracy"] is None  # no counts in WH1
    cats = {r["category"]: r for r in report(shop, by="category")["rows"]}
    assert cats["hardware"]["average_inventory_value"] == "604.00"
    assert cats["fasteners"]["average_inventory_value"] == "196.00"
    # Filters: one SKU, one warehouse, one category.
    gear_only = report(shop, sku="GEAR")
    (only,) = gear_only["rows"]
    assert value(only, "fill_rate_by_unit") == "75.00"
    assert gear_only["total"]["stock_accuracy"] is None  # counts are not per item
    assert report(shop, warehouse="WH2")["total"]["average_inventory_value"] == "196.00"
    assert report(shop, category="hardware")["total"]["cost_of_goods_sold"] == "1060.00"


def test_a_restricted_user_sees_their_warehouses_and_another_org_nothing(
    shop: Tenant, other: Tenant
) -> None:
    clerk = shop.user("clerk", warehouses=["WH2"])
    got = report(clerk, by="warehouse")
    assert [r["warehouse"] for r in got["rows"]] == ["WH2"]
    assert got["total"]["average_inventory_value"] == "196.00"
    assert value(got["total"], "fill_rate_by_unit") is None  # SO-4 cancelled: no lines
    assert_problem(
        clerk.http.get("/kpis", params={"start": START, "end": END, "warehouse": "WH1"}),
        403,
        "warehouse_not_allowed",
    )
    theirs = report(other, by="item")
    assert theirs["rows"] == []
    assert theirs["total"]["average_inventory_value"] == "0.00"
    assert value(theirs["total"], "turnover") is None


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"start": END, "end": START}, 422, "invalid_period"),
        ({"end": (TODAY + timedelta(days=1)).isoformat()}, 422, "invalid_period"),
        ({"start": "2000-01-01"}, 422, "invalid_period"),
        ({"by": "planet"}, 422, "validation_error"),
        ({"dead_days": "0"}, 422, "validation_error"),
        ({"start": "yesterday"}, 422, "validation_error"),
        ({"sku": "NOPE"}, 404, "sku_not_found"),
        ({"warehouse": "WH1/A"}, 422, "not_a_warehouse"),
    ],
)
def test_bad_parameters_are_refused(
    shop: Tenant, params: dict[str, str], status: int, code: str
) -> None:
    assert_problem(
        shop.http.get("/kpis", params={"start": START, "end": END} | params), status, code
    )


def test_carrying_cost_settings_default_then_change_and_bad_ones_change_nothing(
    tenant: Tenant,
) -> None:
    got = ok(tenant.http.get("/kpis/settings"))
    assert got["defaults"] is True
    assert (got["capital"], got["obsolescence"], got["total"]) == ("10", "5", "24")
    got = ok(tenant.http.put("/kpis/settings", json={"capital": "12.5"}))
    assert (got["capital"], got["storage"], got["total"], got["defaults"]) == (
        "12.5",
        "5",
        "26.5",
        False,
    )
    clerk = tenant.user("clerk")
    before = tenant.fingerprint()
    for bad in ({"capital": "101"}, {"storage": "-1"}, {"shrink": "0.00001"}):
        assert_problem(tenant.http.put("/kpis/settings", json=bad), 422, "invalid_carrying_rate")
    assert_problem(tenant.http.put("/kpis/settings", json={"rent": "1"}), 422, "validation_error")
    assert_problem(
        clerk.http.put("/kpis/settings", json={"capital": "1"}), 403, "permission_denied"
    )
    assert tenant.fingerprint() == before
    assert ok(tenant.http.get("/kpis/settings"))["total"] == "26.5"


def test_transfers_are_received_by_the_warehouse_not_by_the_organisation(tenant: Tenant) -> None:
    for code in ("WH1", "WH2"):
        tenant.location(code)
    tenant.item("X", unit_cost="1")
    post(tenant, line("X", "@supplier", "WH1", "100", 20, unit_cost="1"))
    post(tenant, line("X", "WH1", "WH2", "40", 5))  # day 5
    post(tenant, line("X", "WH2", "@customer", "10", 3))  # day 7
    by_wh = {r["warehouse"]: r for r in report(tenant, by="warehouse")["rows"]}
    wh1, wh2 = by_wh["WH1"], by_wh["WH2"]
    # WH1: 100 on days 1-4, 60 on days 5-10: (400 + 360) / 10 = 76; nothing sold of 100.
    assert wh1["average_inventory_value"] == "76.00"
    assert value(wh1, "sell_through") == "0.00"
    # WH2: 40 on days 5-6, 30 on days 7-10: (80 + 120) / 10 = 20; sold 10 of the 40 it
    # received by transfer: 25 %. It carried X from day 5 only: 6 stocked days, none out.
    assert wh2["average_inventory_value"] == "20.00"
    assert value(wh2, "sell_through") == "25.00"
    assert wh2["stockout_rate"]["inputs"] == {"stockout_days": 0, "stocked_days": 6}
    # The organisation: 96 on average; 10 sold of the 100 it had (a transfer adds nothing).
    org = report(tenant)["total"]
    assert org["average_inventory_value"] == "96.00"
    assert value(org, "sell_through") == "10.00"
    assert org["sell_through"]["inputs"] == {
        "units_sold": "10",
        "opening_units": "100",
        "units_received": "0",
    }
    # 10 / 96 = 0.1042; 96 / 10 x 10 = 96 days of inventory.
    assert (value(org, "turnover"), value(org, "days_of_inventory")) == ("0.1042", "96.00")


def test_stock_accuracy_comes_from_the_first_counts(tenant: Tenant) -> None:
    for code in ("WH1", "WH2"):
        tenant.location(code)
    tenant.item("X", unit_cost="1")
    post(tenant, line("X", "@supplier", "WH1", "60", 20), line("X", "@supplier", "WH2", "30", 20))
    for wh, counted in (("WH1", "50"), ("WH2", "30")):
        number = ok(tenant.http.post("/counts", json={"location": wh}), 201)["number"]
        body = {"location": wh, "lines": [{"sku": "X", "quantity": counted}]}
        ok(tenant.http.post(f"/counts/{number}/records", json=body))
    # WH1 counted 50 of 60 (wrong), WH2 30 of 30 (right): 1 of 2 records right, 50 %.
    org = report(tenant)["total"]
    assert value(org, "stock_accuracy") == "50.00"
    assert org["stock_accuracy"]["inputs"] == {"records_within_tolerance": 1, "records_counted": 2}
    by_wh = {
        r["warehouse"]: value(r, "stock_accuracy") for r in report(tenant, by="warehouse")["rows"]
    }
    assert by_wh == {"WH1": "0.00", "WH2": "100.00"}
    assert report(tenant, by="item")["rows"][0]["stock_accuracy"] is None


def test_a_past_period_reads_the_same_whichever_side_of_the_history_is_scanned(
    tenant: Tenant,
) -> None:
    tenant.location("WH1")
    tenant.item("X", unit_cost="1")
    post(tenant, line("X", "@supplier", "WH1", "100", 20, unit_cost="1"))
    post(tenant, line("X", "WH1", "@customer", "10", 3))

    def total(start: int, end: int, **params: Any) -> dict[str, Any]:
        got = ok(tenant.http.get("/kpis", params={"start": day(start), "end": day(end), **params}))
        return dict(got["total"])

    # 21 to 15 days ago: 0 on the first day, 100 on the six after: 600 / 7 = 85.71; carried
    # from its first day with stock (20 days ago), never out.
    week = total(21, 15)
    assert (week["opening_value"], week["closing_value"]) == ("0.00", "100.00")
    assert week["average_inventory_value"] == "85.71"
    assert week["stockout_rate"]["inputs"] == {"stockout_days": 0, "stocked_days": 6}
    # Five days ago alone (nearer now than the first entry: the store reads from the position
    # now back to it, where the week above was read forward from the first entry): 100 all day.
    one = total(5, 5, dead_days=1)
    assert (one["opening_value"], one["average_inventory_value"], one["closing_value"]) == (
        "100.00",
        "100.00",
        "100.00",
    )
    assert value(one, "turnover") == "0.0000"
