"""Scanning over HTTP: resolve, RFID reads, scan workflows, and labels that decode back (the SVG
rendered with resvg, the PDF with pdfium, both decoded with zxing-cpp)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pypdfium2
import pytest
import resvg_py
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from onhand.domain.epc import encode_sgtin96
from onhand.domain.gs1 import GS
from tests.e2e.conftest import Tenant, assert_problem

GTIN = "80614141123458"
EAN13 = "4006381333931"


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("RECV", "WH1")
    tenant.location("OUT", "WH1")
    tenant.location("A", "WH1")
    tenant.location("01", "WH1/A")
    tenant.location("02", "WH1/A", name="Aisle A, bin 2")
    tenant.item("CAM", tracking="serial", barcodes=[GTIN])
    tenant.item("TEA", barcodes=[EAN13, "INT-4711"])
    tenant.item("YOG", tracking="lot", barcodes=["09501101020917"])
    tenant.item("BOLT")
    r = tenant.http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"})
    assert r.status_code == 200, r.text
    assert tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).status_code == 201
    return tenant


def decoded(png: bytes | Image.Image) -> set[tuple[str, str]]:
    image = png if isinstance(png, Image.Image) else Image.open(io.BytesIO(png))
    return {(b.format.name, b.text) for b in zxingcpp.read_barcodes(image)}


def svg_decoded(svg: str) -> set[tuple[str, str]]:
    return decoded(
        bytes(resvg_py.svg_to_bytes(svg_string=svg, width=1400, dpi=96, background="#ffffff"))
    )


def test_resolve_answers_what_a_scan_names(shop: Tenant) -> None:
    http = shop.http
    shop.move("YOG", "@supplier", "WH1/A/01", "5", lot="L1", expiry_date="2027-01-31")
    r = http.post("/scan/resolve", json={"code": "]C10109501101020917172701001" + f"0L1{GS}375"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["kind"], got["item"]["sku"], got["lot"], got["lot_known"]) == (
        "item",
        "YOG",
        "L1",
        True,
    )
    assert (got["expiry_date"], got["quantity"], got["symbology"]) == ("2027-01-31", "5", "]C1")
    assert http.post("/scan/resolve", json={"code": "0" + EAN13}).json()["item"]["sku"] == "TEA"
    loc = http.post("/scan/resolve", json={"code": "WH1/A/02"}).json()
    assert loc["location"] == {"path": "WH1/A/02", "kind": "internal", "name": "Aisle A, bin 2"}


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("4006381333932", 422, "gs1_check_digit"),
        ("(01)8061414112345", 422, "gs1_truncated"),
        ("(01)80614141123458(23)1", 422, "gs1_unknown_ai"),
        ("(17)279999", 422, "gs1_invalid"),
        ("NOTHING-HERE", 404, "barcode_not_found"),
        ("", 422, "validation_error"),
        ("a\u0007b", 422, "invalid_scan"),
    ],
)
def test_bad_scans_are_problems(shop: Tenant, code: str, status: int, problem: str) -> None:
    before = shop.fingerprint()
    body = assert_problem(shop.http.post("/scan/resolve", json={"code": code}), status, problem)
    assert body["detail"]
    assert shop.fingerprint() == before


def test_rfid_reads_reconcile_and_post_nothing(shop: Tenant) -> None:
    for serial in ("1", "2"):
        shop.move("CAM", "@supplier", "WH1/A/01", "1", serial=serial)
    before = shop.fingerprint()
    reads = [encode_sgtin96(GTIN, 1), encode_sgtin96(GTIN, 1), encode_sgtin96(GTIN, 3)]
    r = shop.http.post("/rfid/reads", json={"location": "WH1/A", "reads": reads})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["distinct"], got["duplicates"]) == (2, 1)
    assert [m["serial"] for m in got["matched"]] == ["1"]
    assert [m["serial"] for m in got["missing"]] == ["2"]
    assert [(u["serial"], u["reason"]) for u in got["unexpected"]] == [("3", "not_in_book_here")]
    assert shop.fingerprint() == before
    bad = shop.http.post("/rfid/reads", json={"location": "WH1", "reads": ["zz"]})
    assert assert_problem(bad, 422, "epc_invalid_hex")["line"] == 1
    assert_problem(shop.http.post("/rfid/reads", json={"location": "WH1", "reads": []}), 422,
                   "validation_error")  # fmt: skip


def test_receive_pick_and_move_by_scanning(shop: Tenant) -> None:
    http = shop.http
    po = http.post(
        "/purchase-orders",
        json={
            "supplier": "ACME",
            "receive_to": "WH1/RECV",
            "lines": [{"sku": "TEA", "quantity": 10}],
        },
    ).json()["number"]
    assert http.post(f"/purchase-orders/{po}/order").status_code == 200
    body = {"po": po, "item": "INT-4711", "quantity": "10", "location": "WH1/A/01"}
    r = http.post("/scan/receive", json=body, headers={"Idempotency-Key": "r1"})
    assert r.status_code == 201, r.text
    assert r.json()["understood"]["location"] == "WH1/A/01"
    again = http.post("/scan/receive", json=body, headers={"Idempotency-Key": "r1"})
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    moved = http.post(
        "/scan/move", json={"from": "WH1/A/01", "to": "WH1/A/02", "item": EAN13, "quantity": "4"}
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["understood"]["to"] == "WH1/A/02"
    so = http.post(
        "/sales-orders",
        json={"customer": "Smith", "warehouse": "WH1", "lines": [{"sku": "TEA", "quantity": 3}]},
    )
    assert so.status_code == 201, so.text
    pl = http.post("/pick-lists", json={"warehouse": "WH1"}).json()
    task = pl["tasks"][0]
    wrong = http.post(
        "/scan/pick", json={"pick_list": pl["number"], "location": "WH1/RECV", "item": EAN13}
    )
    assert_problem(wrong, 422, "no_matching_task")
    picked = http.post(
        "/scan/pick",
        json={"pick_list": pl["number"], "location": task["location"], "item": EAN13},
    )
    assert picked.status_code == 200, picked.text
    assert picked.json()["pick_list"]["tasks"][0]["status"] == "picked"
    assert shop.total("TEA") == 10


def test_a_clerk_cannot_receive_what_a_scan_names_into_a_virtual_location(shop: Tenant) -> None:
    clerk = shop.user("clerk")
    before = shop.fingerprint()
    r = clerk.http.post(
        "/scan/move", json={"from": "@supplier", "to": "WH1/A/01", "item": EAN13, "quantity": "5"}
    )
    assert_problem(r, 422, "not_a_stock_location")
    assert shop.fingerprint() == before


# --- labels ---------------------------------------------------------------------------------


def svg_of(shop: Tenant, url: str) -> str:
    r = shop.http.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    return r.text


def test_an_item_label_decodes_to_its_barcode_and_gtin(shop: Tenant) -> None:
    got = svg_decoded(svg_of(shop, "/labels/items/CAM.svg"))
    assert got == {("Code128", GTIN), ("DataMatrix", f"(01){GTIN}")}
    got = svg_decoded(svg_of(shop, "/labels/items/BOLT.svg"))
    assert got == {("Code128", "BOLT"), ("QRCode", "BOLT")}


def test_a_bin_label_decodes_to_its_path_and_resolves(shop: Tenant) -> None:
    got = svg_decoded(svg_of(shop, "/labels/locations/WH1/A/02.svg"))
    assert got == {("Code128", "WH1/A/02"), ("QRCode", "WH1/A/02")}
    for _, text in got:
        r = shop.http.post("/scan/resolve", json={"code": text})
        assert r.json()["location"]["path"] == "WH1/A/02"


def test_a_lot_label_decodes_to_its_gs1_element_string_and_resolves(shop: Tenant) -> None:
    shop.move("YOG", "@supplier", "WH1/A/01", "5", lot="L-24/03", expiry_date="2027-03-31")
    got = svg_decoded(svg_of(shop, "/labels/lots/YOG/L-24%2F03.svg"))
    hri = "(01)09501101020917(17)270331(10)L-24/03"
    assert got == {("Code128", hri), ("DataMatrix", hri)}
    r = shop.http.post("/scan/resolve", json={"code": hri}).json()
    assert (r["item"]["sku"], r["lot"], r["lot_known"], r["expiry_date"]) == (
        "YOG",
        "L-24/03",
        True,
        "2027-03-31",
    )


def test_a_pdf_sheet_holds_every_label_and_each_decodes(shop: Tenant) -> None:
    shop.move("YOG", "@supplier", "WH1/A/01", "5", lot="L1", expiry_date="2027-03-31")
    labels: list[dict[str, Any]] = [
        {"kind": "item", "sku": "TEA"},
        {"kind": "location", "path": "WH1/A/01"},
        {"kind": "lot", "sku": "YOG", "lot": "L1"},
    ]
    r = shop.http.post("/labels/sheet.pdf", json={"labels": labels, "layout": {"skip": 22}})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(r.content)
    assert len(pdf) == 2  # cells 23 and 24 of the first sheet, then the first of a second
    width, height = pdf[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    found = decoded(pdf[0].render(scale=400 / 72).to_pil()) | decoded(
        pdf[1].render(scale=400 / 72).to_pil()
    )
    lot = "(01)09501101020917(17)270331(10)L1"
    assert found == {
        ("Code128", EAN13),
        ("DataMatrix", "(01)0" + EAN13),
        ("Code128", "WH1/A/01"),
        ("QRCode", "WH1/A/01"),
        ("Code128", lot),
        ("DataMatrix", lot),
    }


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code"),
    [
        ("get", "/labels/items/NOPE.svg", None, 404, "sku_not_found"),
        ("get", "/labels/locations/WH9/X.svg", None, 404, "location_not_found"),
        ("get", "/labels/lots/YOG/NOPE.svg", None, 404, "lot_not_found"),
        ("get", "/labels/lots/TEA/L1.svg", None, 404, "lot_not_found"),
        ("post", "/labels/sheet.pdf", {"labels": [{"kind": "item"}]}, 422, "invalid_label"),
        ("post", "/labels/sheet.pdf", {"labels": []}, 422, "validation_error"),
        ("post", "/labels/sheet.pdf",
         {"labels": [{"kind": "item", "sku": "TEA"}], "layout": {"columns": 6, "rows": 20}},
         422, "invalid_layout"),
        ("post", "/labels/sheet.pdf",
         {"labels": [{"kind": "item", "sku": "TEA"}], "layout": {"skip": 24}},
         422, "invalid_layout"),
    ],
)  # fmt: skip
def test_label_requests_that_cannot_be_served_are_problems(
    shop: Tenant, method: str, url: str, body: Any, status: int, code: str
) -> None:
    r = shop.http.request(method.upper(), url, json=body)
    assert_problem(r, status, code)


def test_a_lot_label_needs_a_gtin(shop: Tenant) -> None:
    shop.item("SALT", tracking="lot")
    shop.move("SALT", "@supplier", "WH1/A/01", "5", lot="S1")
    assert_problem(shop.http.get("/labels/lots/SALT/S1.svg"), 422, "no_gtin")


# --- never a 500 ----------------------------------------------------------------------------

SCAN_TEXT = st.text(
    alphabet=st.sampled_from([*"0123456789()]CdQe1AZaz/-\x1d ١", "\x00", "é"]),
    max_size=40,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | SCAN_TEXT,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(
            ["code", "location", "reads", "po", "item", "quantity", "from", "to", "pick_list",
             "seq", "labels", "layout", "kind", "sku", "path", "lot", "columns", "skip"]
        ),
        children,
        max_size=5,
    ),
    max_leaves=10,
)  # fmt: skip


@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(code=SCAN_TEXT)
def test_any_scanned_text_is_answered_without_a_server_error(shop: Tenant, code: str) -> None:
    r = shop.http.post("/scan/resolve", json={"code": code})
    assert r.status_code in (200, 404, 409, 422), r.text


@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(
        ["/scan/resolve", "/rfid/reads", "/scan/receive", "/scan/pick", "/scan/move",
         "/scan/count", "/rfid/counts", "/labels/sheet.pdf"]
    ),
    value=JSON_VALUES,
)  # fmt: skip
def test_random_bodies_on_scanning_routes_never_get_a_server_error(
    shop: Tenant, route: str, value: Any
) -> None:
    r = shop.http.post(route, json=value)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_resolve_needs_a_token_before_anything_else(shop: Tenant) -> None:
    anonymous = httpx.Client(base_url=f"{shop.api.url}/api/v1", timeout=30)
    assert_problem(anonymous.post("/scan/resolve", json={"code": EAN13}), 401, "missing_token")
    assert_problem(anonymous.post("/scan/resolve", content=b"{"), 401, "missing_token")
    bad = httpx.Client(
        base_url=f"{shop.api.url}/api/v1", headers={"Authorization": "Bearer onh_x"}, timeout=30
    )
    assert_problem(bad.post("/scan/resolve", json={"code": 5}), 401, "invalid_token")
    assert_problem(shop.http.post("/scan/resolve", content=b"{"), 400, "malformed_json")
    assert_problem(shop.http.post("/scan/resolve", json={"code": "x", "y": 1}), 422,
                   "validation_error")  # fmt: skip


def test_the_openapi_document_describes_the_scan_body(shop: Tenant) -> None:
    doc = httpx.get(f"{shop.api.url}/openapi.json", timeout=30).json()
    op = doc["paths"]["/api/v1/scan/resolve"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ScanResolve"
    assert "code" in doc["components"]["schemas"]["ScanResolve"]["properties"]
    assert "ScanRead" in doc["components"]["schemas"]


def test_long_names_never_cover_the_symbols(shop: Tenant) -> None:
    sku = "CABLE-USB-C-2M-BLACK-BRAIDED-" + "X" * 30
    shop.item(sku, name="W" * 200, barcodes=["INT-000123-CABLE-USBC-2M-BLK", "5012345678900"])
    got = svg_decoded(svg_of(shop, f"/labels/items/{sku}.svg"))
    assert got == {
        ("Code128", "INT-000123-CABLE-USBC-2M-BLK"),
        ("DataMatrix", "(01)05012345678900"),
    }
    r = shop.http.post("/labels/sheet.pdf", json={"labels": [{"kind": "item", "sku": sku}]})
    page = pypdfium2.PdfDocument(r.content)[0]
    assert decoded(page.render(scale=400 / 72).to_pil()) == got
