"""Counting by scanning and by RFID over HTTP: a clerk scans a bin (item, lot and serial
barcodes, repeated scans, counts carried by the barcode), an RFID read of a bin becomes its
count, both blind and through the count's tolerances; refusals change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.epc import encode_sgtin96
from tests.e2e.conftest import Tenant, assert_problem

CAM_GTIN = "80614141123458"
TEA_EAN = "4006381333931"
YOG_GTIN = "09501101020917"
BLIND = {"book", "variance", "tolerance", "value", "first_book", "first_within"}


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.location("01", "WH1/A")
    tenant.location("02", "WH1/A")
    tenant.item("CAM", tracking="serial", barcodes=[CAM_GTIN])
    tenant.item("TEA", barcodes=[TEA_EAN])
    tenant.item("YOG", tracking="lot", barcodes=[YOG_GTIN])
    tenant.move("TEA", "@supplier", "WH1/A/01", "5")
    tenant.move("YOG", "@supplier", "WH1/A/01", "3", lot="L1")
    for serial in ("1", "2"):
        tenant.move("CAM", "@supplier", "WH1/A/01", "1", serial=serial)
    return tenant


def count_of(manager: Tenant | Any, location: str) -> str:
    made = manager.http.post("/counts", json={"location": location})
    assert made.status_code == 201, made.text
    return str(made.json()["number"])


def lines_by_key(count: dict[str, Any]) -> dict[tuple[str, str | None, str | None], Any]:
    return {(x["sku"], x["lot"], x["serial"]): x for x in count["lines"]}


def test_a_clerk_counts_a_bin_by_scanning(shop: Tenant) -> None:
    clerk = shop.user("clerk")
    number = count_of(shop, "WH1/A/01")
    scans = [
        *[{"code": TEA_EAN}] * 3,  # one scan, one unit
        {"code": TEA_EAN, "quantity": "2"},  # or the quantity typed in
        {"code": f"(01){YOG_GTIN}(10)L1(37)3"},  # or the count the barcode carries
        {"code": f"(01){CAM_GTIN}(21)1"},
        {"code": f"(01){CAM_GTIN}(21)1"},  # the same unit scanned twice is one unit
    ]
    r = clerk.http.post(
        "/scan/count",
        json={"count": number, "location": "WH1/A/01", "scans": scans, "complete": True},
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert [(u["sku"], u["lot"], u["serial"], u["quantity"]) for u in got["understood"]] == [
        ("TEA", None, None, "5"),
        ("YOG", "L1", None, "3"),
        ("CAM", None, "1", "1"),
    ]
    lines = lines_by_key(got["count"])
    assert {k: v["counted"] for k, v in lines.items()} == {
        ("TEA", None, None): "5",
        ("YOG", "L1", None): "3",
        ("CAM", None, "1"): "1",
        ("CAM", None, "2"): "0",  # complete: expected in the bin, not scanned
    }
    assert all(not BLIND & set(x) for x in got["count"]["lines"])  # blind for the clerk
    # A missing unit is within the 1-unit tolerance: approved at once and posted.
    assert lines[("CAM", None, "2")]["status"] == "approved"
    assert shop.total("CAM") == Decimal(1)
    assert shop.total("TEA") == Decimal(5)


def test_scans_that_cannot_be_counted_are_refused_and_change_nothing(shop: Tenant) -> None:
    number = count_of(shop, "WH1/A/01")
    before = shop.fingerprint()

    def post(location: str, scans: list[dict[str, Any]], **more: Any) -> Any:
        body = {"count": number, "location": location, "scans": scans, **more}
        return shop.http.post("/scan/count", json=body)

    bin_scan = assert_problem(
        post("WH1/A/01", [{"code": TEA_EAN}, {"code": "WH1/A/02"}]), 422, "scan_not_an_item"
    )
    assert bin_scan["line"] == 2
    bad_digit = assert_problem(
        post("WH1/A/01", [{"code": "4006381333932"}]), 422, "gs1_check_digit"
    )
    assert bad_digit["line"] == 1
    assert_problem(post("WH1/A/01", []), 422, "no_scans")
    assert_problem(post(TEA_EAN, [{"code": TEA_EAN}]), 422, "scan_not_a_location")
    assert_problem(post("WH1/A/02", [{"code": TEA_EAN}]), 422, "location_outside_count")
    assert_problem(post("WH1/A/01", [{"code": TEA_EAN}], count="CC-999999"), 404, "count_not_found")
    assert shop.fingerprint() == before


def test_an_rfid_read_of_a_bin_is_its_count(shop: Tenant) -> None:
    shop.move("CAM", "@supplier", "WH1/A/02", "1", serial="000007")
    shop.move("CAM", "@supplier", "WH1/A/02", "1", serial="8")
    shop.move("TEA", "@supplier", "WH1/A/02", "5")
    number = count_of(shop, "WH1/A/02")
    clerk = shop.user("clerk")
    reads = [
        encode_sgtin96(CAM_GTIN, 7),
        encode_sgtin96(CAM_GTIN, 7),  # read twice: one tag
        encode_sgtin96("0" + TEA_EAN, 101),
        encode_sgtin96("0" + TEA_EAN, 102),
        encode_sgtin96("00000000000017", 1, company_prefix_length=7),  # no item has it
    ]
    r = clerk.http.post(
        "/rfid/counts", json={"count": number, "location": "WH1/A/02", "reads": reads}
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["reads"], got["distinct"], got["duplicates"]) == (5, 4, 1)
    assert [u["gtin"] for u in got["unknown"]] == ["00000000000017"]
    lines = lines_by_key(got["count"])
    assert {k: (v["counted"], v["status"]) for k, v in lines.items()} == {
        ("CAM", None, "000007"): ("1", "approved"),  # tag serial 7 is the book's 000007
        ("CAM", None, "8"): ("0", "approved"),  # not read: within the 1-unit tolerance
        ("TEA", None, None): ("2", "recount"),  # 2 tags of 5 in the book: count again
    }
    assert all(not BLIND & set(x) for x in got["count"]["lines"])


def test_rfid_counts_that_cannot_be_placed_are_refused_and_change_nothing(shop: Tenant) -> None:
    number = count_of(shop, "WH1/A")
    before = shop.fingerprint()

    def post(location: str, reads: list[str]) -> Any:
        body = {"count": number, "location": location, "reads": reads}
        return shop.http.post("/rfid/counts", json=body)

    cam = encode_sgtin96(CAM_GTIN, 1)
    assert_problem(post("WH1/A", [cam]), 422, "rfid_count_needs_bin")
    assert_problem(post("WH1/A/01", [cam, encode_sgtin96(YOG_GTIN, 5)]), 422, "rfid_lot_tracked")
    assert assert_problem(post("WH1/A/01", [cam, "zz"]), 422, "epc_invalid_hex")["line"] == 2
    assert_problem(post("@customer", [cam]), 422, "not_a_stock_location")
    assert shop.fingerprint() == before
