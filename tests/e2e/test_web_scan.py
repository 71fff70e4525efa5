"""The scan pages over HTTP, without a browser, on SQLite and PostgreSQL: who may scan, CSRF,
forms sent twice (receive, pick, move, count each do their work once), bad quantities and
tampered hidden fields refused with a sentence, changing nothing."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, Tenant

EAN13 = "4006381333931"  # TEA
YOG = "09501101020917"  # lot-tracked


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("WH2")
    tenant.location("RECV", "WH1")
    tenant.location("OUT", "WH1")
    tenant.location("A", "WH1")
    tenant.location("01", "WH1/A")
    tenant.location("02", "WH1/A")
    tenant.item("TEA", barcodes=[EAN13])
    tenant.item("YOG", tracking="lot", barcodes=[YOG])
    assert tenant.http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"}).is_success
    assert tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
    return tenant


@dataclass
class Browser:
    """A signed-in web session, and the last page of a task (its form's fields)."""

    http: httpx.Client
    fields: dict[str, str] = field(default_factory=dict)
    task: str = ""

    def open(self, path: str) -> httpx.Response:
        r = self.http.get(path)
        self._keep(r)
        self.task = path.split("?")[0].rsplit("/", 1)[-1]
        return r

    def _keep(self, r: httpx.Response) -> None:
        found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text)
        if found:
            self.fields = {k: html.unescape(v) for k, v in found}

    def send(self, fields: dict[str, str]) -> httpx.Response:
        r = self.http.post(f"/scan/{self.task}", data=fields)
        self._keep(r)
        return r

    def scan(self, code: str, **extra: str) -> httpx.Response:
        """Scan into the current form (the code, then Enter)."""
        return self.send(self.fields | {"code": code} | extra)


def feedback(r: httpx.Response) -> str:
    """The headline of the status or alert box."""
    m = re.search(r'<p class="scan-headline">(.*?)</p>', r.text, re.S)
    assert m, r.text[-3000:]
    return html.unescape(m.group(1))


def role_of(r: httpx.Response) -> str:
    m = re.search(r'id="scan-feedback" class="[^"]*" role="(\w+)"', r.text)
    assert m
    return m.group(1)


@pytest.fixture
def web(shop: Tenant) -> Iterator[Any]:
    """Sign in a new user of the shop with a role: a browser of its own."""
    opened: list[httpx.Client] = []

    def sign_in(role: str = "clerk", warehouses: list[str] | None = None) -> Browser:
        user = shop.user(role, warehouses)
        client = httpx.Client(base_url=shop.api.url, timeout=60)
        opened.append(client)
        r = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert r.status_code == 303, r.text
        return Browser(client)

    yield sign_in
    for c in opened:
        c.close()


def new_po(shop: Tenant, sku: str = "TEA", quantity: int = 10) -> str:
    r = shop.http.post("/purchase-orders", json={
        "supplier": "ACME", "receive_to": "WH1/RECV", "lines": [{"sku": sku, "quantity": quantity}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert shop.http.post(f"/purchase-orders/{number}/order").status_code == 200
    return str(number)


def test_scanning_needs_a_session_and_a_role_that_posts_movements(shop: Tenant, web: Any) -> None:
    anonymous = httpx.Client(base_url=shop.api.url, timeout=30)
    r = anonymous.get("/scan/receive?po=PO-1")
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/scan/receive%3Fpo%3DPO-1")
    auditor = web("auditor")
    for path in ("/scan", "/scan/receive", "/scan/count"):
        r = auditor.http.get(path)
        assert r.status_code == 403
        assert 'role="alert"' in r.text
    clerk = web("clerk")
    clerk.open("/scan/move")
    before = shop.fingerprint()
    auditor.fields = clerk.fields | {"csrf": ""}
    auditor.task = "move"
    assert auditor.scan("WH1/A/01").status_code == 403
    assert shop.fingerprint() == before
    assert clerk.http.get("/scan/nothing").status_code == 404
    anonymous.close()


def test_a_scan_without_the_csrf_token_is_refused(shop: Tenant, web: Any) -> None:
    po = new_po(shop)
    clerk = web()
    clerk.open(f"/scan/receive?po={po}")
    before = shop.fingerprint()
    r = clerk.scan(EAN13, quantity="2", csrf="forged")
    assert r.status_code == 403
    assert "csrf_failed" in r.text
    assert shop.fingerprint() == before


def test_a_receive_form_sent_twice_receives_once(shop: Tenant, web: Any) -> None:
    po = new_po(shop)
    clerk = web()
    clerk.open("/scan/receive")
    assert feedback(clerk.scan(po)) == f"Receiving {po} from ACME: scan the items."
    asked = clerk.scan(EAN13)
    assert feedback(asked) == "TEA: how many? Type the quantity and press Enter."
    form = dict(clerk.fields)  # the quantity's form, with its token
    first = clerk.send(form | {"code": "4"})
    again = clerk.send(form | {"code": "4"})  # a double Enter, or a reload re-posting it
    assert feedback(first) == "Received 4 x TEA into WH1/RECV."
    assert (
        feedback(again)
        == "Already done: this scan was sent twice. Received once: 4 x TEA into WH1/RECV."
    )
    assert shop.total("TEA") == 4
    # The next form has another token: the same label scanned again is received again.
    clerk.scan(EAN13, quantity="1")
    assert shop.total("TEA") == 5


def test_a_new_lot_scanned_twice_with_one_form_is_received_once(shop: Tenant, web: Any) -> None:
    po = new_po(shop, "YOG", 20)
    clerk = web()
    clerk.open(f"/scan/receive?po={po}")
    form = dict(clerk.fields)
    code = f"(01){YOG}(17)280131(10)B7(37)6"
    assert feedback(clerk.send(form | {"code": code})) == "Received 6 x YOG lot B7 into WH1/RECV."
    assert feedback(clerk.send(form | {"code": code})).startswith("Already done")
    assert shop.total("YOG") == 6


def test_bad_quantities_and_codes_are_sentences_and_change_nothing(shop: Tenant, web: Any) -> None:
    po = new_po(shop)
    clerk = web()
    clerk.open(f"/scan/receive?po={po}")
    before = shop.fingerprint()
    for quantity in ("-3", "0", "abc", "1e9999"):
        r = clerk.scan(EAN13, quantity=quantity)
        assert r.status_code == 422
        assert role_of(r) == "alert"
        assert feedback(r).startswith("The quantity must be a positive number")
    r = clerk.scan(EAN13, quantity="0.5")  # TEA is counted in whole units
    assert r.status_code == 422
    assert "<code>quantity_precision</code>" in r.text
    r = clerk.scan("")
    assert (r.status_code, feedback(r)) == (422, "Scan or type a code, then press Enter.")
    r = clerk.scan("x" * 300)  # cut to 256 characters, then not found
    assert r.status_code == 404
    assert shop.fingerprint() == before
    assert "Traceback" not in r.text


def test_a_context_that_does_not_exist_is_an_error_on_the_task_page(shop: Tenant, web: Any) -> None:
    clerk = web()
    r = clerk.open("/scan/receive?po=PO-999999")
    assert r.status_code == 404
    assert feedback(r) == "Purchase order 'PO-999999' not found."
    assert 'name="po" value=""' in r.text  # back to choosing an order
    draft = shop.http.post("/purchase-orders", json={
        "supplier": "ACME", "receive_to": "WH1/RECV", "lines": [{"sku": "TEA", "quantity": 1}],
    }).json()["number"]  # fmt: skip
    r = clerk.scan(draft)
    assert r.status_code == 409
    assert feedback(r) == f"{draft} is draft: nothing to receive on it."


def test_a_clerk_of_another_warehouse_cannot_receive_here(shop: Tenant, web: Any) -> None:
    po = new_po(shop)
    clerk = web("clerk", ["WH2"])
    clerk.open("/scan/receive")
    before = shop.fingerprint()
    r = clerk.scan(po)
    assert r.status_code == 403
    assert role_of(r) == "alert"
    assert shop.fingerprint() == before


def test_a_pick_form_sent_twice_picks_once(shop: Tenant, web: Any) -> None:
    shop.move("TEA", "@supplier", "WH1/A/01", "10")
    so = shop.http.post("/sales-orders", json={
        "customer": "Smith", "warehouse": "WH1", "lines": [{"sku": "TEA", "quantity": 3}],
    })  # fmt: skip
    assert so.status_code == 201, so.text
    pl = shop.http.post("/pick-lists", json={"warehouse": "WH1"}).json()["number"]
    clerk = web()
    clerk.open("/scan/pick")
    clerk.scan(pl)
    r = clerk.scan("WH1/A/02")
    assert (r.status_code, feedback(r)) == (422, f"{pl} has no open task at WH1/A/02.")
    assert feedback(clerk.scan("WH1/A/01")) == "At WH1/A/01: pick 3 x TEA."
    form = dict(clerk.fields)
    assert feedback(clerk.send(form | {"code": EAN13})) == "Picked 3 x TEA from WH1/A/01."
    assert feedback(clerk.send(form | {"code": EAN13})).startswith("Already done")
    stock = shop.http.get("/stock/items/TEA").json()["lines"]
    assert {x["location"]: x["quantity"] for x in stock} == {"WH1/A/01": "7", "WH1/OUT": "3"}


def test_a_move_form_sent_twice_moves_once(shop: Tenant, web: Any) -> None:
    shop.move("TEA", "@supplier", "WH1/A/01", "10")
    clerk = web()
    clerk.open("/scan/move")
    r = clerk.scan("@supplier")
    assert (r.status_code, feedback(r)) == (
        422, "@supplier is not a stock location: scan a bin label."
    )  # fmt: skip
    clerk.scan("WH1/A/01")
    clerk.scan(EAN13)
    r = clerk.scan("WH1/A/02")  # the quantity first
    assert (r.status_code, feedback(r)) == (422, "Type the quantity of TEA first.")
    clerk.scan("6")
    form = dict(clerk.fields)
    assert feedback(clerk.send(form | {"code": "WH1/A/02"})) == (
        "Moved 6 x TEA from WH1/A/01 to WH1/A/02."
    )
    assert feedback(clerk.send(form | {"code": "WH1/A/02"})).startswith("Already done")
    stock = shop.http.get("/stock/items/TEA").json()["lines"]
    assert {x["location"]: x["quantity"] for x in stock} == {"WH1/A/01": "4", "WH1/A/02": "6"}
    clerk.scan(EAN13, quantity="1")
    r = clerk.scan("WH2")  # another warehouse: a transfer, not a move
    assert (r.status_code, feedback(r)) == (
        422, "WH1/A/01 and WH2 are in different warehouses: use a transfer."
    )  # fmt: skip


def test_count_scans_add_up_once_each_and_finish_records_once(shop: Tenant, web: Any) -> None:
    shop.move("TEA", "@supplier", "WH1/A/01", "5")
    shop.move("YOG", "@supplier", "WH1/A/01", "2", lot="Y1", expiry_date="2028-01-31")
    count = shop.http.post("/counts", json={"location": "WH1/A/01"}).json()["number"]
    clerk = web()
    clerk.open(f"/scan/count?count={count}")
    assert feedback(clerk.scan(EAN13)) == "Scan a bin label first, then its items."
    clerk.scan("WH1/A/01")
    form = dict(clerk.fields)
    assert feedback(clerk.send(form | {"code": EAN13, "quantity": "4"})) == (
        "Counted 4 x TEA at WH1/A/01 (4 so far)."
    )
    # The same form again (a reload): the page's list is the form's, so the scan counts once.
    assert feedback(clerk.send(form | {"code": EAN13, "quantity": "4"})) == (
        "Counted 4 x TEA at WH1/A/01 (4 so far)."
    )
    assert feedback(clerk.scan(EAN13)) == "Counted 1 x TEA at WH1/A/01 (5 so far)."
    r = clerk.scan(f"(01){YOG}")  # a lot-tracked item without its lot
    assert (r.status_code, feedback(r)) == (
        422, "YOG is lot-tracked: scan the barcode with its lot (10)."
    )  # fmt: skip
    assert feedback(clerk.scan("WH1/A/02")) == (
        "Finish or discard the count of WH1/A/01 before another bin."
    )
    finish = dict(clerk.fields) | {"code": "", "action": "finish"}
    done = clerk.send(finish)
    assert feedback(done) == "Recorded the count of WH1/A/01."
    assert "YOG lot Y1" in done.text  # not scanned: counted as 0
    again = clerk.send(finish)  # a double tap, or a retry after a timeout: the same form
    assert again.status_code == 200
    assert feedback(again) == (
        "Already recorded: this form was sent twice. The count of WH1/A/01 was recorded once."
    )
    assert "YOG lot Y1" in again.text
    assert bin_lines(shop, count) == {"TEA": ("5", 1, "approved"), "YOG": ("0", 1, "recount")}
    assert shop.total("TEA") == 5


def bin_lines(shop: Tenant, count: str, where: str = "WH1/A/01") -> dict[str, Any]:
    """Each item's (counted, how often counted, status) at a bin, as the count says now."""
    lines = shop.http.get(f"/counts/{count}").json()["lines"]
    return {x["sku"]: (x["counted"], x["count_no"], x["status"]) for x in lines
            if x["location"] == where}  # fmt: skip


def counted_bin(clerk: Browser, count: str, *codes: str) -> dict[str, str]:
    """The form that finishes WH1/A/01 of ``count`` after scanning ``codes`` there."""
    clerk.open(f"/scan/count?count={count}")
    clerk.scan("WH1/A/01")
    for code in codes:
        clerk.scan(code)
    return dict(clerk.fields) | {"code": "", "action": "finish"}


def test_a_finish_sent_twice_at_once_records_the_bin_once(shop: Tenant, web: Any) -> None:
    shop.move("TEA", "@supplier", "WH1/A/01", "2")
    count = shop.http.post("/counts", json={"location": "WH1/A/01"}).json()["number"]
    clerk = web()
    finish = counted_bin(clerk, count, EAN13, EAN13)
    # A double tap: the same form on two connections of the same session, at once.
    taps = [httpx.Client(base_url=shop.api.url, cookies=clerk.http.cookies, timeout=60)
            for _ in range(2)]  # fmt: skip
    gate = threading.Barrier(2)

    def tap(i: int) -> httpx.Response:
        gate.wait()
        return taps[i].post("/scan/count", data=finish)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(tap, range(2)))
    for c in taps:
        c.close()

    assert [r.status_code for r in answers] == [200, 200]
    assert sorted(feedback(r) for r in answers) == [
        "Already recorded: this form was sent twice. The count of WH1/A/01 was recorded once.",
        "Recorded the count of WH1/A/01.",
    ]
    assert bin_lines(shop, count) == {"TEA": ("2", 1, "approved")}
    assert shop.total("TEA") == 2
    assert shop.fingerprint()["count_records"] == 1


def test_a_bin_finished_on_another_device_meanwhile_is_refused_not_recounted(
    shop: Tenant, web: Any
) -> None:
    shop.move("TEA", "@supplier", "WH1/A/01", "10")
    count = shop.http.post("/counts", json={"location": "WH1/A/01"}).json()["number"]
    first, second = web(), web()
    mine = counted_bin(first, count, EAN13)  # 1 of 10: beyond tolerance, a recount is asked
    theirs = counted_bin(second, count, EAN13, EAN13)  # scanned before the first finished
    assert feedback(first.send(mine)) == "Recorded the count of WH1/A/01."
    before = shop.fingerprint()

    r = second.send(theirs)

    assert r.status_code == 409
    assert role_of(r) == "alert"
    assert feedback(r).startswith(
        "The count of WH1/A/01 was recorded after you scanned its label here"
    )
    assert "<code>bin_counted_meanwhile</code>" in r.text
    assert shop.fingerprint() == before
    assert bin_lines(shop, count) == {"TEA": ("1", 1, "recount")}
    # Discarded and scanned again, the bin's recount is recorded.
    second.send(second.fields | {"code": "", "action": "discard"})
    recount = counted_bin(second, count, *[EAN13] * 10)
    assert feedback(second.send(recount)) == "Recorded the count of WH1/A/01."
    assert bin_lines(shop, count) == {"TEA": ("10", 2, "approved")}


def test_a_tampered_list_of_count_scans_is_refused(shop: Tenant, web: Any) -> None:
    count = shop.http.post("/counts", json={"location": "WH1/A/01"}).json()["number"]
    clerk = web()
    clerk.open(f"/scan/count?count={count}")
    clerk.scan("WH1/A/01")
    before = shop.fingerprint()
    for scans in ("not json", '[{"q": 1}]', '[{"code":"x","q":"-1","sku":"TEA","lot":"",'
                  '"serial":""}]'):  # fmt: skip
        r = clerk.send(clerk.fields | {"scans": scans, "action": "finish"})
        assert r.status_code == 422, scans
        assert role_of(r) == "alert"
        assert 'name="count" value=""' in r.text  # the task starts again
    clerk.open(f"/scan/count?count={count}")
    clerk.scan("WH1/A/01")
    r = clerk.send(clerk.fields | {"log": "][", "code": EAN13})  # the list shown: dropped
    assert r.status_code == 200
    assert feedback(r) == "Counted 1 x TEA at WH1/A/01 (1 so far)."
    assert shop.fingerprint() == before


def test_quantities_typed_with_a_comma_count_as_decimals(shop: Tenant, web: Any) -> None:
    shop.item("RICE", uom="kg", precision=3, barcodes=["INT-RICE"])
    po = new_po(shop, "RICE", 10)
    clerk = web()
    clerk.open(f"/scan/receive?po={po}")
    clerk.scan("INT-RICE")
    assert feedback(clerk.scan("2,5")) == "Received 2.5 x RICE into WH1/RECV."
    assert shop.total("RICE") == Decimal("2.5")
