"""The scan page in a real browser, typed into as a keyboard-wedge scanner does (the code, then
Enter): receiving a purchase order, picking, moving and counting by scanning; errors; a re-posted
scan; the phone width; the keyboard alone; and the camera where the browser can read barcodes
(and no button where it cannot)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.browser.conftest import (
    PHONE,
    Site,
    expect_refused,
    no_horizontal_scroll,
    screenshots,
    sign_in,
)

TAP = 44  # the smallest touch target, in CSS pixels


@dataclass(frozen=True)
class Stocked:
    """An item of the demo with an EAN-13 and stock in a bin of WH1."""

    sku: str
    name: str
    barcode: str
    bin: str
    quantity: Decimal


@pytest.fixture(scope="module")
def api(site: Site) -> Iterator[httpx.Client]:
    """The demo's API as its admin, to set up documents and check stock."""
    with httpx.Client(base_url=f"{site.url}/api/v1", timeout=60) as client:
        login = client.post("/auth/token", json={"username": site.admin, "password": site.password})
        assert login.status_code == 201, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        yield client


@pytest.fixture(scope="module")
def stocked(api: httpx.Client) -> list[Stocked]:
    """Items without lots or serials that have a barcode and stock in one bin of WH1 (each test
    takes its own, so that none changes another's)."""
    out = []
    for item in api.get("/items", params={"limit": 500}).json():
        if item["tracking"] != "none" or not item["barcodes"]:
            continue
        lines = api.get(f"/stock/items/{item['sku']}").json()["lines"]
        bins = [x for x in lines if x["location"].count("/") == 3 and x["location"][:4] == "WH1/"]
        if bins and Decimal(bins[0]["quantity"]) >= 4:
            out.append(Stocked(item["sku"], item["name"], item["barcodes"][0], bins[0]["location"],
                               Decimal(bins[0]["quantity"])))  # fmt: skip
    assert len(out) >= 6, out
    return out


def post(api: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = api.post(path, json=body)
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def new_po(api: httpx.Client, *lines: tuple[str, int]) -> str:
    """A purchase order sent to the supplier (ordered), received into WH1/RECV."""
    po = post(api, "/purchase-orders", {
        "supplier": "NORDWAREN", "receive_to": "WH1/RECV",
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines],
    })  # fmt: skip
    post(api, f"/purchase-orders/{po['number']}/order")
    return str(po["number"])


def stock(api: httpx.Client, sku: str, where: str | None = None, lot: str | None = None) -> Decimal:
    """On hand of an item: in all stock locations, or in one (and one lot)."""
    got = api.get(f"/stock/items/{sku}").json()
    if where is None:
        return Decimal(got["total"])
    return sum(
        (Decimal(x["quantity"]) for x in got["lines"]
         if x["location"] == where and (lot is None or x["lot"] == lot)),
        Decimal(0),
    )  # fmt: skip


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused input, then Enter."""
    assert focused(page) == "scan-code"
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page) == "scan-code"  # the focus is back for the next scan


def said(page: Any) -> str:
    """The status box's headline after a scan that worked."""
    return str(page.get_by_role("status").locator(".scan-headline").inner_text())


def refused(page: Any) -> str:
    return str(page.get_by_role("alert").locator(".scan-headline").inner_text())


def gs1(barcode: str, **ais: str) -> str:
    """A GS1 element string in its human-readable form: (01) the GTIN-14 of an EAN-13, then the
    AIs given (lot=(10), expiry=(17), count=(37)); the lot last, as labels put it."""
    codes = {"expiry": "17", "count": "37", "lot": "10"}
    return f"(01)0{barcode}" + "".join(f"({codes[k]}){v}" for k, v in ais.items())


def open_task(page: Any, site: Site, title: str) -> None:
    """From the scan page, the task's big button."""
    page.goto(f"{site.url}/scan")
    page.locator("main").get_by_role("link", name=re.compile(f"^{title}")).click()
    page.wait_for_url(f"**/scan/{title.lower()}")


def test_receive_a_purchase_order_by_scanning(page: Any, site: Site, api: httpx.Client,
                                              stocked: list[Stocked]) -> None:  # fmt: skip
    plain = stocked[0]
    lotted = next(i for i in api.get("/items", params={"limit": 500}).json()
                  if i["tracking"] == "lot" and i["barcodes"])  # fmt: skip
    po = new_po(api, (plain.sku, 20), (lotted["sku"], 10))
    before = stock(api, plain.sku)
    sign_in(page, site, site.admin)
    open_task(page, site, "Receive")
    assert page.get_by_label("Scan the purchase order number").is_visible()
    scan(page, po)
    assert said(page) == f"Receiving {po} from NORDWAREN: scan the items."
    # A bare EAN-13 carries no count: the page asks for it, in the same input.
    scan(page, plain.barcode)
    assert said(page) == f"{plain.sku}: how many? Type the quantity and press Enter."
    assert page.get_by_label(re.compile(f"^Quantity of {plain.sku}")).is_visible()
    scan(page, "5")
    assert said(page) == f"Received 5 x {plain.sku} into WH1/RECV."
    box = page.get_by_role("status").inner_text()
    assert f"{plain.sku} · {plain.name}" in box
    assert stock(api, plain.sku) == before + 5
    # A GS1 label: lot, expiry and count from the barcode, received at once.
    scan(page, gs1(lotted["barcodes"][0], expiry="290531", count="4", lot="SCAN-L1"))
    assert said(page) == f"Received 4 x {lotted['sku']} lot SCAN-L1 into WH1/RECV."
    box = page.get_by_role("status").inner_text()
    assert "SCAN-L1 (new)" in box
    assert "2029-05-31" in box
    assert stock(api, lotted["sku"], "WH1/RECV", lot="SCAN-L1") == 4
    log = page.locator(".scan-log li").all_inner_texts()
    assert [re.sub(r"^Done:\s*", "", x) for x in log[:2]] == [
        f"Received 4 x {lotted['sku']} lot SCAN-L1 into WH1/RECV.",
        f"Received 5 x {plain.sku} into WH1/RECV.",
    ]
    lines = page.get_by_role("table").first.locator("tbody tr").all_inner_texts()
    assert any(plain.sku in x and "\t5\t15" in x for x in lines), lines
    screenshots(page, "scan-receive")


def test_a_wrong_code_is_a_readable_error(page: Any, site: Site, api: httpx.Client,
                                          stocked: list[Stocked], console: list[str]) -> None:  # fmt: skip
    po = new_po(api, (stocked[0].sku, 3))
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/scan/receive?po={po}")
    scan(page, "NO-SUCH-CODE")
    assert refused(page) == "No item barcode or location matches 'NO-SUCH-CODE'."
    assert "barcode_not_found" in page.get_by_role("alert").inner_text()
    expect_refused(console, 404)
    scan(page, "(01)04006381333932")  # a wrong check digit
    assert "check digit" in refused(page)
    expect_refused(console, 422)
    scan(page, stocked[1].barcode)  # an item the order does not have
    assert refused(page) == f"{po} has no line for {stocked[1].sku}."
    expect_refused(console, 422)
    assert po in page.locator(".scan-summary").inner_text()  # the order is still the context
    assert "Traceback" not in page.content()
    screenshots(page, "scan-error")


def test_a_reposted_scan_does_not_receive_twice(page: Any, site: Site, api: httpx.Client,
                                                stocked: list[Stocked]) -> None:  # fmt: skip
    item = stocked[0]
    po = new_po(api, (item.sku, 10))
    before = stock(api, item.sku)
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/scan/receive?po={po}")
    scan(page, gs1(item.barcode, count="3"))
    assert said(page) == f"Received 3 x {item.sku} into WH1/RECV."
    page.reload()  # the browser sends the same form (and its token) again
    assert said(page).startswith("Already done: this scan was sent twice.")
    assert stock(api, item.sku) == before + 3
    assert page.locator(".scan-log li").count() == 1  # listed once
    received = api.get(f"/purchase-orders/{po}").json()["lines"][0]["received"]
    assert Decimal(received) == 3


def test_pick_by_scanning(page: Any, site: Site, api: httpx.Client, stocked: list[Stocked],
                          console: list[str]) -> None:  # fmt: skip
    item = stocked[1]
    so = post(api, "/sales-orders", {"customer": "Scan test", "warehouse": "WH1",
                                     "lines": [{"sku": item.sku, "quantity": 2}]})  # fmt: skip
    pl = post(api, "/pick-lists", {"warehouse": "WH1", "orders": [so["number"]]})
    tasks = pl["tasks"]  # FIFO may take the two units from two bins
    assert sum(Decimal(t["quantity"]) for t in tasks) == 2
    sign_in(page, site, site.admin)
    open_task(page, site, "Pick")
    scan(page, pl["number"])
    n = len(tasks)
    assert said(page) == f"Picking {pl['number']}: {n} task{'s' * (n > 1)} open. Scan a bin label."
    scan(page, item.barcode)  # the item before its bin
    assert refused(page) == "Scan the bin label first, then the item."
    expect_refused(console, 422)
    for task in tasks:
        qty = Decimal(task["quantity"])
        scan(page, task["location"])
        assert said(page) == f"At {task['location']}: pick {qty} x {item.sku}."
        assert "Next:" in page.locator("tr.scan-next").inner_text()  # its task is marked
        if task is tasks[-1]:
            screenshots(page, "scan-pick")
            page.focus("#scan-code")  # resizing for the screenshots took the focus away
        scan(page, item.barcode)
        assert said(page) == f"Picked {qty} x {item.sku} from {task['location']}."
    assert f"{pl['number']} is done" in page.get_by_role("status").inner_text()
    assert api.get(f"/pick-lists/{pl['number']}").json()["status"] == "done"


def test_move_by_scanning(page: Any, site: Site, api: httpx.Client,
                          stocked: list[Stocked]) -> None:  # fmt: skip
    item = stocked[2]
    source = stock(api, item.sku, item.bin)
    dest = stock(api, item.sku, "WH1/RECV")
    sign_in(page, site, site.admin)
    open_task(page, site, "Move")
    scan(page, item.bin)
    assert said(page) == f"Taking from {item.bin}: scan the item."
    in_bin = page.get_by_role("table").inner_text()
    assert item.sku in in_bin
    scan(page, item.barcode)
    assert said(page) == f"{item.sku}: how many? Type the quantity and press Enter."
    scan(page, "2")
    assert said(page) == f"Moving 2 x {item.sku} from {item.bin}: scan the bin to put it into."
    scan(page, "WH1/RECV")
    assert said(page) == f"Moved 2 x {item.sku} from {item.bin} to WH1/RECV."
    assert stock(api, item.sku, item.bin) == source - 2
    assert stock(api, item.sku, "WH1/RECV") == dest + 2
    screenshots(page, "scan-move")


def test_count_a_bin_by_scanning(page: Any, site: Site, api: httpx.Client,
                                 stocked: list[Stocked]) -> None:  # fmt: skip
    item = stocked[3]
    held = stock(api, item.sku, item.bin)
    count = post(api, "/counts", {"location": item.bin})["number"]
    sign_in(page, site, site.admin)
    open_task(page, site, "Count")
    scan(page, count)
    assert said(page).startswith(f"Counting {count}: ")
    scan(page, item.bin)
    page.fill("#scan-qty", str(held - 1))
    page.focus("#scan-code")
    scan(page, item.barcode)
    assert said(page) == f"Counted {held - 1} x {item.sku} at {item.bin} ({held - 1} so far)."
    scan(page, item.barcode)  # one more unit: each scan adds its quantity
    assert said(page) == f"Counted 1 x {item.sku} at {item.bin} ({held} so far)."
    screenshots(page, "scan-count")
    with page.expect_navigation():
        page.get_by_role("button", name="Finish bin").click()
    assert said(page) == f"Recorded the count of {item.bin}."
    lines = api.get(f"/counts/{count}").json()["lines"]
    mine = next(x for x in lines if x["sku"] == item.sku and x["location"] == item.bin)
    assert (Decimal(mine["counted"]), mine["status"]) == (held, "approved")


def test_the_scan_pages_fit_a_phone_with_big_targets(page: Any, site: Site, api: httpx.Client,
                                                     stocked: list[Stocked]) -> None:  # fmt: skip
    sign_in(page, site, site.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/scan")
    assert no_horizontal_scroll(page)
    tasks = page.locator(".scan-task")
    assert tasks.count() == 4
    for n in range(4):
        box = tasks.nth(n).bounding_box()
        assert box["height"] >= TAP, box
        assert box["width"] >= 300, box
    screenshots(page, "scan")
    page.set_viewport_size(PHONE)
    po = new_po(api, (stocked[4].sku, 10))
    page.goto(f"{site.url}/scan/receive?po={po}")
    scan(page, gs1(stocked[4].barcode, count="1"))
    assert no_horizontal_scroll(page)
    for target in (page.locator("#scan-code"), page.get_by_role("button", name="Enter"),
                   page.locator("#scan-qty"), page.get_by_role("link", name="Tasks")):  # fmt: skip
        box = target.bounding_box()
        assert box["height"] >= TAP, (target, box)
    assert page.locator("#scan-code").bounding_box()["width"] >= 200


def test_keyboard_alone_receives(page: Any, site: Site, api: httpx.Client,
                                 stocked: list[Stocked]) -> None:  # fmt: skip
    item = stocked[5]
    po = new_po(api, (item.sku, 10))
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/scan")
    for _ in range(30):  # Tab to the Receive button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").strip().startswith("Receive"):
            break
    else:
        pytest.fail("the Receive task cannot be reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    scan(page, po)
    scan(page, item.barcode)
    scan(page, "2")
    assert said(page) == f"Received 2 x {item.sku} into WH1/RECV."
    # Tab reaches the quantity field, then back (Shift+Tab) to scan with a typed quantity.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == "scan-qty"
    page.keyboard.type("3")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    scan(page, item.barcode)
    assert said(page) == f"Received 3 x {item.sku} into WH1/RECV."


def test_no_camera_button_without_barcode_detection(page: Any, site: Site) -> None:
    page.add_init_script("delete window.BarcodeDetector;")  # as in Firefox, Safari, desktops
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/scan/move")
    assert page.evaluate("'BarcodeDetector' in window") is False
    assert page.locator("#scan-camera").is_hidden()
    assert page.locator("#scan-video").is_hidden()
    assert focused(page) == "scan-code"
    # (the page fixture fails the test on any console error)


# A camera and a detector that reads one code, for a browser without either: getUserMedia gives
# a canvas's stream; the detector answers the code once per tab (then nothing).
FAKE_CAMERA = """
(() => {
  const code = %s;
  class FakeDetector {
    static getSupportedFormats() { return Promise.resolve(["ean_13", "code_128", "qr_code"]); }
    constructor(options) { this.formats = options.formats; }
    detect() {
      if (sessionStorage.getItem("fake-read")) { return Promise.resolve([]); }
      sessionStorage.setItem("fake-read", "1");
      return Promise.resolve([{ rawValue: code, format: "code_128" }]);
    }
  }
  window.BarcodeDetector = FakeDetector;
  const media = navigator.mediaDevices || {};
  media.getUserMedia = () => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 48;
    canvas.getContext("2d").fillRect(0, 0, 64, 48);
    return Promise.resolve(canvas.captureStream(5));
  };
  if (!navigator.mediaDevices) {
    Object.defineProperty(navigator, "mediaDevices", { value: media });
  }
})();
"""


def test_the_camera_submits_the_code_it_reads(page: Any, site: Site,
                                              stocked: list[Stocked]) -> None:  # fmt: skip
    where = stocked[0].bin
    page.add_init_script(FAKE_CAMERA % f'"{where}"')
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/scan/move")
    button = page.get_by_role("button", name="Use camera")
    assert button.is_visible()
    with page.expect_navigation():
        button.click()
    assert said(page) == f"Taking from {where}: scan the item."
    # The camera stays on for the next scan (it reads nothing more here).
    stop = page.get_by_role("button", name="Stop camera")
    stop.wait_for()
    assert stop.get_attribute("aria-pressed") == "true"
    assert page.locator("#scan-video").is_visible()
    stop.click()
    assert page.locator("#scan-video").is_hidden()
    assert page.get_by_role("button", name="Use camera").is_visible()
