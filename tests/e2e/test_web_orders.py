"""The order pages over HTTP (no browser), on SQLite and PostgreSQL: each refused form answers
with its status and a sentence, shows what was typed again and changes nothing; CSRF and roles;
receipts with lots, over-receipts and retries; backorders reserved when stock arrives; short
picks; returns to suppliers, scrap and cancelled transfers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, Tenant


@dataclass
class Web:
    """A browser-like client signed in to the pages: cookies, and the forms' CSRF token."""

    http: httpx.Client
    csrf: str

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        return self.http.post(path, data=({"csrf": self.csrf} if csrf else {}) | data)


def sign_in(tenant: Tenant, role: str, warehouses: list[str] | None = None) -> Web:
    user = tenant.user(role, warehouses)
    http = httpx.Client(base_url=tenant.api.url, timeout=60, follow_redirects=False)
    r = http.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 303, r.text
    found = re.search(r'name="csrf" value="([^"]+)"', http.get("/purchase-orders").text)
    assert found
    return Web(http, found.group(1))


def alert(r: httpx.Response) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', r.text)
    assert found, r.text[:3000]
    return html.unescape(found.group(1))


def notice(r: httpx.Response) -> str:
    found = re.search(r'role="status">([^<]*)<', r.text)
    assert found, r.text[:3000]
    return html.unescape(found.group(1))


def follow(web: Web, r: httpx.Response) -> httpx.Response:
    assert r.status_code == 303, f"{r.status_code} {r.text[:2000]}"
    return web.get(r.headers["location"])


def field(r: httpx.Response, fid: str) -> str:
    """The value of the input with this id on the page."""
    found = re.search(rf'id="{re.escape(fid)}"[^>]*value="([^"]*)"', r.text)
    assert found, f"no field {fid}"
    return html.unescape(found.group(1))


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    for code in ("RECV", "A", "OUT"):
        tenant.location(code, "WH1")
    tenant.location("WH2")
    tenant.item("BOLT")
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    assert tenant.http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"}).is_success
    assert tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
    return tenant


@pytest.fixture
def web(shop: Tenant) -> Iterator[Web]:
    w = sign_in(shop, "admin")
    yield w
    w.http.close()


PO = {"supplier": "ACME", "receive_to": "WH1/RECV", "rows": "5"}


def po_form(*lines: tuple[str, str, str], **fields: str) -> dict[str, Any]:
    return (
        PO
        | fields
        | {
            "sku": [x[0] for x in lines],
            "quantity": [x[1] for x in lines],
            "unit_price": [x[2] for x in lines],
        }
    )


def test_a_refused_purchase_order_form_says_why_keeps_the_values_and_changes_nothing(
    shop: Tenant, web: Web
) -> None:
    before = shop.fingerprint()
    cases = [
        (po_form(("BOLT", "5", "")) | {"supplier": ""}, 422, "Choose the supplier."),
        (po_form(("", "", ""), ("BOLT", "abc", "")), 422,
         "Line 1: the quantity 'abc' is not a number (write it like 12 or 2.5)."),
        (po_form(("BOLT", "0", "")), 422, "Line 1: the quantity must be more than zero, not 0."),
        (po_form(("BOLT", "1.5", "")), 422,
         "Quantity 1.5 has more decimals than unit 'ea' allows (0)."),
        (po_form(("BOLT", "2", ""), ("NOPE", "1", "")), 422, "Line 2: SKU 'NOPE' not found."),
        (po_form(("BOLT", "2", "x")), 422,
         "Line 1: the unit price 'x' is not a number (write it like 12 or 2.5)."),
        (po_form(("BOLT", "2", "")) | {"receive_to": "WH9"}, 404, "Location 'WH9' not found."),
        (po_form(("BOLT", "2", "")) | {"expected_date": "soon"}, 422,
         "The expected date 'soon' is not a date (YYYY-MM-DD)."),
        (po_form(), 422, "Add at least one line: a SKU and a quantity."),
    ]  # fmt: skip
    for data, status, said in cases:
        r = web.post("/purchase-orders", data)
        assert r.status_code == status, (data, r.status_code)
        assert alert(r) == said
        assert "Traceback" not in r.text
    again = web.post("/purchase-orders", po_form(("", "", ""), ("BOLT", "abc", "")))
    assert field(again, "po-line-0-sku") == "BOLT"  # the typed line, first now: "Line 1"
    assert field(again, "po-line-0-quantity") == "abc"
    assert 'aria-invalid="true"' in again.text
    assert field(again, "po-receive-to") == "WH1/RECV"
    no_csrf = web.post("/purchase-orders", po_form(("BOLT", "5", "")), csrf=False)
    assert no_csrf.status_code == 403
    assert "Code: <code>csrf_failed</code>" in no_csrf.text
    assert shop.fingerprint() == before


def test_more_lines_shows_five_more_rows_with_what_was_typed(shop: Tenant, web: Web) -> None:
    before = shop.fingerprint()
    data = po_form(("BOLT", "3", ""), ("", "", ""), ("MILK", "2", "1.25")) | {"more": "1"}
    r = web.post("/purchase-orders", data)
    assert r.status_code == 200
    assert r.text.count('name="sku"') == 10
    assert [field(r, f"po-line-{n}-sku") for n in range(3)] == ["BOLT", "MILK", ""]
    assert field(r, "po-line-1-unit_price") == "1.25"
    assert shop.fingerprint() == before  # nothing saved


def test_a_purchase_order_is_received_with_lots_within_its_quantities(
    shop: Tenant, web: Web
) -> None:
    made = follow(web, web.post("/purchase-orders", po_form(("BOLT", "10", ""), ("MILK", "5", ""))))
    number = re.search(r"Purchase order (PO-\d+) is saved", notice(made))
    assert number
    po = number.group(1)
    page = follow(web, web.post(f"/purchase-orders/{po}/order", {}))
    assert notice(page) == f"{po} is ordered: its lines are expected receipts now."
    assert 'id="rcv-2-lot"' in page.text  # MILK is lot-tracked: its lot is asked
    assert 'id="rcv-1-lot"' not in page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key

    def receive(bolt: str, milk: str, lot: str = "") -> httpx.Response:
        return web.post(
            f"/purchase-orders/{po}/receive",
            {
                "key": key.group(1),
                "location": "",
                "line_no": ["1", "2"],
                "quantity": [bolt, milk],
                "lot": ["", lot],
                "expiry": ["", ""],
                "serials": ["", ""],
            },
        )

    before = shop.fingerprint()
    r = receive("4", "5")
    assert r.status_code == 422
    assert "lot-tracked: a lot is required" in alert(r)
    r = receive("11", "")
    assert r.status_code == 409
    assert alert(r) == f"Line 1 of {po} (BOLT) would receive more than ordered plus 0% tolerance."
    assert field(r, "rcv-1-qty") == "11"
    r = receive("", "-1", "L1")
    assert r.status_code == 422
    assert alert(r).startswith("Line 2: the quantity received must be more than zero")
    assert shop.fingerprint() == before
    done = follow(web, receive("4", "5", "L1"))
    assert notice(done) == f"Goods received on {po}: it is partially received now."
    assert shop.total("BOLT") == Decimal(4)
    assert shop.total("MILK") == Decimal(5)
    follow(web, receive("4", "5", "L1"))  # the same form sent again: received once
    assert shop.total("BOLT") == Decimal(4)
    assert done.text.count("<td>WH1/RECV</td>") == 2  # the receipts, where the stock went
    closed = follow(web, web.post(f"/purchase-orders/{po}/close", {}))
    assert "is closed" in notice(closed)
    r = web.post(f"/purchase-orders/{po}/cancel", {})
    assert r.status_code == 409
    assert alert(r) == (
        f"Purchase order {po} is received: cannot cancel it (close it instead to stop "
        "expecting the rest)."
    )


def test_a_backorder_is_reserved_when_stock_arrives_and_a_short_pick_goes_back(
    shop: Tenant, web: Web
) -> None:
    data = {"customer": "Smith", "warehouse": "WH1", "rows": "5",
            "sku": ["BOLT"], "quantity": ["5"], "unit_price": [""]}  # fmt: skip
    made = follow(web, web.post("/sales-orders", data))
    assert "what is missing is backordered" in notice(made)
    so = re.search(r"Sales order (SO-\d+)", notice(made))
    assert so
    number = so.group(1)
    assert "Reserve backorders" in made.text
    r = web.post(f"/sales-orders/{number}/pick-list", {})
    assert r.status_code == 409
    assert alert(r) == "Nothing to pick in WH1: no reserved stock waits for a pick."
    shop.move("BOLT", "@supplier", "WH1/A", "5")  # a plain posting serves no backorder
    page = follow(web, web.post(f"/sales-orders/{number}/reallocate", {}))
    assert notice(page) == "Reserved what is available: everything is reserved."
    picks = follow(web, web.post(f"/sales-orders/{number}/pick-list", {}))
    pl = re.search(r"Pick list (PL-\d+) is ready: 1 pick for", notice(picks))
    assert pl
    confirm = {"key": "pick-1", "seq": ["1"], "confirm": ["1"], "location": ["WH1/A"],
               "quantity": ["3"], "lot": [""], "serial": [""]}  # fmt: skip
    wrong = web.post(f"/pick-lists/{pl.group(1)}/confirm", confirm | {"location": ["WH1/RECV"]})
    assert wrong.status_code == 422
    assert alert(wrong) == "Task 1: scanned 'WH1/RECV', but the stock is at WH1/A."
    assert field(wrong, "pick-1-location") == "WH1/RECV"
    back = follow(web, web.post(f"/pick-lists/{pl.group(1)}/confirm", confirm))
    assert "(1 short: the rest is backordered)" in notice(back)
    order = shop.http.get(f"/sales-orders/{number}").json()["lines"][0]
    assert (order["reserved"], order["backordered"]) == ("3", "2")
    shipped = follow(web, web.post(f"/sales-orders/{number}/ship", {"key": "ship-1"}))
    assert f"{number} is partially shipped" in notice(shipped)
    assert shop.total("BOLT") == Decimal(2)
    cancelled = follow(web, web.post(f"/sales-orders/{number}/cancel", {}))
    assert "is cancelled" in notice(cancelled)


def test_returns_to_suppliers_scrap_and_transfers_change_stock_or_say_why(
    shop: Tenant, web: Web
) -> None:
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    lines = {"rows": "2", "sku": ["BOLT", ""], "quantity": ["2", ""], "lot": ["", ""],
             "serial": ["", ""]}  # fmt: skip
    sent = web.post("/returns/supplier", lines | {"supplier": "ACME", "source": "WH1/A",
                                                  "reason": "defective", "key": "r1"})  # fmt: skip
    assert notice(follow(web, sent)) == "The goods from WH1/A are returned to ACME."
    assert shop.total("BOLT") == Decimal(8)
    r = web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A", "quantity": "1",
                                    "reason": "Fell over!"})  # fmt: skip
    assert r.status_code == 422
    assert alert(r).startswith("Reason 'Fell over!' must be a code such as damaged")
    assert field(r, "sc-quantity") == "1"
    r = web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A", "quantity": "99",
                                    "reason": "damaged"})  # fmt: skip
    assert r.status_code == 409
    assert "available at WH1/A" in alert(r)
    done = follow(web, web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A",
                                                   "quantity": "1", "reason": "damaged"}))  # fmt: skip
    assert notice(done) == "1 of BOLT from WH1/A is scrapped."
    assert shop.total("BOLT") == Decimal(7)
    r = web.post("/returns/customer", lines | {"to": "WH1/A", "reason": "unwanted",
                                               "order": "SO-999999"})  # fmt: skip
    assert r.status_code == 404
    assert alert(r) == "Sales order 'SO-999999' not found."
    booked = lines | {"to": "WH1/A", "reason": "unwanted", "order": "", "key": "rma-1"}
    assert "is booked: the goods are in WH1/A" in notice(
        follow(web, web.post("/returns/customer", booked))
    )
    follow(web, web.post("/returns/customer", booked))  # sent twice: booked once
    assert shop.total("BOLT") == Decimal(9)

    moved = {"source": "WH1/A", "destination": "WH2", "rows": "5", "sku": ["BOLT"],
             "quantity": ["3"], "lot": [""], "serial": [""]}  # fmt: skip
    planned = follow(web, web.post("/transfers", moved))
    tr = re.search(r"Transfer (TR-\d+) is planned", notice(planned))
    assert tr
    r = web.post(f"/transfers/{tr.group(1)}/receive", {"key": "x"})
    assert r.status_code == 409
    assert alert(r) == f"Transfer {tr.group(1)} is planned: cannot receive it."
    cancelled = follow(web, web.post(f"/transfers/{tr.group(1)}/cancel", {}))
    assert notice(cancelled) == f"Transfer {tr.group(1)} is cancelled."
    direct = follow(web, web.post("/transfers", moved | {"direct": "1", "key": "d1"}))
    assert "is done: the stock has moved" in notice(direct)
    rows = shop.http.get("/stock/items/BOLT").json()["lines"]
    assert {(r["location"], r["quantity"]) for r in rows} == {("WH1/A", "6"), ("WH2", "3")}


def test_roles_see_and_do_only_what_they_may(shop: Tenant, web: Web) -> None:
    made = follow(web, web.post("/purchase-orders", po_form(("BOLT", "2", ""))))
    po = re.search(r"(PO-\d+)", notice(made))
    assert po
    clerk = sign_in(shop, "clerk", ["WH2"])
    auditor = sign_in(shop, "auditor")
    try:
        before = shop.fingerprint()
        r = clerk.post("/purchase-orders", po_form(("BOLT", "2", "")))
        assert r.status_code == 403
        assert "Code: <code>permission_denied</code>" in r.text
        assert clerk.get(f"/purchase-orders/{po.group(1)}").status_code == 403  # WH1's
        listed = clerk.get("/purchase-orders")
        assert "New purchase order" not in listed.text
        assert po.group(1) not in listed.text
        assert clerk.post(f"/purchase-orders/{po.group(1)}/order", {}).status_code == 403
        for path in ("/purchase-orders", "/sales-orders", "/transfers"):
            page = auditor.get(path)
            assert page.status_code == 200
            assert "New " not in page.text  # no form for a role that may not use it
        assert 'href="/returns"' not in auditor.get("/sales-orders").text
        assert auditor.get("/returns").status_code == 403
        assert (
            "Order (send to the supplier)"
            not in auditor.get(f"/purchase-orders/{po.group(1)}").text
        )
        assert shop.fingerprint() == before
    finally:
        clerk.http.close()
        auditor.http.close()


def test_a_page_of_no_such_order_and_a_bad_filter_are_pages(shop: Tenant, web: Web) -> None:
    r = web.get("/sales-orders/SO-404404")
    assert r.status_code == 404
    assert alert(r) == "sales order 'SO-404404' not found"
    r = web.get("/transfers?status=lost")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
