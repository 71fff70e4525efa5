"""Counting by scanning and by RFID over HTTP: a clerk scans a bin (item, lot and serial
barcodes, repeated scans, counts carried by the barcode), an RFID read of a bin becomes its
count, both blind and through the count's tolerances; refusals change nothing; a record sent
again with its idempotency key (one after the other or at once) records once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from typing import Any

import pytest

from onhand.domain.epc import encode_sgtin96
from tests.e2e.conftest import Tenant, assert_problem, client

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


def bin_scans(number: str) -> dict[str, Any]:
    """A whole bin's count by scanning: 5 TEA, 3 YOG lot L1, CAM serial 1 (serial 2 missing)."""
    scans = [
        {"code": TEA_EAN, "quantity": "5"},
        {"code": f"(01){YOG_GTIN}(10)L1(37)3"},
        {"code": f"(01){CAM_GTIN}(21)1"},
    ]
    return {"count": number, "location": "WH1/A/01", "scans": scans, "complete": True}


def counted(
    shop: Tenant, number: str, where: str = "WH1/A/01"
) -> dict[tuple[str, str | None, str | None], Any]:
    """Each line's (counted, how often counted, status) at a bin, as the count says now."""
    got = shop.http.get(f"/counts/{number}").json()
    here = {"lines": [x for x in got["lines"] if x["location"] == where]}
    return {k: (v["counted"], v["count_no"], v["status"]) for k, v in lines_by_key(here).items()}


RECORDED_ONCE = {
    ("TEA", None, None): ("5", 1, "approved"),
    ("YOG", "L1", None): ("3", 1, "approved"),
    ("CAM", None, "1"): ("1", 1, "approved"),
    ("CAM", None, "2"): ("0", 1, "approved"),  # within the 1-unit tolerance: posted at once
}


def test_a_bin_count_sent_again_with_its_key_records_once(shop: Tenant) -> None:
    shop.move("TEA", "@supplier", "WH1/A/02", "4")  # another bin: the count stays open
    number = count_of(shop, "WH1/A")
    clerk = shop.user("clerk")
    body = bin_scans(number) | {"idempotency_key": "finish-1"}

    first = clerk.http.post("/scan/count", json=body)
    again = clerk.http.post("/scan/count", json=body)  # a retry after a timeout

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert again.json()["understood"] == first.json()["understood"]
    assert counted(shop, number) == RECORDED_ONCE
    assert counted(shop, number, "WH1/A/02") == {("TEA", None, None): (None, 0, "open")}
    assert shop.total("CAM") == Decimal(1)  # serial 2 written off once
    before = shop.fingerprint()
    # The same key with other scans is refused; another key for the bin counted is refused.
    other = bin_scans(number) | {"idempotency_key": "finish-1", "scans": [{"code": TEA_EAN}]}
    assert_problem(clerk.http.post("/scan/count", json=other), 409, "idempotency_key_reused")
    done = assert_problem(
        clerk.http.post("/scan/count", json=bin_scans(number) | {"idempotency_key": "finish-2"}),
        409,
        "line_not_countable",
    )
    assert "at WH1/A/01) is approved already" in done["detail"]
    assert shop.fingerprint() == before


def test_a_bin_count_sent_twice_at_once_records_once(shop: Tenant) -> None:
    number = count_of(shop, "WH1/A/01")
    clerk = shop.user("clerk")
    tills = [client(shop.api, clerk.token) for _ in range(2)]  # a double tap: two connections
    gate = Barrier(2)

    def send(i: int) -> Any:
        gate.wait()
        return tills[i].post(
            "/scan/count", json=bin_scans(number), headers={"Idempotency-Key": "tap-1"}
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, range(2)))
    for c in tills:
        c.close()

    assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
    assert sorted(r.json()["replayed"] for r in answers) == [False, True]
    assert counted(shop, number) == RECORDED_ONCE
    assert shop.total("CAM") == Decimal(1)
    assert shop.fingerprint()["count_records"] == 1


def test_a_retried_bin_count_beyond_tolerance_is_not_taken_for_its_recount(shop: Tenant) -> None:
    number = count_of(shop, "WH1/A/01")
    body = {"location": "WH1/A/01", "lines": [{"sku": "TEA", "quantity": "2"}]}
    key = {"Idempotency-Key": "rec-1"}

    first = shop.http.post(f"/counts/{number}/records", json=body, headers=key)
    again = shop.http.post(f"/counts/{number}/records", json=body, headers=key)

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert counted(shop, number)[("TEA", None, None)] == ("2", 1, "recount")
    # Another key is the recount the first count asked for.
    recount = shop.http.post(f"/counts/{number}/records", json=body | {"idempotency_key": "rec-2"})
    assert recount.json()["replayed"] is False
    assert counted(shop, number)[("TEA", None, None)] == ("2", 2, "review")
    mismatch = shop.http.post(
        f"/counts/{number}/records", json=body | {"idempotency_key": "x"}, headers=key
    )
    assert_problem(mismatch, 422, "idempotency_key_mismatch")


def test_an_rfid_count_sent_again_with_its_key_records_once(shop: Tenant) -> None:
    shop.move("CAM", "@supplier", "WH1/A/02", "1", serial="7")
    number = count_of(shop, "WH1/A/02")
    body = {"count": number, "location": "WH1/A/02", "reads": [encode_sgtin96(CAM_GTIN, 7)]}
    key = {"Idempotency-Key": "gate-read-1"}

    first = shop.http.post("/rfid/counts", json=body, headers=key)
    again = shop.http.post("/rfid/counts", json=body, headers=key)

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert counted(shop, number, "WH1/A/02") == {("CAM", None, "7"): ("1", 1, "approved")}
