"""Reports as files over HTTP, on a real server and database: each report's CSV holds the
numbers its JSON counterpart shows (worked by hand in the comments), the PDF opens, says what it
is and its totals, carries its charts and runs over pages when long; bad names, formats and
parameters are refused with their code, and a restricted user sees only their warehouses."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pypdfium2
import pytest

from tests.e2e.conftest import Tenant, assert_problem

TODAY = datetime.now(UTC).date()


def at(days_ago: int) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC)
    return (moment + timedelta(hours=9)).isoformat().replace("+00:00", "Z")


def line(sku: str, src: str, dst: str, qty: str, days_ago: int, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "from": src, "to": dst, "quantity": qty, "effective_at": at(days_ago), **kw}


def post(t: Tenant, *lines: dict[str, Any]) -> None:
    r = t.http.post("/postings", json={"movements": list(lines)})
    assert r.status_code == 201, r.text


def get_csv(http: httpx.Client, name: str, **params: Any) -> list[dict[str, str]]:
    r = http.get(f"/reports/{name}", params={"format": "csv", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f'filename="{name}-' in r.headers["content-disposition"]
    assert r.headers["content-disposition"].endswith('.csv"')
    return list(csv.DictReader(io.StringIO(r.text)))


class Pdf:
    """A PDF read back: its pages' text and how many images each page holds."""

    def __init__(self, data: bytes) -> None:
        doc = pypdfium2.PdfDocument(data)
        self.pages = len(doc)
        self.texts = [doc[i].get_textpage().get_text_range() for i in range(self.pages)]
        image = pypdfium2.raw.FPDF_PAGEOBJ_IMAGE
        self.images = sum(len(list(doc[i].get_objects(filter=[image]))) for i in range(self.pages))
        self.text = "\n".join(self.texts)
        doc.close()


def get_pdf(http: httpx.Client, name: str, **params: Any) -> Pdf:
    r = http.get(f"/reports/{name}", params={"format": "pdf", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].endswith('.pdf"')
    assert r.content.startswith(b"%PDF")
    return Pdf(r.content)


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    """Two warehouses. WH1: BOLT 100 @ 10 received 40 days ago, 30 sold 5 days ago (FIFO cost
    300), 5 more reserved by an order; NUT 50 @ 2 received 200 days ago, 10 sold 3 days ago
    (cost 20), 40 on order; OIL 10.5 l @ 4 received 100 days ago. WH2: BOLT 20 @ 12 received
    10 days ago; TAG (cost 0) sold 2 it never had from SHOP, which may go negative."""
    for code, parent in (("WH1", None), ("A", "WH1"), ("B", "WH1"), ("WH2", None)):
        tenant.location(code, parent)
    tenant.location("SHOP", "WH2", allow_negative=True)
    tenant.item("BOLT", unit_cost="9", category="hardware")
    tenant.item("NUT", unit_cost="1", category="hardware")
    tenant.item("OIL", unit_cost="5", category="fluids", precision=1, uom="l")
    tenant.item("TAG", unit_cost="0", category="misc")
    post(
        tenant,
        line("BOLT", "@supplier", "WH1/A", "100", 40, unit_cost="10"),
        line("BOLT", "@supplier", "WH2", "20", 10, unit_cost="12"),
        line("NUT", "@supplier", "WH1/A", "50", 200, unit_cost="2"),
        line("OIL", "@supplier", "WH1/B", "10.5", 100, unit_cost="4"),
    )
    post(
        tenant,
        line("BOLT", "WH1/A", "@customer", "30", 5),
        line("NUT", "WH1/A", "@customer", "10", 3),
        line("TAG", "WH2/SHOP", "@customer", "2", 1),
    )
    http = tenant.http
    order = {"customer": "Smith", "warehouse": "WH1", "lines": [{"sku": "BOLT", "quantity": "5"}]}
    assert http.post("/sales-orders", json=order).status_code == 201
    assert http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
    po = {"supplier": "ACME", "receive_to": "WH1/A", "lines": [{"sku": "NUT", "quantity": "40"}]}
    r = http.post("/purchase-orders", json=po)
    assert r.status_code == 201, r.text
    assert http.post(f"/purchase-orders/{r.json()['number']}/order").is_success
    return tenant


def test_stock_status_lists_on_hand_reserved_available_and_on_order(shop: Tenant) -> None:
    rows = get_csv(shop.http, "stock-status")
    got = [
        (r["warehouse"], r["sku"], r["on_hand"], r["reserved"], r["available"], r["on_order"])
        for r in rows
    ]
    assert got == [
        ("WH1", "BOLT", "70", "5", "65", "0"),
        ("WH1", "NUT", "40", "0", "40", "40"),
        ("WH1", "OIL", "10.5", "0.0", "10.5", "0.0"),
        ("WH2", "BOLT", "20", "0", "20", "0"),
        ("WH2", "TAG", "-2", "0", "-2", "0"),
    ]
    assert list(rows[0]) == [
        "warehouse",
        "sku",
        "name",
        "category",
        "uom",
        "on_hand",
        "reserved",
        "available",
        "on_order",
    ]
    # The same numbers as the stock query of one item.
    assert shop.total("BOLT") == Decimal(70 + 20)
    only = get_csv(shop.http, "stock-status", warehouse="WH2", category="misc")
    assert [(r["sku"], r["on_hand"]) for r in only] == [("TAG", "-2")]
    pdf = get_pdf(shop.http, "stock-status")
    assert "Stock status" in pdf.text
    assert "rows: 5" in pdf.text
    assert pdf.images == 0  # a table to read, nothing to look at


def test_valuation_csv_equals_the_json_report_and_the_pdf_shows_totals_and_charts(
    shop: Tenant,
) -> None:
    http = shop.http
    for by in ("item", "warehouse", "category", "location"):
        json_rows = http.get("/valuation/inventory-value", params={"by": by}).json()["rows"]
        csv_rows = get_csv(http, "valuation", by=by)
        assert len(csv_rows) == len(json_rows)
        for c, j in zip(csv_rows, json_rows, strict=True):
            assert {k: v for k, v in c.items() if v != ""} == {
                k: str(v) for k, v in j.items() if v is not None
            }
    by_wh = {r["warehouse"]: r["value"] for r in get_csv(http, "valuation", by="warehouse")}
    # WH1: BOLT 70 @ 10 + NUT 40 @ 2 + OIL 10.5 @ 4 = 700 + 80 + 42; WH2: BOLT 20 @ 12.
    assert (by_wh["WH1"], by_wh["WH2"]) == ("822.00", "240.00")
    pdf = get_pdf(http, "valuation", by="warehouse")
    assert "Inventory valuation" in pdf.text
    assert "total value: 1062.00 EUR" in pdf.text
    assert "by=warehouse" in pdf.text
    assert pdf.images == 2  # value by warehouse, value by category


def test_cogs_aging_and_their_charts(shop: Tenant) -> None:
    http = shop.http
    start = (TODAY - timedelta(days=30)).isoformat()
    params = {"start": start, "end": TODAY.isoformat(), "period": "day"}
    rows = get_csv(http, "cogs", **params)
    json_rows = http.get("/valuation/cogs", params=params).json()["rows"]
    assert [(r["period_start"], r["cost_of_goods_sold"]) for r in rows] == [
        (j["period_start"], j["cost_of_goods_sold"]) for j in json_rows
    ]
    # 30 BOLT at 10 five days ago; 10 NUT at 2 three days ago.
    assert {
        r["period_start"]: r["cost_of_goods_sold"]
        for r in rows
        if r["cost_of_goods_sold"] != "0.00"
    } == {
        (TODAY - timedelta(days=5)).isoformat(): "300.00",
        (TODAY - timedelta(days=3)).isoformat(): "20.00",
    }
    pdf = get_pdf(http, "cogs", **params)
    assert "total cost of goods sold: 320.00 EUR" in pdf.text
    assert pdf.images == 1
    aging = {r["warehouse"]: r for r in get_csv(http, "aging")}
    # BOLT 40 days old (700), OIL 100 (42), NUT 200 (80); WH2's BOLT 10 days old (240).
    assert [aging["WH1"][b] for b in ("0-30", "31-90", "91-180", "over 180", "value")] == [
        "0.00",
        "700.00",
        "42.00",
        "80.00",
        "822.00",
    ]
    assert (aging["WH2"]["0-30"], aging["WH2"]["value"]) == ("240.00", "240.00")
    pdf = get_pdf(http, "aging")
    assert "Stock aging" in pdf.text
    assert "31-90 days: 700.00 EUR" in pdf.text
    assert "total value: 1062.00 EUR" in pdf.text
    assert pdf.images == 1


def test_abc_is_the_latest_classification_with_its_cumulative_share(shop: Tenant) -> None:
    http = shop.http
    assert_problem(http.get("/reports/abc"), 404, "classification_not_found")
    assert http.post("/counting/classifications", json={}).status_code == 201
    rows = get_csv(http, "abc")
    # Consumption at catalogue cost: BOLT 30 x 9 = 270, NUT 10 x 1 = 10, of 280 in all; BOLT
    # alone passes the 80 % of A and the 95 % of B, so NUT is C.
    head = [(r["rank"], r["sku"], r["abc"], r["value"], r["cumulative_pct"]) for r in rows[:2]]
    assert head == [("1", "BOLT", "A", "270.00", "96.43"), ("2", "NUT", "C", "10.00", "100.00")]
    assert {r["sku"] for r in rows} == {"BOLT", "NUT", "OIL", "TAG"}
    pdf = get_pdf(http, "abc")
    assert "ABC classification" in pdf.text
    assert "total consumption value: 280.00" in pdf.text
    assert "A up to 80 %, B up to 95 %" in pdf.text
    assert pdf.images == 1  # the Pareto curve


def test_exceptions_report_counts_by_kind(shop: Tenant) -> None:
    rows = get_csv(shop.http, "exceptions")
    # TAG stands at -2 in the shop that may go negative: a negative balance there, and the
    # warehouse out of it.
    assert [(r["kind"], r["severity"], r["sku"], r["location"]) for r in rows] == [
        ("negative_stock", "high", "TAG", "WH2/SHOP"),
        ("stockout", "high", "TAG", ""),
    ]
    assert "stands at -2" in rows[0]["message"]
    pdf = get_pdf(shop.http, "exceptions")
    assert "exceptions: 2" in pdf.text
    assert pdf.images == 1


def test_a_restricted_user_sees_only_their_warehouses(shop: Tenant) -> None:
    clerk = shop.user("clerk", warehouses=["WH2"])
    stock = get_csv(clerk.http, "stock-status")
    assert {r["warehouse"] for r in stock} == {"WH2"}
    value = get_csv(clerk.http, "valuation", by="warehouse")
    assert [(r["warehouse"], r["value"]) for r in value] == [("WH2", "240.00")]
    assert {r["sku"] for r in get_csv(clerk.http, "exceptions")} == {"TAG"}
    assert_problem(
        clerk.http.get("/reports/stock-status", params={"warehouse": "WH1"}),
        403,
        "warehouse_not_allowed",
    )
    pdf = get_pdf(clerk.http, "valuation", by="warehouse")
    assert "total value: 240.00 EUR" in pdf.text


def test_a_long_report_runs_over_several_pages_with_its_header_on_each(tenant: Tenant) -> None:
    tenant.location("WH1")
    skus = [f"P{i:03d}" for i in range(150)]
    for sku in skus:
        tenant.item(sku, unit_cost="1")
    post(tenant, *(line(sku, "@supplier", "WH1", "3", 2) for sku in skus))
    pdf = get_pdf(tenant.http, "stock-status")
    assert pdf.pages >= 3
    assert all("on_hand" in page for page in pdf.texts)  # the header repeats
    assert "P000" in pdf.texts[0]
    assert "P149" in pdf.texts[-1]
    assert len(get_csv(tenant.http, "stock-status")) == 150


def test_bad_names_formats_and_parameters_are_refused_and_change_nothing(shop: Tenant) -> None:
    http = shop.http
    before = shop.fingerprint()
    assert_problem(http.get("/reports/nope"), 404, "report_not_found")
    assert_problem(http.get("/reports/valuation", params={"format": "xls"}), 422, "invalid_format")
    assert_problem(
        http.get("/reports/valuation", params={"period": "month"}), 422, "invalid_parameter"
    )
    assert_problem(http.get("/reports/abc", params={"sku": "BOLT"}), 422, "invalid_parameter")
    assert_problem(http.get("/reports/valuation", params={"by": "colour"}), 422, "invalid_by")
    assert_problem(
        http.get("/reports/cogs", params={"start": "2026-02-01", "end": "2026-01-01"}),
        422,
        "invalid_period",
    )
    assert_problem(
        http.get("/reports/cogs", params={"start": "yesterday"}), 422, "validation_error"
    )
    assert_problem(
        http.get("/reports/valuation", params={"as_of": "2026-01-01T00:00:00"}),
        422,
        "naive_datetime",
    )
    assert_problem(http.get("/reports/aging", params={"sku": "NOPE"}), 404, "sku_not_found")
    assert_problem(
        http.get("/reports/stock-status", params={"warehouse": "WH9"}), 404, "location_not_found"
    )
    assert_problem(http.get("/reports/exceptions", params={"kind": "odd"}), 422, "invalid_kind")
    assert_problem(
        http.get("/reports/stock-status", params={"format": "pdf", "sku": "x" * 65}),
        422,
        "validation_error",
    )
    assert_problem(httpx.get(f"{shop.api.url}/api/v1/reports/valuation"), 401, "missing_token")
    assert shop.fingerprint() == before
